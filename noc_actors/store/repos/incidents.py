"""Incidents: groups of alerts worked as one, with their own state machine
(the transitions themselves live in the domain; this stores the result)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.enums import IncidentState, Severity
from noc_actors.domain.errors import NotFound
from noc_actors.domain.incident import (
    DEFAULT_PRIORITY,
    OPEN_STATES,
    Incident,
    default_sla_target,
)
from noc_actors.domain.incident_rule import IncidentChange
from noc_actors.store.repos._common import after_cursor, clamp_limit, new_id, one_of, page
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import alerts, incident_alerts, incidents

UPDATABLE = frozenset(
    {
        "site_id", "title", "description", "severity", "priority", "state", "assignee",
        "acknowledged_at", "assigned_at", "resolved_at", "closed_at", "sla_target",
        "runbook_url", "resolution_notes", "escalation_level", "escalated_to", "escalated_at",
    }
)  # fmt: skip


async def _alert_ids(
    conn: AsyncConnection, tenant_id: str, incident_ids: Sequence[str]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return found
    result = await conn.execute(
        select(incident_alerts.c.incident_id, incident_alerts.c.alert_id)
        .where(
            incident_alerts.c.tenant_id == tenant_id,
            incident_alerts.c.incident_id.in_(list(incident_ids)),
        )
        .order_by(incident_alerts.c.alert_id)
    )
    for incident_id, alert_id in result:
        found[incident_id].append(alert_id)
    return found


async def link_alerts(
    conn: AsyncConnection, *, tenant_id: str, incident_id: str, alert_ids: Sequence[str]
) -> list[str]:
    """Attach the tenant's alerts to an incident; returns the newly linked ids.

    Raises ``NotFound("alert", id)`` for an id the tenant does not own, so an
    incident never points at another tenant's alert."""
    wanted = list(dict.fromkeys(alert_ids))
    if not wanted:
        return []
    owned = set(
        (
            await conn.execute(
                select(alerts.c.id).where(alerts.c.tenant_id == tenant_id, alerts.c.id.in_(wanted))
            )
        ).scalars()
    )
    for alert_id in wanted:
        if alert_id not in owned:
            raise NotFound("alert", alert_id)
    linked = set((await _alert_ids(conn, tenant_id, [incident_id]))[incident_id])
    new = [a for a in wanted if a not in linked]
    if new:
        await conn.execute(
            insert(incident_alerts),
            [{"incident_id": incident_id, "alert_id": a, "tenant_id": tenant_id} for a in new],
        )
    return new


async def create_incident(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_id: str,
    title: str,
    severity: str,
    now: datetime,
    alert_ids: Sequence[str] = (),
    site_id: str | None = None,
    description: str | None = None,
    priority: str | None = None,
    state: str = "NEW",
    assignee: str | None = None,
    sla_target: datetime | None = None,
    runbook_url: str | None = None,
    created_by: str | None = None,
    incident_id: str | None = None,
    source: str = "manual",
) -> dict[str, Any]:
    """Insert an incident and link its alerts; the incident with ``alert_ids``."""
    row: dict[str, Any] = {
        "id": incident_id or new_id(),
        "tenant_id": tenant_id,
        "client_id": client_id,
        "site_id": site_id,
        "title": title,
        "description": description,
        "severity": str(severity),
        "priority": priority,
        "state": str(state),
        "assignee": assignee,
        "created_at": now,
        "acknowledged_at": None,
        "assigned_at": None,
        "resolved_at": None,
        "closed_at": None,
        "sla_target": sla_target,
        "runbook_url": runbook_url,
        "resolution_notes": None,
        "created_by": created_by,
        "source": source,
    }
    await conn.execute(insert(incidents).values(row))
    await link_alerts(conn, tenant_id=tenant_id, incident_id=row["id"], alert_ids=alert_ids)
    return row | {"alert_ids": sorted(set(alert_ids))}


_AS_STORED = (
    "id", "tenant_id", "client_id", "site_id", "title", "created_at", "assignee", "created_by",
    "runbook_url", "acknowledged_at", "assigned_at", "resolved_at", "resolution_notes",
    "closed_at", "escalation_level", "escalated_to", "escalated_at", "source",
)  # fmt: skip


def as_incident(row: dict[str, Any]) -> Incident:
    """The domain incident of a stored row (with its ``alert_ids``)."""
    severity = Severity(row["severity"])
    return Incident(
        **{k: row[k] for k in _AS_STORED},
        description=row["description"] or "",
        severity=severity,
        priority=row["priority"] or DEFAULT_PRIORITY[severity],
        sla_target=row["sla_target"] or default_sla_target(severity, row["created_at"]),
        alert_ids=list(row["alert_ids"]),
        state=IncidentState(row["state"]),
    )


