"""``/api/noc/alerts``: search, detail, and the transitions acknowledge /
assign / escalate / resolve (single and bulk of 1–100), each through the
aggregator that owns the alert."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import InvalidInput, NotFound
from noc_actors.domain.masking import pii_fields
from noc_actors.domain.transitions import Action
from noc_actors.store.repos import alert_queries, audit
from serve_app.auth import deny, require
from serve_app.cache import cached
from serve_app.caller import Caller
from serve_app.deps import Ctx, Viewer, requires
from serve_app.errors import answer_for, message_for
from serve_app.filters import AlertSearch
from serve_app.schemas import (
    AlertPage,
    AssignIn,
    BulkIn,
    BulkOut,
    BulkResult,
    ShelveIn,
    TransitionIn,
)
from serve_app.scoping import public, visible_alert

router = APIRouter(prefix="/api/noc/alerts", tags=["alerts"])

ACTION_CAPABILITY: dict[str, Capability] = {
    "acknowledge": Capability.ACK_ALERTS,
    "resolve": Capability.ACK_ALERTS,
    "assign": Capability.ASSIGN_INCIDENTS,
    "escalate": Capability.ESCALATE,
    "shelve": Capability.ACK_ALERTS,
    "unshelve": Capability.ACK_ALERTS,
}


@router.get("", response_model=AlertPage, summary="Search alerts (newest first, keyset pages)")
async def list_alerts(
    ctx: Ctx, caller: Viewer, search: Annotated[AlertSearch, Query()]
) -> AlertPage:
    """With Redis, cached per (query, scope, PII view) for
    ``NOC_CACHE_TTL_ALERTS_S`` (60 s) at most: a committed change of an alert
    of the clients it covers makes the entry unreachable before the change
    is answered. The in-process cache is not coherent with one's own writes
    (``Cache.coherent``): there, lists are read through."""
    query = search.query(caller)

    async def page() -> dict[str, Any]:
        async with ctx.engine.connect() as db:
            items, next_cursor = await alert_queries.query_alerts(
                db, **query, limit=search.limit, cursor=search.cursor
            )
        return {"items": [public(caller, a.to_json()) for a in items], "next_cursor": next_cursor}

    if not ctx.cache.coherent:
        return AlertPage(**await page())
    parts = [json.dumps(query, sort_keys=True, default=str), str(search.limit)]
    parts += [search.cursor or "", f"pii={caller.sees_pii}"]
    found = await cached(
        ctx.cache,
        "alerts",
        caller.tenant_id,
        parts,
        query["client_ids"],
        ctx.settings.cache_ttl_alerts_s,
        page,
    )
    return AlertPage(**found)


@router.get("/{alert_id}", summary="One alert (a read of unmasked PII is audited)")
async def get_alert(alert_id: str, ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    """One alert. A caller with ``noc:view_pii`` reading an alert that holds
    PII (its masked form differs) writes a VIEW_SENSITIVE audit row naming
    the fields it saw."""
    async with ctx.engine.connect() as db:
        alert = await alert_queries.get_alert(db, tenant_id=caller.tenant_id, alert_id=alert_id)
    data = (await visible_alert(ctx, caller, alert, alert_id)).to_json()
    if caller.sees_pii:
        fields = pii_fields(data)
        if fields:
            entry = caller.audit_entry(
                AuditAction.VIEW_SENSITIVE, "alert", alert_id, {"fields": fields}
            )
            async with ctx.engine.begin() as db:
                await audit.append_audit(db, [entry])
    return public(caller, data)


Outcome = dict[str, Any] | Exception
"""An alert (as JSON) that was transitioned, or the error that refused it."""


async def _transition(
    ctx: Ctx, caller: Caller, action: Action, alert_ids: list[str], body: TransitionIn
) -> dict[str, Outcome]:
    """Route each alert to its client's aggregator (one call per client);
    the outcome of every distinct id, in request order."""
    async with ctx.engine.connect() as db:
        found = {
            a.id: a
            for a in await alert_queries.get_alerts(
                db, tenant_id=caller.tenant_id, alert_ids=alert_ids
            )
        }
    results: dict[str, Outcome] = {}
    by_client: dict[str, list[str]] = defaultdict(list)
    for aid in dict.fromkeys(alert_ids):
        alert = found.get(aid)
        if alert is None:
            results[aid] = NotFound("alert", aid)
        elif not caller.scope.allows_alert(alert.tenant_id, alert.client_id, alert.site_id):
            results[aid] = await deny(ctx, caller, "scope", "alert", aid)
        else:
            by_client[alert.client_id].append(aid)
    for client_id, ids in by_client.items():
        out = await ctx.noc.transition(
            caller.tenant_id,
            client_id,
            action,
            ids,
            caller.user_id,
            assignee=body.assignee,
            notes=body.notes,
            source_ip=caller.source_ip,
            correlation_id=caller.correlation_id,
            user_agent=caller.user_agent,
            shelve_minutes=getattr(body, "minutes", None) if action == "shelve" else None,
        )
        results.update({data["id"]: data for data in out["done"]})
        results.update(out["errors"])
    return {aid: results[aid] for aid in dict.fromkeys(alert_ids)}


def _bulk_result(caller: Caller, alert_id: str, outcome: Outcome) -> BulkResult:
    if isinstance(outcome, Exception):
        status = answer_for(outcome).status
        return BulkResult(id=alert_id, ok=False, status=status, error=message_for(outcome))
    return BulkResult(id=alert_id, ok=True, status=200, alert=public(caller, outcome))


@router.post("/bulk", response_model=BulkOut, summary="One action on 1–100 alerts")
async def bulk(body: BulkIn, ctx: Ctx, caller: Viewer) -> BulkOut:
    await require(ctx, caller, ACTION_CAPABILITY[body.action])
    if body.action == "assign" and not body.assignee:
        raise InvalidInput("assignee", "required for assign")
    outcomes = await _transition(ctx, caller, body.action, body.alert_ids, body)
    results = [_bulk_result(caller, aid, out) for aid, out in outcomes.items()]
    ok = sum(r.ok for r in results)
    return BulkOut(action=body.action, results=results, succeeded=ok, failed=len(results) - ok)


async def _one(
    ctx: Ctx, caller: Caller, action: Action, alert_id: str, body: TransitionIn | None
) -> dict[str, Any]:
    """One alert's transition: the alert, or its error raised (409, 404, 403)."""
    body = body or TransitionIn()
    if action == "assign" and not body.assignee:
        raise InvalidInput("assignee", "required for assign")
    outcome = (await _transition(ctx, caller, action, [alert_id], body))[alert_id]
    if isinstance(outcome, Exception):
        raise outcome
    return public(caller, outcome)


