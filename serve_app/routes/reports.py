"""``/api/noc/reports``: MTTR, alert frequency by type with a daily trend,
SLA compliance of incidents, noisy sites (SPEC section 9).

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
from noc_actors.domain.reports import MTTR_WINDOW, NOISY_WINDOW
from noc_actors.store.repos import reports
from serve_app.deps import Ctx, Viewer
from serve_app.scoping import report_scope

router = APIRouter(prefix="/api/noc/reports", tags=["reports"])


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/mttr", summary="Mean time to resolve (30 days), overall and per severity")
async def mttr_report(ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    now = _now()
    async with ctx.engine.connect() as db:
        by = await reports.resolve_times(db, scope=report_scope(caller), now=now)
    resolved = sum(n for n, _ in by.values())
    total = sum(n * mean for n, mean in by.values())
    return {
        "generated_at": now.isoformat(),
        "window_days": MTTR_WINDOW.days,
        "resolved": resolved,
        "overall_s": total / resolved if resolved else None,
        "by_severity": {s.value: by[s.value][1] if s.value in by else None for s in Severity},
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


@router.get("/sla-compliance", summary="Incidents resolved within their SLA target (30 days)")
async def sla_report(ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    now = _now()
    async with ctx.engine.connect() as db:
        counts = await reports.sla_counts(db, scope=report_scope(caller), now=now)
    return {
        "generated_at": now.isoformat(),
        "window_days": MTTR_WINDOW.days,
        "resolved": counts.resolved,
        "within_sla": counts.within_sla,
        "compliance": counts.within_sla / counts.resolved if counts.resolved else None,
        "open_past_sla": counts.open_past_sla,
    }


@router.get("/noisy-sites", summary="Top sites by alerts plus suppressed duplicates (7 days)")
async def noisy_sites_report(
    ctx: Ctx, caller: Viewer, top: Annotated[int, Query(ge=1, le=100)] = 10
) -> dict[str, Any]:
    now = _now()
    async with ctx.engine.connect() as db:
        sites = await reports.noisy_sites(db, scope=report_scope(caller), now=now, top=top)
    return {
        "generated_at": now.isoformat(),
        "window_days": NOISY_WINDOW.days,
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
