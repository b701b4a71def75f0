"""The reads behind one alert's timeline (``domain.timeline``), scoped to one
tenant and bounded:

1. the audit rows about the alert (the actions of its story, not reads or
   denials) and the INCIDENT_CREATE / INCIDENT_LINK rows of the incidents it
   belongs to (``incident_alerts``), newest ``limit`` of them, each with its
   incident's title, client and site (an outer join);
2. the display names of the users those rows name (actors, assignees,
   escalation targets), when there are any;
3. the other alerts of its correlation id (``correlated_limit``), when it has one;
4. the maintenance window that suppressed it, when one did.

Audit rows about an alert are written at or after it was first seen, so the
read starts there (less ``CLOCK_SLACK`` for the clocks of other processes)
and walks the ``(tenant_id, at, id)`` index from that time on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.alert import Alert
from noc_actors.domain.timeline import (
    ALERT_ACTIONS,
    INCIDENT_ACTIONS,
    names_wanted,
    suppression_detail,
)
from noc_actors.store.repos.maintenance import get_window
from noc_actors.store.rows import as_dict, row_to_alert
from noc_actors.store.schema import alerts, audit_log, incident_alerts, incidents, users

AUDIT_LIMIT: Final = 480
"""Audit rows at most; with the entries the alert itself gives, a timeline
holds at most 500."""
CORRELATED_LIMIT: Final = 20
CLOCK_SLACK: Final = timedelta(minutes=5)


@dataclass
class TimelineRows:
    """What the timeline of one alert is built from."""

    audit: list[dict[str, Any]] = field(default_factory=list)
    """Oldest first; incident rows carry ``incident_title``,
    ``incident_client_id`` and ``incident_site_id``."""
    truncated: bool = False
    """More audit rows than the limit: the oldest were left out."""
    names: dict[str, str] = field(default_factory=dict)
    correlated: list[Alert] = field(default_factory=list)
    more_correlated: bool = False
    window_reason: str | None = None


async def alert_timeline(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    alert: Alert,
    limit: int = AUDIT_LIMIT,
    correlated_limit: int = CORRELATED_LIMIT,
) -> TimelineRows:
    """The rows of ``alert``'s timeline (see the module docstring)."""
    out = TimelineRows()
    out.audit, out.truncated = await _audit_rows(conn, tenant_id, alert, limit)
    wanted = names_wanted(out.audit)
    if wanted:
        named = await conn.execute(
            select(users.c.id, users.c.display_name).where(
                users.c.tenant_id == tenant_id, users.c.id.in_(sorted(wanted))
            )
        )
        out.names = {r.id: r.display_name for r in named}
    if alert.correlation_id is not None:
        found = await conn.execute(
            select(alerts)
            .where(
                alerts.c.tenant_id == tenant_id,
                alerts.c.correlation_id == alert.correlation_id,
                alerts.c.client_id == alert.client_id,
                alerts.c.id != alert.id,
            )
            .order_by(alerts.c.first_seen, alerts.c.id)
            .limit(correlated_limit + 1)
        )
        kin = [row_to_alert(r) for r in found]
        out.correlated, out.more_correlated = kin[:correlated_limit], len(kin) > correlated_limit
    window_id = suppression_detail(alert.suppression_reason or "").get("window_id")
    if window_id:
        window = await get_window(
            conn, tenant_id=tenant_id, window_id=window_id, include_deleted=True
        )
        out.window_reason = window.reason if window is not None else None
    return out


async def _audit_rows(
    conn: AsyncConnection, tenant_id: str, alert: Alert, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    of_alert = select(incident_alerts.c.incident_id).where(
        incident_alerts.c.tenant_id == tenant_id, incident_alerts.c.alert_id == alert.id
    )
    about = or_(
        and_(
            audit_log.c.entity_type == "alert",
            audit_log.c.entity_id == alert.id,
            audit_log.c.action.in_(ALERT_ACTIONS),
        ),
        and_(
            audit_log.c.entity_type == "incident",
            audit_log.c.action.in_(INCIDENT_ACTIONS),
            audit_log.c.entity_id.in_(of_alert),
        ),
    )
    joined = audit_log.outerjoin(
        incidents,
        and_(
            audit_log.c.entity_type == "incident",
            incidents.c.tenant_id == audit_log.c.tenant_id,
            incidents.c.id == audit_log.c.entity_id,
        ),
    )
    stmt = (
        select(
            audit_log,
            incidents.c.title.label("incident_title"),
            incidents.c.client_id.label("incident_client_id"),
            incidents.c.site_id.label("incident_site_id"),
        )
        .select_from(joined)
        .where(
            audit_log.c.tenant_id == tenant_id,
            audit_log.c.at >= alert.first_seen - CLOCK_SLACK,
            about,
        )
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit + 1)
    )
    rows = [as_dict(r) for r in await conn.execute(stmt)]
    return rows[:limit][::-1], len(rows) > limit
