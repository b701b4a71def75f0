"""Aggregate reads behind the reports, the overview and health (SPEC sections
9 and 12): each one SQL aggregate over a scope, so nothing is loaded row by
row and nothing needs a cap.

A scope is the tenant plus optional client and site lists (None = all; an
empty list matches nothing). The numbers are defined by the pure reference
functions in ``noc_actors.domain.reports``; the e2e tests compare the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.enums import OPEN_STATUSES, AlertStatus, Severity
from noc_actors.domain.incident import OPEN_STATES
from noc_actors.domain.reports import EPOCH, MTTR_WINDOW, NOISY_WINDOW
from noc_actors.store.repos._common import one_of
from noc_actors.store.schema import alerts, incidents

_OPEN = sorted(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What a report may count: one tenant, optionally some clients and sites."""

    tenant_id: str
    client_ids: Sequence[str] | None = None
    site_ids: Sequence[str] | None = None

    def of(self, table: Any) -> list[ColumnElement[bool]]:
        conditions = [
            table.c.tenant_id == self.tenant_id,
            one_of(table.c.client_id, self.client_ids),
            one_of(table.c.site_id, self.site_ids),
        ]
        return [c for c in conditions if c is not None]


def _day(conn: AsyncConnection, col: Any) -> Any:
    """The UTC calendar day of a timestamp column, per dialect (PostgreSQL
    stores timestamptz; SQLite stores naive UTC text)."""
    if conn.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", col))
    return func.date(col)


async def resolve_times(
    conn: AsyncConnection, *, scope: ReportScope, now: datetime, window: timedelta = MTTR_WINDOW
) -> dict[str, tuple[int, float]]:
    """``{severity: (resolved alerts, mean seconds to resolve)}`` over ``(now - window, now]``."""
    stmt = (
        select(alerts.c.severity, func.count(), func.avg(alerts.c.time_to_resolve))
        .where(
            *scope.of(alerts),
            alerts.c.status == AlertStatus.RESOLVED.value,
            alerts.c.time_to_resolve.is_not(None),
            alerts.c.resolved_at > now - window,
            alerts.c.resolved_at <= now,
        )
        .group_by(alerts.c.severity)
    )
    return {r[0]: (int(r[1]), float(r[2])) for r in (await conn.execute(stmt)).all()}


async def daily_counts(
    conn: AsyncConnection, *, scope: ReportScope, first_day: date, now: datetime
) -> dict[str, dict[str, int]]:
    """``{alert_type: {"YYYY-MM-DD": alerts first seen that day}}`` since ``first_day``."""
    day = _day(conn, alerts.c.first_seen)
    stmt = (
        select(alerts.c.alert_type, day, func.count())
        .where(
            *scope.of(alerts),
            alerts.c.first_seen >= datetime.combine(first_day, time(), UTC),
            alerts.c.first_seen <= now,
        )
        .group_by(alerts.c.alert_type, day)
    )
    daily: dict[str, dict[str, int]] = {}
    for alert_type, when, count in (await conn.execute(stmt)).all():
        per_day = daily.setdefault(alert_type, {})
        key = str(when)[:10]
        per_day[key] = per_day.get(key, 0) + int(count)
    return daily


@dataclass(frozen=True, slots=True)
class SlaCounts:
    resolved: int
    """Incidents with an SLA target resolved in the window."""
    within_sla: int
    open_past_sla: int


