"""Alert reads: reload, lookup, search with stable keyset pagination, counts.

Import these through ``repos.alerts``. Every query is scoped to one tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import OPEN_STATUSES, AlertStatus, Severity
from noc_actors.domain.inhibition import REASON_PREFIX
from noc_actors.store.repos._common import after_cursor, clamp_limit, one_of, page
from noc_actors.store.rows import row_to_alert
from noc_actors.store.schema import alerts

_OPEN = tuple(sorted(s.value for s in OPEN_STATUSES))
_AWAITING_ACK = (AlertStatus.NEW.value, AlertStatus.ESCALATED.value)


async def _alerts(conn: AsyncConnection, *where: ColumnElement[bool] | None) -> list[Alert]:
    stmt = select(alerts).where(*(w for w in where if w is not None))
    result = await conn.execute(stmt.order_by(alerts.c.first_seen, alerts.c.id))
    return [row_to_alert(r) for r in result]


def _client(client_id: str | None) -> ColumnElement[bool] | None:
    return None if client_id is None else alerts.c.client_id == client_id


async def load_open_alerts(
    conn: AsyncConnection, *, tenant_id: str, client_id: str | None = None
) -> list[Alert]:
    """Open alerts (NEW, ACKNOWLEDGED, ASSIGNED, ESCALATED), oldest first:
    what an aggregator reloads on (re)start."""
    return await _alerts(
        conn, alerts.c.tenant_id == tenant_id, _client(client_id), alerts.c.status.in_(_OPEN)
    )


async def load_inhibited(
    conn: AsyncConnection, *, tenant_id: str, client_id: str, source_ids: Sequence[str]
) -> list[Alert]:
    """The client's SUPPRESSED rows held by these open sources (``inhibited
    by <id>``): the targets an aggregator holds again on (re)start, until
    their source closes. No query without sources (the usual case)."""
    if not source_ids:
        return []
    result = await conn.execute(
        select(alerts)
        .where(
            alerts.c.tenant_id == tenant_id,
            alerts.c.client_id == client_id,
            alerts.c.status == AlertStatus.SUPPRESSED.value,
            alerts.c.suppression_reason.in_([f"{REASON_PREFIX}{i}" for i in source_ids]),
        )
        .order_by(alerts.c.last_seen, alerts.c.id)
    )
    return [row_to_alert(r) for r in result]


async def find_open_by_keys(
    conn: AsyncConnection, *, tenant_id: str, dedup_keys: Sequence[str]
) -> list[Alert]:
    """The open alerts holding any of ``dedup_keys`` (at most one per key)."""
    if not dedup_keys:
        return []
    return await _alerts(
        conn,
        alerts.c.tenant_id == tenant_id,
        alerts.c.dedup_key.in_(list(dedup_keys)),
        alerts.c.status.in_(_OPEN),
    )


async def list_recent_alerts(
    conn: AsyncConnection, *, tenant_id: str, client_id: str | None = None, since: datetime
) -> list[Alert]:
    """Alerts of any status first seen at or after ``since`` (to seed the
    correlator with the last correlation window), oldest first."""
    return await _alerts(
        conn, alerts.c.tenant_id == tenant_id, _client(client_id), alerts.c.first_seen >= since
    )


async def list_pending_escalations(
    conn: AsyncConnection, *, tenant_id: str, client_id: str | None = None
) -> list[Alert]:
    """Alerts still waiting for acknowledgement (NEW, or ESCALATED and never
    acknowledged): what the escalation timer re-arms after a restart. The
    next level to claim is ``alert.escalation_level + 1``."""
    return await _alerts(
        conn,
        alerts.c.tenant_id == tenant_id,
        _client(client_id),
        alerts.c.status.in_(_AWAITING_ACK),
        alerts.c.acknowledged_at.is_(None),
    )


async def get_alert(conn: AsyncConnection, *, tenant_id: str, alert_id: str) -> Alert | None:
    """The alert, or None — also when it belongs to another tenant."""
    row = (
        await conn.execute(
            select(alerts).where(alerts.c.tenant_id == tenant_id, alerts.c.id == alert_id)
        )
    ).first()
    return row_to_alert(row) if row else None


async def get_alerts(
    conn: AsyncConnection, *, tenant_id: str, alert_ids: Sequence[str]
) -> list[Alert]:
    """The tenant's alerts among ``alert_ids`` (unknown ids are skipped)."""
    if not alert_ids:
        return []
    return await _alerts(conn, alerts.c.tenant_id == tenant_id, alerts.c.id.in_(list(alert_ids)))


