"""``/api/noc/reports``: MTTR, alert frequency by type with a daily trend,
SLA compliance of incidents, noisy sites (SPEC section 9).

Each report is one aggregate SQL query over the caller's scope (visible
clients, and for site-only users their sites), so nothing is loaded row by
row and nothing needs a cap. The numbers are defined by the pure reference
functions in ``noc_actors.domain.reports``; the SQL here computes the same
(the e2e tests compare the two), with one addition: incidents without an
``sla_target`` have no SLA to meet and are left out of SLA compliance.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.incident import OPEN_STATES
from noc_actors.domain.reports import MTTR_WINDOW, NOISY_WINDOW
from noc_actors.store.repos._common import one_of
from noc_actors.store.schema import alerts, incidents
from serve_app.auth import Caller
from serve_app.deps import Ctx, Viewer
from serve_app.scoping import site_filter

router = APIRouter(prefix="/api/noc/reports", tags=["reports"])


def _scoped(table: Any, caller: Caller) -> list[ColumnElement[bool]]:
    """Tenant, visible clients and (site-only users) sites of ``table``'s rows.
    An empty client or site list matches nothing."""
    conditions = [
        table.c.tenant_id == caller.tenant_id,
        one_of(table.c.client_id, caller.visible_client_ids),
        one_of(table.c.site_id, site_filter(caller)),
    ]
    return [c for c in conditions if c is not None]


def scoped_alerts(caller: Caller) -> list[ColumnElement[bool]]:
    """WHERE conditions restricting ``alerts`` to what ``caller`` may see."""
    return _scoped(alerts, caller)


def _day(conn: AsyncConnection, col: Any) -> Any:
    """The UTC calendar day of a timestamp column, per dialect (PostgreSQL
    stores timestamptz; SQLite stores naive UTC text)."""
    if conn.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", col))
    return func.date(col)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/mttr", summary="Mean time to resolve (30 days), overall and per severity")
async def mttr_report(ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    now = _now()
    stmt = (
        select(alerts.c.severity, func.count(), func.avg(alerts.c.time_to_resolve))
        .where(
            *scoped_alerts(caller),
            alerts.c.status == AlertStatus.RESOLVED.value,
            alerts.c.time_to_resolve.is_not(None),
            alerts.c.resolved_at > now - MTTR_WINDOW,
            alerts.c.resolved_at <= now,
        )
        .group_by(alerts.c.severity)
    )
    async with ctx.engine.connect() as db:
        rows = (await db.execute(stmt)).all()
    by: dict[str, tuple[int, float]] = {r[0]: (int(r[1]), float(r[2])) for r in rows}
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
        day = _day(db, alerts.c.first_seen)
        stmt = (
            select(alerts.c.alert_type, day, func.count())
            .where(
                *scoped_alerts(caller),
                alerts.c.first_seen >= datetime.combine(first_day, time(), UTC),
                alerts.c.first_seen <= now,
            )
            .group_by(alerts.c.alert_type, day)
        )
        rows = (await db.execute(stmt)).all()
    daily: dict[str, dict[str, int]] = {}
    for alert_type, when, count in rows:
        per_day = daily.setdefault(alert_type, {})
        key = str(when)[:10]
        per_day[key] = per_day.get(key, 0) + int(count)
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
    since = now - MTTR_WINDOW
    col = incidents.c
    in_window = and_(col.resolved_at.is_not(None), col.resolved_at > since, col.resolved_at <= now)
    open_past = and_(
        col.resolved_at.is_(None),
        col.state.in_(sorted(s.value for s in OPEN_STATES)),
        col.sla_target < now,
    )

    def count_if(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = select(
        count_if(in_window),
        count_if(and_(in_window, col.resolved_at <= col.sla_target)),
        count_if(open_past),
    ).where(*_scoped(incidents, caller), col.sla_target.is_not(None))
    async with ctx.engine.connect() as db:
        resolved, met, breached = (int(v) for v in (await db.execute(stmt)).one())
    return {
        "generated_at": now.isoformat(),
        "window_days": MTTR_WINDOW.days,
        "resolved": resolved,
        "within_sla": met,
        "compliance": met / resolved if resolved else None,
        "open_past_sla": breached,
    }


@router.get("/noisy-sites", summary="Top sites by alerts plus suppressed duplicates (7 days)")
async def noisy_sites_report(
    ctx: Ctx, caller: Viewer, top: Annotated[int, Query(ge=1, le=100)] = 10
) -> dict[str, Any]:
    now = _now()
    n = func.count()
    dup = func.coalesce(func.sum(alerts.c.suppressed_count), 0)
    stmt = (
        select(alerts.c.client_id, alerts.c.site_id, n, dup)
        .where(
            *scoped_alerts(caller),
            alerts.c.site_id.is_not(None),
            alerts.c.first_seen > now - NOISY_WINDOW,
            alerts.c.first_seen <= now,
        )
        .group_by(alerts.c.client_id, alerts.c.site_id)
        .order_by((n + dup).desc(), alerts.c.client_id, alerts.c.site_id)
        .limit(top)
    )
    async with ctx.engine.connect() as db:
        rows = (await db.execute(stmt)).all()
    return {
        "generated_at": now.isoformat(),
        "window_days": NOISY_WINDOW.days,
        "sites": [
            {
                "client_id": cid,
                "site_id": sid,
                "alerts": int(count),
                "suppressed_duplicates": int(dups),
                "noise": int(count) + int(dups),
            }
            for cid, sid, count, dups in rows
        ],
    }