async def sla_counts_by_client(
    conn: AsyncConnection, *, scope: ReportScope, now: datetime, window: timedelta = MTTR_WINDOW
) -> dict[str, SlaCounts]:
    """``{client_id: SlaCounts}`` of incidents with an ``sla_target`` (those
    without have no SLA to meet), resolved in ``(now - window, now]`` or open
    past their target; clients with neither are left out."""
    since = now - window
    col = incidents.c
    in_window = and_(col.resolved_at.is_not(None), col.resolved_at > since, col.resolved_at <= now)
    open_past = and_(
        col.resolved_at.is_(None),
        col.state.in_(sorted(s.value for s in OPEN_STATES)),
        col.sla_target < now,
    )

    def count_if(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = (
        select(
            col.client_id,
            count_if(in_window),
            count_if(and_(in_window, col.resolved_at <= col.sla_target)),
            count_if(open_past),
        )
        .where(*scope.of(incidents), col.sla_target.is_not(None))
        .group_by(col.client_id)
    )
    out: dict[str, SlaCounts] = {}
    for client_id, resolved, met, breached in (await conn.execute(stmt)).all():
        if resolved or breached:
            out[client_id] = SlaCounts(int(resolved), int(met), int(breached))
    return out


@dataclass(frozen=True, slots=True)
class NoisySite:
    client_id: str
    site_id: str
    alerts: int
    suppressed_duplicates: int


async def noisy_sites(
    conn: AsyncConnection,
    *,
    scope: ReportScope,
    now: datetime,
    top: int,
    window: timedelta = NOISY_WINDOW,
) -> list[NoisySite]:
    """The ``top`` sites by alerts plus folded duplicates, first seen in
    ``(now - window, now]``."""
    n = func.count()
    dup = func.coalesce(func.sum(alerts.c.suppressed_count), 0)
    stmt = (
        select(alerts.c.client_id, alerts.c.site_id, n, dup)
        .where(
            *scope.of(alerts),
            alerts.c.site_id.is_not(None),
            alerts.c.first_seen > now - window,
            alerts.c.first_seen <= now,
        )
        .group_by(alerts.c.client_id, alerts.c.site_id)
        .order_by((n + dup).desc(), alerts.c.client_id, alerts.c.site_id)
        .limit(top)
    )
    return [
        NoisySite(cid, sid, int(count), int(dups))
        for cid, sid, count, dups in (await conn.execute(stmt)).all()
    ]


def _epoch_seconds(conn: AsyncConnection, col: Any) -> Any:
    """Whole seconds since the epoch of a timestamp column, per dialect."""
    if conn.dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", col)), BigInteger)
    return cast(func.strftime("%s", col), Integer)


@dataclass(frozen=True, slots=True)
class RateBucket:
    start: datetime
    new: int
    resolved: int


async def alert_rate(
    conn: AsyncConnection,
    *,
    scope: ReportScope,
    start: datetime,
    count: int,
    width: timedelta,
    now: datetime,
) -> list[RateBucket]:
    """Alerts new and resolved per bucket of ``width`` from ``start`` (as
    ``noc_actors.domain.reports.alert_rate`` defines them), ``count``
    buckets, zeros included: one query, grouped by bucket number."""
    origin = int((start - EPOCH).total_seconds())
    step = int(width.total_seconds())

    def per_bucket(kind: str, col: Any, *where: ColumnElement[bool]) -> Any:
        bucket = ((_epoch_seconds(conn, col) - origin) // step).label("bucket")
        return (
            select(literal(kind).label("kind"), bucket, func.count().label("n"))
            .where(*scope.of(alerts), col >= start, col <= now, *where)
            .group_by(bucket)
        )

    stmt = union_all(
        per_bucket("new", alerts.c.first_seen, alerts.c.status != AlertStatus.SUPPRESSED.value),
        per_bucket("resolved", alerts.c.resolved_at),
    )
    new = [0] * count
    resolved = [0] * count
    for kind, bucket, n in (await conn.execute(stmt)).all():
        i = int(bucket)
        if 0 <= i < count:
            (new if kind == "new" else resolved)[i] += int(n)
    return [RateBucket(start + i * width, new[i], resolved[i]) for i in range(count)]


async def open_by_client(
    conn: AsyncConnection, *, scope: ReportScope, client_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """``{client_id: {severity: open alerts}}`` within ``scope``, every client
    of ``client_ids`` and all five severities present."""
    counts = {cid: {s.value: 0 for s in Severity} for cid in client_ids}
    if not client_ids:
        return counts
    stmt = (
        select(alerts.c.client_id, alerts.c.severity, func.count())
        .where(
            *scope.of(alerts),
            alerts.c.client_id.in_(list(client_ids)),
            alerts.c.status.in_(_OPEN),
        )
        .group_by(alerts.c.client_id, alerts.c.severity)
    )
    for client_id, severity, n in await conn.execute(stmt):
        counts[client_id][severity] = int(n)
    return counts


async def open_by_type(conn: AsyncConnection, *, scope: ReportScope) -> dict[str, int]:
    """``{alert_type: open alerts}`` within ``scope`` (types with none left out)."""
    stmt = (
        select(alerts.c.alert_type, func.count())
        .where(*scope.of(alerts), alerts.c.status.in_(_OPEN))
        .group_by(alerts.c.alert_type)
    )
    return {str(t): int(n) for t, n in await conn.execute(stmt)}


@dataclass(frozen=True, slots=True)
class QueueDepths:
    """What health reports of the alert queues, across every tenant."""

    new_alerts: int
    unacknowledged_critical: int
    backlog_older_than_1h: int


async def queue_depths(
    conn: AsyncConnection,
    *,
    now: datetime,
    tenant_id: str | None = None,
    client_ids: Sequence[str] | None = None,
) -> QueueDepths:
    """Alerts waiting: NEW, unacknowledged CRITICAL, NEW older than an hour —
    of one tenant (and these clients), or (None) of every tenant."""
    scope = []
    if tenant_id is not None:
        scope.append(alerts.c.tenant_id == tenant_id)
    if client_ids is not None:
        scope.append(alerts.c.client_id.in_(list(client_ids)))
    new = await conn.scalar(select(func.count()).where(alerts.c.status == "NEW", *scope))
    crit = await conn.scalar(
        select(func.count()).where(
            alerts.c.status.in_(("NEW", "ESCALATED")),
            alerts.c.severity == "CRITICAL",
            alerts.c.acknowledged_at.is_(None),
            *scope,
        )
    )
    backlog = await conn.scalar(
        select(func.count()).where(
            alerts.c.status == "NEW", alerts.c.first_seen < now - timedelta(hours=1), *scope
        )
    )
    return QueueDepths(int(new or 0), int(crit or 0), int(backlog or 0))