async def query_alerts(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_ids: Sequence[str] | None = None,
    site_ids: Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    severity: str | Sequence[str] | None = None,
    alert_type: str | Sequence[str] | None = None,
    correlation_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
    source: str | Sequence[str] | None = None,
    shelved: str = "include",
) -> tuple[list[Alert], str | None]:
    """Search alerts, newest first by (first_seen desc, id desc).

    ``client_ids``/``site_ids`` None means no restriction, an empty list
    means nothing (a user who may see no client sees no alert). ``since`` is
    inclusive, ``until`` exclusive, both on first_seen. Pagination is keyset:
    pass back ``next_cursor``; pages stay stable while new alerts arrive.
    ``shelved``: ``include`` (every alert), ``exclude`` (not those on a
    shelf now) or ``only`` (those on a shelf now).
    Returns ``(alerts, next_cursor)``; ``next_cursor`` is None on the last page."""
    limit = clamp_limit(limit)
    conditions: list[ColumnElement[bool] | None] = [
        alerts.c.tenant_id == tenant_id,
        one_of(alerts.c.client_id, client_ids),
        one_of(alerts.c.site_id, site_ids),
        one_of(alerts.c.status, status),
        one_of(alerts.c.severity, severity),
        one_of(alerts.c.alert_type, alert_type),
        one_of(alerts.c.source, source),
        None if correlation_id is None else alerts.c.correlation_id == correlation_id,
        None if since is None else alerts.c.first_seen >= since,
        None if until is None else alerts.c.first_seen < until,
        None if cursor is None else after_cursor(alerts.c.first_seen, alerts.c.id, cursor),
        _shelf(shelved),
    ]
    stmt = (
        select(alerts)
        .where(*(c for c in conditions if c is not None))
        .order_by(alerts.c.first_seen.desc(), alerts.c.id.desc())
        .limit(limit + 1)
    )
    rows = (await conn.execute(stmt)).all()
    items, next_cursor = page(rows, limit, "first_seen", "id")
    return [row_to_alert(r) for r in items], next_cursor


def _shelf(shelved: str) -> ColumnElement[bool] | None:
    now = datetime.now(UTC)
    if shelved == "exclude":
        return or_(alerts.c.shelved_until.is_(None), alerts.c.shelved_until <= now)
    if shelved == "only":
        return alerts.c.shelved_until > now
    if shelved != "include":
        raise ValueError(f"shelved must be include, exclude or only, not {shelved!r}")
    return None


async def count_by_status_severity(
    conn: AsyncConnection, *, tenant_id: str, client_id: str | None = None
) -> dict[str, dict[str, int]]:
    """``{status: {severity: count}}`` over the tenant's (or client's) alerts;
    combinations without alerts are absent."""
    stmt = select(alerts.c.status, alerts.c.severity, func.count()).where(
        alerts.c.tenant_id == tenant_id
    )
    if client_id is not None:
        stmt = stmt.where(alerts.c.client_id == client_id)
    stmt = stmt.group_by(alerts.c.status, alerts.c.severity)
    counts: dict[str, dict[str, int]] = {}
    for status, severity, count in await conn.execute(stmt):
        counts.setdefault(status, {})[severity] = int(count)
    return counts


async def count_new_info_low_by_client(conn: AsyncConnection, *, tenant_id: str) -> dict[str, int]:
    """NEW INFO/LOW alerts of the tenant per client (clients with none are absent)."""
    stmt = (
        select(alerts.c.client_id, func.count())
        .where(
            alerts.c.tenant_id == tenant_id,
            alerts.c.severity.in_((Severity.INFO.value, Severity.LOW.value)),
            alerts.c.status == AlertStatus.NEW.value,
        )
        .group_by(alerts.c.client_id)
    )
    return {cid: int(n) for cid, n in (await conn.execute(stmt)).all()}


async def count_new_info_low(conn: AsyncConnection, *, tenant_id: str) -> int:
    """How many NEW alerts of severity INFO or LOW the tenant holds (the
    backpressure gauge)."""
    stmt = select(func.count()).where(
        alerts.c.tenant_id == tenant_id,
        alerts.c.severity.in_((Severity.INFO.value, Severity.LOW.value)),
        alerts.c.status == AlertStatus.NEW.value,
    )
    return int((await conn.execute(stmt)).scalar_one())
