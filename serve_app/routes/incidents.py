"""``/api/noc/incidents``: create an incident from alerts, list, detail, the
transitions acknowledge / assign / start / resolve / close (SPEC section 7),
and escalate (one level up the client's escalation chain).

The state machine is the domain ``Incident``; this module loads the row,
applies the transition, stores the result, audits it (``TRANSITION_AUDIT``),
tells the client's aggregate (its incident rule) and pushes it to the hub.
Incidents the correlation rule opens (``source`` ``rule:critical_burst``)
are written by the aggregates, in their ingest's transaction. Resolving an
incident resolves its still-open alerts through the aggregators that own
them."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from noc_actors.domain.alert import Alert
from noc_actors.domain.audit import AuditEntry
from noc_actors.domain.enums import Capability
from noc_actors.domain.errors import InvalidInput, InvalidTransition, NotFound, Unavailable
from noc_actors.domain.escalation import EscalationTarget
from noc_actors.domain.hub_events import HubEvent
from noc_actors.domain.incident import TRANSITION_AUDIT, Incident, create_incident
from noc_actors.domain.schema_rules import NOT_BLANK
from noc_actors.store.repos import alert_queries, audit
from noc_actors.store.repos import incidents as repo
from noc_actors.store.tenancy import load_client_context
from serve_app.auth import deny, require
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.deps import Ctx, Viewer, requires
from serve_app.filters import IncidentSearch
from serve_app.schemas import AssignIn, StrictModel, TransitionIn
from serve_app.scoping import public

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/noc/incidents", tags=["incidents"])

IncidentAction = Literal["acknowledge", "assign", "start", "resolve", "close", "escalate"]
GenericAction = Literal["acknowledge", "start", "resolve", "close"]
"""The transitions of ``POST /{id}/{action}``; ``assign`` has its own route
(its body needs an assignee)."""
AlertId = Annotated[str, Field(min_length=1, max_length=128)]
ACTION_CAPABILITY: dict[str, Capability] = {
    a: Capability.ASSIGN_INCIDENTS for a in ("assign", "start", "resolve", "close")
} | {"acknowledge": Capability.ACK_ALERTS}
Assigner = Annotated[Caller, Depends(requires(Capability.ASSIGN_INCIDENTS))]
Escalator = Annotated[Caller, Depends(requires(Capability.ESCALATE))]


class IncidentIn(StrictModel):
    """Body of ``POST /api/noc/incidents``: 1–100 alerts of one client."""

    alert_ids: list[AlertId] = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=4000)
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    runbook_url: str | None = Field(
        default=None, max_length=2000, pattern=rf"^https?://{NOT_BLANK}+$"
    )  # not \S: ECMA's and Python's whitespace differ (U+0085)
    assignee: str | None = Field(default=None, min_length=1, max_length=128)


_CREATED = (
    "tenant_id", "client_id", "site_id", "title", "description", "priority", "assignee",
    "sla_target", "runbook_url", "created_by", "alert_ids",
)  # fmt: skip
_CHANGED = (
    "assignee", "acknowledged_at", "assigned_at", "resolved_at", "closed_at", "resolution_notes",
    "escalation_level", "escalated_to", "escalated_at",
)  # fmt: skip
"""Fields a transition may change (besides ``state``)."""


def _stored(inc: Incident) -> dict[str, Any]:
    return {"state": inc.state.value} | {k: getattr(inc, k) for k in _CHANGED}


class IncidentPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


_DERIVED = ("time_to_ack", "time_to_assign", "time_to_resolve", "sla_met")


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """The stored incident with its derived durations, as JSON types."""
    inc = repo.as_incident(row)
    derived = {k: getattr(inc, k) for k in _DERIVED} | {"alert_count": len(inc.alert_ids)}
    return jsonable_encoder(row | derived)  # type: ignore[no-any-return]


async def _tell_client(ctx: AppContext, row: dict[str, Any]) -> None:
    """Tell the client's aggregate (its incident rule) what an operator did:
    an alert in an incident never starts another one, and a closed rule
    incident takes no more alerts. Best effort: the change is stored, and
    the aggregate reads it on its next load anyway."""
    try:
        await ctx.noc.incident_changed(repo.as_incident(row))
    except (NotFound, Unavailable) as err:
        log.warning("incident %s: its client's aggregate was not told: %s", row["id"], err)


def _entry(caller: Caller, action: str, incident_id: str, meta: dict[str, Any]) -> AuditEntry:
    return caller.audit_entry(TRANSITION_AUDIT[action], "incident", incident_id, meta)


def _publish(ctx: AppContext, kind: str, action: str, view: dict[str, Any]) -> None:
    """Push the change (unmasked: the WebSocket edge masks per user)."""
    event: HubEvent = {
        "type": kind,
        "action": action,
        "tenant_id": view["tenant_id"],
        "client_id": view["client_id"],
        "site_id": view["site_id"],
        "incident": view,
    }
    ctx.noc.publish([event])


async def _visible(ctx: Ctx, caller: Caller, incident_id: str) -> dict[str, Any]:
    """The incident if the caller may see it: 404 for none / another tenant's,
    403 (audited) outside the caller's scope."""
    async with ctx.engine.connect() as db:
        row = await repo.get_incident(db, tenant_id=caller.tenant_id, incident_id=incident_id)
    if row is None:
        raise NotFound("incident", incident_id)
    if not caller.scope.allows_alert(caller.tenant_id, row["client_id"], row["site_id"]):
        raise await deny(ctx, caller, "scope", "incident", incident_id)
    return row