async def open_incidents(
    conn: AsyncConnection, *, tenant_id: str, client_id: str
) -> list[Incident]:
    """A client's open incidents with their alerts (what its aggregate's
    incident rule knows), oldest first."""
    result = await conn.execute(
        select(incidents)
        .where(
            incidents.c.tenant_id == tenant_id,
            incidents.c.client_id == client_id,
            incidents.c.state.in_([s.value for s in OPEN_STATES]),
        )
        .order_by(incidents.c.created_at, incidents.c.id)
    )
    rows = [as_dict(r) for r in result]
    ids = await _alert_ids(conn, tenant_id, [r["id"] for r in rows])
    return [as_incident(r | {"alert_ids": ids[r["id"]]}) for r in rows]


async def write_rule_changes(conn: AsyncConnection, changes: Sequence[IncidentChange]) -> None:
    """Store what the incident rule did in a commit: each incident it opened
    (its row and links), and for each it joined, the new links (and its
    site, when the join made it span sites); every link in one statement.
    The alerts are written before this, in the same transaction (the links
    point at them)."""
    links: list[dict[str, Any]] = []
    for change in changes:
        inc = change.incident
        if change.created:
            row = {
                "id": inc.id,
                "tenant_id": inc.tenant_id,
                "client_id": inc.client_id,
                "site_id": inc.site_id,
                "title": inc.title,
                "description": inc.description,
                "severity": inc.severity.value,
                "priority": inc.priority,
                "state": inc.state.value,
                "created_at": inc.created_at,
                "sla_target": inc.sla_target,
                "created_by": inc.created_by,
                "source": inc.source,
            }
            await conn.execute(insert(incidents).values(row))
        elif change.site_changed:  # CRITICAL joins a CRITICAL incident: only its site moves
            await conn.execute(
                update(incidents)
                .where(incidents.c.tenant_id == inc.tenant_id, incidents.c.id == inc.id)
                .values(site_id=inc.site_id)
            )
        links.extend(
            {"incident_id": inc.id, "alert_id": a, "tenant_id": inc.tenant_id} for a in change.added
        )
    if links:
        await conn.execute(insert(incident_alerts), links)


async def get_incident(
    conn: AsyncConnection, *, tenant_id: str, incident_id: str
) -> dict[str, Any] | None:
    """The incident with its ``alert_ids``, or None (also for another tenant's)."""
    row = (
        await conn.execute(
            select(incidents).where(
                incidents.c.tenant_id == tenant_id, incidents.c.id == incident_id
            )
        )
    ).first()
    if row is None:
        return None
    ids = await _alert_ids(conn, tenant_id, [incident_id])
    return as_dict(row) | {"alert_ids": ids[incident_id]}


async def update_incident(
    conn: AsyncConnection, *, tenant_id: str, incident_id: str, **changes: Any
) -> dict[str, Any] | None:
    """Change fields among ``UPDATABLE``; the updated incident, or None.

    Unknown field names raise ``ValueError`` (nothing is written)."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update incident fields {sorted(unknown)}")
    if changes:
        values = {k: (str(v) if k in ("state", "severity") else v) for k, v in changes.items()}
        await conn.execute(
            update(incidents)
            .where(incidents.c.tenant_id == tenant_id, incidents.c.id == incident_id)
            .values(values)
        )
    return await get_incident(conn, tenant_id=tenant_id, incident_id=incident_id)


async def list_incidents(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_ids: Sequence[str] | None = None,
    state: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The tenant's incidents, newest first by (created_at desc, id desc), each
    with ``alert_ids``; keyset pagination like ``query_alerts``."""
    limit = clamp_limit(limit)
    conditions = [
        incidents.c.tenant_id == tenant_id,
        one_of(incidents.c.client_id, client_ids),
        one_of(incidents.c.state, state),
        None if since is None else incidents.c.created_at >= since,
        None if until is None else incidents.c.created_at < until,
        None if cursor is None else after_cursor(incidents.c.created_at, incidents.c.id, cursor),
    ]
    stmt = (
        select(incidents)
        .where(*(c for c in conditions if c is not None))
        .order_by(incidents.c.created_at.desc(), incidents.c.id.desc())
        .limit(limit + 1)
    )
    rows, next_cursor = page((await conn.execute(stmt)).all(), limit, "created_at", "id")
    ids = await _alert_ids(conn, tenant_id, [r.id for r in rows])
    return [as_dict(r) | {"alert_ids": ids[r.id]} for r in rows], next_cursor


async def lock_incident(conn: AsyncConnection, *, tenant_id: str, incident_id: str) -> None:
    """Take the row's write lock (a no-op UPDATE) so concurrent transitions
    of one incident apply one after the other, each on the fresh state."""
    await conn.execute(
        update(incidents)
        .where(incidents.c.tenant_id == tenant_id, incidents.c.id == incident_id)
        .values(state=incidents.c.state)
    )
