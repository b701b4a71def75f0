"""``GET /api/noc/alerts/{id}/timeline``: what happened to one alert, oldest
first (``noc_actors.domain.timeline``), from the audit log and the alert
itself. Anyone who may read the alert may read it (``noc:view``, the alert in
scope: 404 for none or another tenant's, 403 audited outside the scope).

Masked as the alert read is for a caller without ``noc:view_pii``: names
(``by_name``, ``assignee``, ``assignee_name``, ``target_name``) as text,
emails and phone numbers inside any other string (notes, reasons, titles).
A caller who sees PII and reads some is audited (VIEW_SENSITIVE), as the
alert read is. Incidents outside the caller's scope show without their title;
correlated alerts outside it are left out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from noc_actors.domain.enums import AuditAction
from noc_actors.domain.masking import pii_fields
from noc_actors.domain.timeline import LinkedIncident, TimelineKind, build_timeline
from noc_actors.store.repos import alert_queries, audit
from noc_actors.store.repos.timeline import alert_timeline
from serve_app.caller import Caller
from serve_app.deps import Ctx, Viewer
from serve_app.scoping import public, visible_alert

router = APIRouter(prefix="/api/noc/alerts", tags=["alerts"])


class TimelineEntryOut(BaseModel):
    """One thing that happened to the alert."""

    at: datetime
    kind: TimelineKind
    by: str | None = Field(
        description="Who did it: a user id, or 'system' for the NOC's own actions; null for "
        "what the alert itself tells (created, repeats, correlation, flapping)."
    )
    by_name: str | None = Field(description="The display name of a user ``by`` (masked as PII).")
    detail: dict[str, Any] = Field(
        description="By kind: assigned {assignee, assignee_name}; escalated {level, target, "
        "target_name}; resolved {notes}; suppressed {cause, reason, window_id, window_reason, "
        "inhibited_by}; shelved {until}; repeated {count, last_seen}; flapping {count, state}; "
        "flap_settled {count}; correlated {correlation_id, alerts, more}; incident_created / "
        "incident_linked {incident_id, title, rule}; created {severity, source}."
    )


class AlertTimeline(BaseModel):
    alert_id: str
    entries: list[TimelineEntryOut] = Field(description="Oldest first; at most 500.")
    truncated: bool = Field(description="Older audit entries were left out (the limit).")


def _incidents(caller: Caller, rows: list[dict[str, Any]]) -> dict[str, LinkedIncident]:
    """The incidents the rows name, titled when the caller may see them."""
    found: dict[str, LinkedIncident] = {}
    for row in rows:
        if row["entity_type"] != "incident" or row.get("incident_client_id") is None:
            continue
        seen = caller.scope.allows_alert(
            caller.tenant_id, row["incident_client_id"], row["incident_site_id"]
        )
        found[row["entity_id"]] = LinkedIncident(
            row["entity_id"], row["incident_title"] if seen else None
        )
    return found


@router.get(
    "/{alert_id}/timeline",
    response_model=AlertTimeline,
    summary="One alert's timeline, oldest first: created, repeats, acknowledged / assigned / "
    "escalated / resolved (who, when), shelving, suppression, flapping, correlated alerts, "
    "incident links (masked without noc:view_pii; a read of unmasked PII is audited)",
)
async def get_alert_timeline(alert_id: str, ctx: Ctx, caller: Viewer) -> AlertTimeline:
    async with ctx.engine.connect() as db:
        found = await alert_queries.get_alert(db, tenant_id=caller.tenant_id, alert_id=alert_id)
    alert = await visible_alert(ctx, caller, found, alert_id)
    async with ctx.engine.connect() as db:
        rows = await alert_timeline(db, tenant_id=caller.tenant_id, alert=alert)
    entries = build_timeline(
        alert,
        rows.audit,
        names=rows.names,
        incidents=_incidents(caller, rows.audit),
        correlated=[
            a
            for a in rows.correlated
            if caller.scope.allows_alert(a.tenant_id, a.client_id, a.site_id)
        ],
        more_correlated=rows.more_correlated,
        window_reason=rows.window_reason,
    )
    data = {
        "alert_id": alert_id,
        "entries": [e.to_json() for e in entries],
        "truncated": rows.truncated,
    }
    if caller.sees_pii:
        fields = pii_fields(data)
        if fields:
            meta = {"fields": fields, "read": "timeline"}
            entry = caller.audit_entry(AuditAction.VIEW_SENSITIVE, "alert", alert_id, meta)
            async with ctx.engine.begin() as db:
                await audit.append_audit(db, [entry])
    return AlertTimeline.model_validate(public(caller, data))
