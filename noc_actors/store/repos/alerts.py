"""Alert writes and the escalation fence.

Hot paths are batched: ``insert_alerts``, ``apply_folds`` and
``update_alerts`` each send ONE executemany statement whatever the batch size
(asyncpg pipelines it; sqlite3 loops in C). Reads live in ``alert_queries``
and are re-exported here, so ``repos.alerts`` is the one alert API.

Ordering inside a transaction: when a batch resolves an alert and opens a new
one with the same dedup key, call ``update_alerts`` before ``insert_alerts`` —
the partial unique index allows one open alert per (tenant, dedup_key).

Writes by alert id (folds, updates, claims) key on the globally unique id
the owning aggregator holds; ``update_alerts`` and ``claim_escalation`` also
check the tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, case, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import OPEN_STATUSES, AlertStatus
from noc_actors.store.repos.alert_queries import (
    count_by_status_severity,
    count_new_info_low,
    get_alert,
    get_alerts,
    list_pending_escalations,
    list_recent_alerts,
    load_open_alerts,
    query_alerts,
)
from noc_actors.store.rows import alert_to_row
from noc_actors.store.schema import alerts
from noc_actors.store.types import UTCDateTime

__all__ = [
    "AWAITING_ACK",
    "OPEN",
    "Fold",
    "apply_folds",
    "claim_escalation",
    "claim_escalations",
    "count_by_status_severity",
    "count_new_info_low",
    "get_alert",
    "get_alerts",
    "insert_alerts",
    "list_pending_escalations",
    "list_recent_alerts",
    "load_open_alerts",
    "query_alerts",
    "update_alerts",
]

OPEN: tuple[str, ...] = tuple(sorted(s.value for s in OPEN_STATUSES))
AWAITING_ACK: tuple[str, ...] = (AlertStatus.NEW.value, AlertStatus.ESCALATED.value)

Fold = tuple[str, int, datetime]
"""(alert_id, suppressed_count, last_seen): the new absolute values."""

# Every column an update may change: all but the identity of the alert.
_IMMUTABLE = {"id", "tenant_id"}
_UPDATE_COLUMNS = [c.name for c in alerts.c if c.name not in _IMMUTABLE | {"escalation_fence"}]

_FOLD = (
    update(alerts)
    .where(alerts.c.id == bindparam("b_id", type_=String()))
    .values(
        suppressed_count=bindparam("b_count", type_=Integer()),
        last_seen=bindparam("b_last_seen", type_=UTCDateTime()),
    )
)

_LEVEL = bindparam("b_escalation_level", type_=Integer())
_UPDATE = (
    update(alerts)
    .where(
        alerts.c.id == bindparam("b_id", type_=String()),
        alerts.c.tenant_id == bindparam("b_tenant_id", type_=String()),
    )
    .values(
        {name: bindparam(f"b_{name}", type_=alerts.c[name].type) for name in _UPDATE_COLUMNS}
        | {
            "escalation_level": _LEVEL,
            # The fence never falls behind a level that has been persisted,
            # so a manual escalation cannot be fired again by the timer.
            "escalation_fence": case(
                (alerts.c.escalation_fence < _LEVEL, _LEVEL), else_=alerts.c.escalation_fence
            ),
        }
    )
)


async def insert_alerts(conn: AsyncConnection, batch: Sequence[Alert]) -> None:
    """Insert new alerts (open or SUPPRESSED) in one executemany statement.

    A second open alert with an open alert's (tenant, dedup_key) raises
    ``IntegrityError``: the database refuses duplicates even if a caller
    forgets to fold."""
    if not batch:
        return
    rows = []
    for alert in batch:
        row = alert_to_row(alert)
        row["escalation_fence"] = alert.escalation_level
        rows.append(row)
    await conn.execute(insert(alerts), rows)


async def apply_folds(conn: AsyncConnection, folds: Sequence[Fold | Alert]) -> None:
    """Write folded duplicates (new suppressed_count and last_seen; absolute
    values, so a retried call is harmless) in one executemany statement."""
    if not folds:
        return
    params: list[dict[str, Any]] = []
    for fold in folds:
        alert_id, count, last_seen = (
            (fold.id, fold.suppressed_count, fold.last_seen) if isinstance(fold, Alert) else fold
        )
        params.append({"b_id": alert_id, "b_count": count, "b_last_seen": last_seen})
    await conn.execute(_FOLD, params)


async def update_alerts(conn: AsyncConnection, batch: Sequence[Alert]) -> None:
    """Persist the full state of changed alerts (acknowledged, assigned,
    escalated, resolved, suppressed) in one executemany statement."""
    if not batch:
        return
    params = []
    for alert in batch:
        row = alert_to_row(alert)
        params.append(
            {"b_id": alert.id, "b_tenant_id": alert.tenant_id}
            | {f"b_{name}": row[name] for name in _UPDATE_COLUMNS}
        )
    await conn.execute(_UPDATE, params)


async def claim_escalation(
    conn: AsyncConnection,
    *,
    alert_id: str,
    level: int,
    tenant_id: str | None = None,
    require_unacknowledged: bool = True,
) -> bool:
    """The fencing token: claim escalation ``level`` of an alert, atomically.

    True for exactly one caller per (alert, level) across restarts and
    replicas — only if the last claimed level is ``level - 1`` and the alert
    still waits for acknowledgement (NEW/ESCALATED, never acknowledged), or
    with ``require_unacknowledged=False`` (manual escalation) is still open.
    Claim first, then escalate the alert and ``update_alerts`` it."""
    conditions = _claimable(level, tenant_id, require_unacknowledged)
    stmt = update(alerts).where(alerts.c.id == alert_id, *conditions)
    result = await conn.execute(stmt.values(escalation_fence=level))
    return result.rowcount == 1


def _claimable(
    level: int, tenant_id: str | None, require_unacknowledged: bool = True
) -> list[ColumnElement[bool]]:
    """Where an alert's escalation ``level`` may be claimed (the fence)."""
    if level < 1:
        raise ValueError("escalation levels start at 1")
    conditions = [alerts.c.escalation_fence == level - 1]
    if tenant_id is not None:
        conditions.append(alerts.c.tenant_id == tenant_id)
    if require_unacknowledged:
        conditions += [alerts.c.status.in_(AWAITING_ACK), alerts.c.acknowledged_at.is_(None)]
    else:
        conditions.append(alerts.c.status.in_(OPEN))
    return conditions


async def claim_escalations(
    conn: AsyncConnection, claims: Sequence[tuple[str, int]], *, tenant_id: str
) -> set[tuple[str, int]]:
    """``claim_escalation`` (waiting for an acknowledgement) of many
    (alert id, level) pairs: one statement per distinct level, not one per
    alert. Returns the pairs claimed now; the others were not (stale, or
    claimed elsewhere)."""
    by_level: dict[int, list[str]] = {}
    for alert_id, level in claims:
        by_level.setdefault(level, []).append(alert_id)
    won: set[tuple[str, int]] = set()
    for level in sorted(by_level):  # an alert's level 1 before its level 2
        ids, conditions = by_level[level], _claimable(level, tenant_id)
        for i in range(0, len(ids), _CLAIM_CHUNK):
            stmt = (
                update(alerts)
                .where(alerts.c.id.in_(ids[i : i + _CLAIM_CHUNK]), *conditions)
                .values(escalation_fence=level)
                .returning(alerts.c.id)
            )
            won.update((alert_id, level) for alert_id in (await conn.execute(stmt)).scalars())
    return won


_CLAIM_CHUNK = 500
"""Alert ids in one claim statement (SQLite's bound-parameter limit)."""