@router.post("", status_code=201, summary="Create an incident from 1–100 alerts of one client")
async def create(body: IncidentIn, ctx: Ctx, caller: Assigner) -> dict[str, Any]:
    async with ctx.engine.connect() as db:
        found = {
            a.id: a
            for a in await alert_queries.get_alerts(
                db, tenant_id=caller.tenant_id, alert_ids=body.alert_ids
            )
        }
    chosen: dict[str, Alert] = {}
    for i, aid in enumerate(body.alert_ids):
        alert = found.get(aid)
        if alert is None:
            raise InvalidInput("alert_ids", f"alert {aid!r} not found", item=i)
        if not caller.scope.allows_alert(alert.tenant_id, alert.client_id, alert.site_id):
            raise await deny(ctx, caller, "scope", "alert", aid)
        first = next(iter(chosen.values()), alert)
        if alert.client_id != first.client_id:
            raise InvalidInput("alert_ids", "all alerts must belong to one client", item=i)
        chosen[aid] = alert
    now = datetime.now(UTC)
    inc = create_incident(
        list(chosen.values()),
        body.title,
        now,
        description=body.description,
        priority=body.priority,
        assignee=body.assignee,
        runbook_url=body.runbook_url,
        created_by=caller.user_id,
    )
    meta = {"alert_ids": inc.alert_ids, "severity": inc.severity.value, "priority": inc.priority}
    entries = [_entry(caller, "create", inc.id, meta | {"client_id": inc.client_id})]
    async with ctx.engine.begin() as db:
        await repo.create_incident(
            db,
            **{k: getattr(inc, k) for k in _CREATED},
            severity=inc.severity.value,
            state=inc.state.value,
            incident_id=inc.id,
            now=now,
        )
        row = await repo.update_incident(
            db, tenant_id=inc.tenant_id, incident_id=inc.id, **_stored(inc)
        )
        if inc.assignee is not None:
            entries.append(_entry(caller, "assign", inc.id, {"assignee": inc.assignee}))
        await audit.append_audit(db, entries)
    if row is None:  # pragma: no cover - written in this very transaction
        raise NotFound("incident", inc.id)
    await _tell_client(ctx, row)
    view = _view(row)
    _publish(ctx, "incident_new", "create", view)
    return public(caller, view)


@router.get("", response_model=IncidentPage, summary="Incidents (newest first, keyset pages)")
async def list_incidents(
    ctx: Ctx, caller: Viewer, search: Annotated[IncidentSearch, Query()]
) -> IncidentPage:
    """Scoped to the caller's clients; a site-scoped caller gets the incidents
    of its sites only (so a page may hold fewer than ``limit``)."""
    async with ctx.engine.connect() as db:
        rows, next_cursor = await repo.list_incidents(
            db, **search.query(caller), limit=search.limit, cursor=search.cursor
        )
    items = [
        public(caller, _view(r))
        for r in rows
        if caller.scope.allows_alert(caller.tenant_id, r["client_id"], r["site_id"])
    ]
    return IncidentPage(items=items, next_cursor=next_cursor)


