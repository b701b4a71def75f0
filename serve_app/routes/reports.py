"""``/api/noc/reports``: MTTR, alert frequency by type with a daily trend,
SLA compliance of incidents, noisy sites (SPEC section 9), and the alert
rate (new and resolved per bucket) the dashboard's trends draw.

Each period is ``days`` (``hours`` for the rate), bounded; the defaults are
the SPEC's windows (30 days; 7 for noisy sites).

Each report is one aggregate query over the caller's scope (visible clients,
and for site-only users their sites) in ``noc_actors.store.repos.reports``;
the numbers are defined by the pure reference functions in
``noc_actors.domain.reports`` (the e2e tests compare the two), with one
addition: incidents without an ``sla_target`` have no SLA to meet and are
left out of SLA compliance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from noc_actors.domain.enums import Severity
from noc_actors.domain.reports import MTTR_WINDOW, NOISY_WINDOW, rate_buckets
from noc_actors.store.repos import reports
from serve_app.deps import Ctx, Viewer
from serve_app.scoping import report_scope

router = APIRouter(prefix="/api/noc/reports", tags=["reports"])

MAX_DAYS = 90
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="The period: the last N days")]


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/mttr", summary="Mean time to resolve (last N days), overall and per severity")
async def mttr_report(ctx: Ctx, caller: Viewer, days: Days = MTTR_WINDOW.days) -> dict[str, Any]:
    now = _now()
    async with ctx.engine.connect() as db:
        by = await reports.resolve_times(
            db, scope=report_scope(caller), now=now, window=timedelta(days=days)
        )
    resolved = sum(n for n, _ in by.values())
    total = sum(n * mean for n, mean in by.values())
    return {
        "generated_at": now.isoformat(),
        "window_days": days,
        "resolved": resolved,
        "overall_s": total / resolved if resolved else None,
        "by_severity": {s.value: by[s.value][1] if s.value in by else None for s in Severity},
        "resolved_by_severity": {s.value: by[s.value][0] if s.value in by else 0 for s in Severity},
    }


@router.get("/frequency", summary="Alerts per type first seen in the last N days, daily trend")
async def frequency_report(
    ctx: Ctx, caller: Viewer, days: Annotated[int, Query(ge=1, le=90)] = 30
) -> dict[str, Any]:
    now = _now()
    first_day = now.date() - timedelta(days=days - 1)
    all_days = [(first_day + timedelta(days=i)).isoformat() for i in range(days)]
    async with ctx.engine.connect() as db:
        daily = await reports.daily_counts(
            db, scope=report_scope(caller), first_day=first_day, now=now
        )
    totals = {t: sum(v.values()) for t, v in daily.items()}
    return {
        "generated_at": now.isoformat(),
        "days": all_days,
        "by_type": dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))),
        "daily": {t: [daily[t].get(d, 0) for d in all_days] for t in sorted(daily)},
    }


def _sla(counts: reports.SlaCounts) -> dict[str, Any]:
    return {
        "resolved": counts.resolved,
        "within_sla": counts.within_sla,
        "compliance": counts.within_sla / counts.resolved if counts.resolved else None,
        "open_past_sla": counts.open_past_sla,
    }


@router.get(
    "/sla-compliance", summary="Incidents resolved within their SLA target (last N days), by client"
)
async def sla_report(ctx: Ctx, caller: Viewer, days: Days = MTTR_WINDOW.days) -> dict[str, Any]:
    now = _now()
    async with ctx.engine.connect() as db:
        by_client = await reports.sla_counts_by_client(
            db, scope=report_scope(caller), now=now, window=timedelta(days=days)
        )
    total = reports.SlaCounts(
        sum(c.resolved for c in by_client.values()),
        sum(c.within_sla for c in by_client.values()),
        sum(c.open_past_sla for c in by_client.values()),
    )
    return {
        "generated_at": now.isoformat(),
        "window_days": days,
        **_sla(total),
        "by_client": [{"client_id": cid, **_sla(by_client[cid])} for cid in sorted(by_client)],
    }


@router.get("/noisy-sites", summary="Top sites by alerts plus suppressed duplicates (last N days)")
async def noisy_sites_report(
    ctx: Ctx,
    caller: Viewer,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
    days: Days = NOISY_WINDOW.days,
) -> dict[str, Any]:
    now = _now()
    async with ctx.engine.connect() as db:
        sites = await reports.noisy_sites(
            db, scope=report_scope(caller), now=now, top=top, window=timedelta(days=days)
        )
    return {
        "generated_at": now.isoformat(),
        "window_days": days,
        "sites": [
            {
                "client_id": n.client_id,
                "site_id": n.site_id,
                "alerts": n.alerts,
                "suppressed_duplicates": n.suppressed_duplicates,
                "noise": n.alerts + n.suppressed_duplicates,
            }
            for n in sites
        ],
    }


@router.get(
    "/alert-rate",
    summary="Alerts new and resolved per time bucket over the last N hours, zeros included",
)
async def alert_rate_report(
    ctx: Ctx,
    caller: Viewer,
    hours: Annotated[int, Query(ge=1, le=168, description="The period: the last N hours")] = 24,
    bucket_minutes: Annotated[
        int, Query(ge=1, le=60, description="Bucket width; buckets align to the epoch (UTC)")
    ] = 5,
) -> dict[str, Any]:
    """New: alerts first seen in the bucket, unless stored SUPPRESSED (never
    shown to an operator). Resolved: alerts resolved in the bucket. The last
    bucket holds now and is still filling."""
    now = _now()
    start, count = rate_buckets(now, hours, bucket_minutes)
    async with ctx.engine.connect() as db:
        buckets = await reports.alert_rate(
            db,
            scope=report_scope(caller),
            start=start,
            count=count,
            width=timedelta(minutes=bucket_minutes),
            now=now,
        )
    return {
        "generated_at": now.isoformat(),
        "hours": hours,
        "bucket_minutes": bucket_minutes,
        "new": sum(b.new for b in buckets),
        "resolved": sum(b.resolved for b in buckets),
        "buckets": [
            {"start": b.start.isoformat(), "new": b.new, "resolved": b.resolved} for b in buckets
        ],
    }
