"""PagerDuty Events API v2 compatibility: ``POST /v2/enqueue``.

The ``routing_key`` is a NOC integration key (noc:ingest); an
``Authorization: Bearer`` header works too. ``trigger`` creates or folds the
alert of ``dedup_key`` (one is generated when absent), ``acknowledge`` and
``resolve`` act on the open alert of that key. Every accepted event answers
202 ``{"status": "success", "message": "Event processed", "dedup_key"}``,
like PagerDuty — also an acknowledge or resolve for a key with no open
alert, which PagerDuty accepts silently as well.

The client comes from the key (a key limited to one client) or from
``payload.custom_details.client_id`` (id or name); the site from
``custom_details.site_id``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from noc_actors.domain.enums import Capability
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.integrations.pagerduty import PdEvent, accepted_response, pd_dedup_key
from noc_actors.store.repos import alert_queries
from serve_app.auth import authenticate, bearer_token, require
from serve_app.caller import Caller
from serve_app.deps import Ctx
from serve_app.ingest.pipeline import IngestItem
from serve_app.ingest.report import ItemKind, ItemStatus
from serve_app.ingest.schemas import ingest_answer
from serve_app.ingest.service import ingest_scope

router = APIRouter(tags=["integrations"])

ACTIONS = {"acknowledge": "acknowledge", "resolve": "resolve"}


@router.post(
    "/v2/enqueue",
    status_code=202,
    summary="PagerDuty Events API v2: trigger / acknowledge / resolve by dedup_key",
)
async def enqueue(request: Request, event: PdEvent, ctx: Ctx) -> Any:
    caller = await authenticate(ctx, request, bearer_token(request) or event.routing_key)
    await require(ctx, caller, Capability.INGEST)
    if event.event_action == "trigger":
        return await _trigger(ctx, caller, event)
    return await _act(ctx, caller, event)


async def _trigger(ctx: Ctx, caller: Caller, event: PdEvent) -> JSONResponse:
    key = event.dedup_key or uuid.uuid4().hex
    now = datetime.now(UTC)
    item = IngestItem(
        index=0,
        kind=ItemKind.ALERT,
        bind=lambda b: event.draft(b.tenant_id, b.client_id, b.site_id, key, now),
        client_ref=event.client_ref(),
        site_ref=event.site_ref(),
        client_field="payload.custom_details.client_id",
        site_field="payload.custom_details.site_id",
        numbered=False,
    )
    report = await ctx.ingest.run(caller, [item])
    ingest_answer(report)  # 503 when the client's aggregator is unavailable
    (result,) = report.items
    if result.status is ItemStatus.REJECTED:
        raise InvalidInput("payload.custom_details.client_id", result.reason or "rejected")
    return JSONResponse(accepted_response(key), status_code=202)


async def _act(ctx: Ctx, caller: Caller, event: PdEvent) -> Any:
    """acknowledge / resolve the open alert of the key, if there is one."""
    tenant = caller.tenant_id
    key = event.dedup_key
    assert key is not None  # the model requires it for these actions
    scope = ingest_scope(caller)
    if scope is None:  # every client of the tenant (an empty scope stays empty)
        scope = frozenset(caller.directory.clients)
    candidates = [pd_dedup_key(cid, key) for cid in sorted(scope)]
    async with ctx.engine.connect() as db:
        found = await alert_queries.find_open_by_keys(db, tenant_id=tenant, dedup_keys=candidates)
    for alert in found:
        await ctx.noc.transition(
            tenant,
            alert.client_id,
            ACTIONS[event.event_action],
            [alert.id],
            caller.user_id,
            source_ip=caller.source_ip,
            correlation_id=caller.correlation_id,
            user_agent=caller.user_agent,
        )
    return JSONResponse(accepted_response(key), status_code=202)
