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

from sqlalchemy import ColumnElement, Table, and_, exists, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.audit import AuditEntry
from noc_actors.store.repos._common import after_cursor, clamp_limit, one_of, page
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import alerts, audit_log, incidents, maintenance_windows

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
    scope_clients: Sequence[str] | None = None,
    scope_sites: Sequence[str] | None = None,
    reader_id: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The tenant's audit rows, newest first by (at desc, id desc), with keyset
    pagination; ``since`` inclusive, ``until`` exclusive.

    A reader limited to some clients (``scope_clients``, and ``scope_sites``
    for a site-only reader) sees the rows about what it may see — alerts,
    incidents and maintenance windows of those clients (and sites), denials
    on those clients — and the rows of its own actions (``reader_id``); the
    tenant's configuration, tokens, users and other clients' rows stay
    hidden. None: every row of the tenant."""
    limit = clamp_limit(limit)
    conditions = [
        audit_log.c.tenant_id == tenant_id,
        None
        if scope_clients is None
        else _in_scope(tenant_id, scope_clients, scope_sites, reader_id),
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


def _in_scope(
    tenant_id: str,
    client_ids: Sequence[str],
    site_ids: Sequence[str] | None,
    reader_id: str | None,
) -> ColumnElement[bool]:
    def about(kind: str, table: Table) -> ColumnElement[bool]:
        where = [
            table.c.tenant_id == tenant_id,
            table.c.id == audit_log.c.entity_id,
            table.c.client_id.in_(list(client_ids)),
        ]
        if site_ids is not None:
            where.append(table.c.site_id.in_(list(site_ids)))
        return and_(audit_log.c.entity_type == kind, exists().where(*where))

    options = [
        about("alert", alerts),
        about("incident", incidents),
        about("maintenance_window", maintenance_windows),
    ]
    if site_ids is None:
        options.append(
            and_(audit_log.c.entity_type == "client", audit_log.c.entity_id.in_(list(client_ids)))
        )
    if reader_id is not None:
        options.append(audit_log.c.actor_id == reader_id)
    return or_(*options)