@router.get("/{incident_id}", summary="One incident with its alerts")
async def get_incident(incident_id: str, ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    row = await _visible(ctx, caller, incident_id)
    async with ctx.engine.connect() as db:
        alerts = await alert_queries.get_alerts(
            db, tenant_id=caller.tenant_id, alert_ids=row["alert_ids"]
        )
    view = _view(row) | {"alerts": [a.to_json() for a in sorted(alerts, key=lambda a: a.id)]}
    return public(caller, view)


def _apply(
    inc: Incident,
    action: IncidentAction,
    caller: Caller,
    body: TransitionIn,
    now: datetime,
    chain: list[EscalationTarget],
) -> None:
    if action == "escalate":
        inc.escalate(chain, now)
    elif action == "acknowledge":
        inc.acknowledge(caller.user_id, now)
    elif action == "assign":
        inc.assign(body.assignee or "", now, by=caller.user_id)
    elif action == "start":
        inc.start(now)
    elif action == "resolve":
        inc.resolve(caller.user_id, now, body.notes)
    else:
        inc.close(caller.user_id, now)


async def _resolve_alerts(ctx: Ctx, caller: Caller, inc: Incident) -> dict[str, Any]:
    """Resolve the incident's still-open alerts, one aggregator call per client.
    Alerts already closed are fine; failures are reported, not raised (the
    incident is resolved already)."""
    async with ctx.engine.connect() as db:
        alerts = await alert_queries.get_alerts(
            db, tenant_id=caller.tenant_id, alert_ids=inc.alert_ids
        )
    by_client: dict[str, list[str]] = defaultdict(list)
    for a in alerts:
        if a.is_open:
            by_client[a.client_id].append(a.id)
    notes = inc.resolution_notes or f"resolved with incident {inc.id}"
    resolved: list[str] = []
    failed: dict[str, str] = {}
    for client_id, ids in by_client.items():
        try:
            out = await ctx.noc.transition(
                caller.tenant_id,
                client_id,
                "resolve",
                ids,
                caller.user_id,
                notes=notes,
                source_ip=caller.source_ip,
                correlation_id=caller.correlation_id,
                user_agent=caller.user_agent,
            )
        except (NotFound, Unavailable) as err:
            failed.update({aid: str(err) for aid in ids})
            continue
        resolved.extend(d["id"] for d in out["done"])
        for aid, problem in out["errors"].items():
            if not isinstance(problem, InvalidTransition):
                failed[aid] = str(problem)
    return {"resolved": sorted(resolved), "failed": failed}


@router.post("/{incident_id}/assign", summary="Assign the incident (body: assignee)")
async def assign(incident_id: str, ctx: Ctx, caller: Assigner, body: AssignIn) -> dict[str, Any]:
    """Assign the incident to ``assignee`` (409 when its state does not allow it)."""
    return await _transition(ctx, caller, incident_id, "assign", body)


@router.post("/{incident_id}/escalate", summary="Escalate the incident one level")
async def escalate(
    incident_id: str, ctx: Ctx, caller: Escalator, body: TransitionIn | None = None
) -> dict[str, Any]:
    """One level up the escalation chain of the incident's client and site,
    as an alert's manual escalation (``noc:escalate``): the level's target —
    the on-call user when a schedule names one — or, past the chain's end,
    the tenant's admins. The state stays; 409 once resolved or closed.
    Audited (level and target) and pushed as ``incident_updated``."""
    return await _transition(ctx, caller, incident_id, "escalate", body or TransitionIn())


@router.post(
    "/{incident_id}/{action}",
    summary="acknowledge | start | resolve (body: notes) | close",
)
async def transition(
    incident_id: str,
    action: GenericAction,
    ctx: Ctx,
    caller: Viewer,
    body: TransitionIn | None = None,
) -> dict[str, Any]:
    """Apply one transition of the incident state machine (409 when the
    current state does not allow it). Resolving also resolves the incident's
    open alerts; the outcome is under ``cascade``."""
    await require(ctx, caller, ACTION_CAPABILITY[action])
    return await _transition(ctx, caller, incident_id, action, body or TransitionIn())


async def _transition(
    ctx: AppContext, caller: Caller, incident_id: str, action: IncidentAction, body: TransitionIn
) -> dict[str, Any]:
    await _visible(ctx, caller, incident_id)
    async with ctx.engine.begin() as db:
        await repo.lock_incident(db, tenant_id=caller.tenant_id, incident_id=incident_id)
        row = await repo.get_incident(db, tenant_id=caller.tenant_id, incident_id=incident_id)
        if row is None:
            raise NotFound("incident", incident_id)
        inc = repo.as_incident(row)
        before = inc.state
        now = datetime.now(UTC)
        chain: list[EscalationTarget] = []
        if action == "escalate" and inc.is_open:
            context = await load_client_context(
                db, inc.tenant_id, inc.client_id, ctx.settings.policy, now
            )
            chain = context.escalation.resolve_chain(context.contacts, inc.client_id, inc.site_id)
        _apply(inc, action, caller, body, now, chain)  # InvalidTransition -> 409, no write
        row = await repo.update_incident(
            db, tenant_id=caller.tenant_id, incident_id=incident_id, **_stored(inc)
        )
        meta: dict[str, Any] = {"from": before.value, "to": inc.state.value}
        if action == "assign":
            meta["assignee"] = inc.assignee
        if action == "escalate":
            meta |= {"level": inc.escalation_level, "target": inc.escalated_to}
            if body.notes:
                meta["notes"] = body.notes
        await audit.append_audit(db, [_entry(caller, action, incident_id, meta)])
    if row is None:  # pragma: no cover - locked and read in this very transaction
        raise NotFound("incident", incident_id)
    await _tell_client(ctx, row)
    view = _view(row)
    if action == "resolve":
        view["cascade"] = await _resolve_alerts(ctx, caller, inc)
    _publish(ctx, "incident_updated", action, view)
    return public(caller, view)