Acker = Annotated[Caller, Depends(requires(Capability.ACK_ALERTS))]
Assigner = Annotated[Caller, Depends(requires(Capability.ASSIGN_INCIDENTS))]
Escalator = Annotated[Caller, Depends(requires(Capability.ESCALATE))]


@router.post("/{alert_id}/acknowledge", summary="Acknowledge one alert (cancels escalation)")
async def acknowledge_alert(
    alert_id: str, ctx: Ctx, caller: Acker, body: TransitionIn | None = None
) -> dict[str, Any]:
    return await _one(ctx, caller, "acknowledge", alert_id, body)


@router.post("/{alert_id}/assign", summary="Assign one alert (body: assignee)")
async def assign_alert(alert_id: str, ctx: Ctx, caller: Assigner, body: AssignIn) -> dict[str, Any]:
    return await _one(ctx, caller, "assign", alert_id, body)


@router.post("/{alert_id}/escalate", summary="Escalate one alert to its next target")
async def escalate_alert(
    alert_id: str, ctx: Ctx, caller: Escalator, body: TransitionIn | None = None
) -> dict[str, Any]:
    return await _one(ctx, caller, "escalate", alert_id, body)


@router.post("/{alert_id}/shelve", summary="Shelve one alert for a while (body: minutes)")
async def shelve_alert(
    alert_id: str, ctx: Ctx, caller: Acker, body: ShelveIn | None = None
) -> dict[str, Any]:
    """Hide it from the default board and hold its escalation for
    ``minutes`` (60 by default, at most 7 days): when the shelf ends it is
    back, and escalated then if still unacknowledged. Audited (SHELVE)."""
    return await _one(ctx, caller, "shelve", alert_id, body or ShelveIn())


@router.post("/{alert_id}/unshelve", summary="Take one alert off its shelf now")
async def unshelve_alert(
    alert_id: str, ctx: Ctx, caller: Acker, body: TransitionIn | None = None
) -> dict[str, Any]:
    """Back on the board, its escalation as due (409 when not shelved)."""
    return await _one(ctx, caller, "unshelve", alert_id, body)


@router.post("/{alert_id}/resolve", summary="Resolve one alert (body: notes)")
async def resolve_alert(
    alert_id: str, ctx: Ctx, caller: Acker, body: TransitionIn | None = None
) -> dict[str, Any]:
    return await _one(ctx, caller, "resolve", alert_id, body)
