"""The audit trail: append-only (the database refuses UPDATE and DELETE).

Entries are mappings or objects (dataclass, pydantic model, plain object)
with the ``AUDIT_FIELDS`` below; ``tenant_id``, ``action`` and ``at`` are
required. Appends are batched: one executemany statement per call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.audit import AuditEntry
from noc_actors.store.repos._common import after_cursor, clamp_limit, one_of, page
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import audit_log

AUDIT_FIELDS = (
    "tenant_id",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "metadata",
    "source_ip",
    "user_agent",
    "correlation_id",
    "at",
)
REQUIRED = ("tenant_id", "action", "at")


def _as_mapping(entry: object) -> Mapping[str, Any]:
    if isinstance(entry, Mapping):
        unknown = set(entry) - set(AUDIT_FIELDS)
        if unknown:
            raise ValueError(f"unknown audit fields {sorted(unknown)}")
        return entry
    if isinstance(entry, AuditEntry):  # the common case: a shallow copy, not asdict's deep one
        return entry.to_dict()
    if dataclasses.is_dataclass(entry) and not isinstance(entry, type):
        return dataclasses.asdict(entry)
    dump = getattr(entry, "model_dump", None)
    if callable(dump):
        dumped: Mapping[str, Any] = dump()
        return dumped
    return {name: getattr(entry, name) for name in AUDIT_FIELDS if hasattr(entry, name)}


def audit_row(entry: object) -> dict[str, Any]:
    """The ``audit_log`` row of an entry (ValueError if a required field is missing)."""
    data = _as_mapping(entry)
    missing = [f for f in REQUIRED if data.get(f) is None]
    if missing:
        raise ValueError(f"audit entry lacks {missing}")
    row = {name: data.get(name) for name in AUDIT_FIELDS}
    row["action"] = str(row["action"])
    row["metadata"] = dict(row["metadata"] or {})
    return row


async def append_audit(conn: AsyncConnection, entries: Sequence[object]) -> None:
    """Append audit entries in one statement (all or nothing with the caller's
    transaction)."""
    if not entries:
        return
    await conn.execute(insert(audit_log), [audit_row(e) for e in entries])


async def query_audit(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    action: str | Sequence[str] | None = None,
    actor_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The tenant's audit rows, newest first by (at desc, id desc), with keyset
    pagination; ``since`` inclusive, ``until`` exclusive."""
    limit = clamp_limit(limit)
    conditions = [
        audit_log.c.tenant_id == tenant_id,
        one_of(audit_log.c.action, action),
        None if actor_id is None else audit_log.c.actor_id == actor_id,
        None if entity_type is None else audit_log.c.entity_type == entity_type,
        None if entity_id is None else audit_log.c.entity_id == entity_id,
        None if since is None else audit_log.c.at >= since,
        None if until is None else audit_log.c.at < until,
        None if cursor is None else after_cursor(audit_log.c.at, audit_log.c.id, cursor, int),
    ]
    stmt = (
        select(audit_log)
        .where(*(c for c in conditions if c is not None))
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit + 1)
    )
    rows = (await conn.execute(stmt)).all()
    items, next_cursor = page(rows, limit, "at", "id")
    return [as_dict(r) for r in items], next_cursor
