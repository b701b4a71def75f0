"""``GET /api/noc/health`` and ``GET /metrics`` (``serve_app.health``).

Health without a token is the public probe for load balancers: status and
the names of failing components only, 200 while the replica can serve
(``degraded`` included: a cache outage must not pull every replica out), 503
when it cannot (the database is unreachable). With a bearer token it is the
operator's view: every component's figures, for a token with
``noc:configure`` scoped to its tenant and visible clients (any other token:
403 and an UNAUTHORIZED_ACCESS audit row), or for ``NOC_OPERATOR_KEY``
everything. ``/metrics`` is the same details in Prometheus text, with each visible
client's load (``noc_client_*``),
and needs the same token (Prometheus: ``authorization: {credentials:
<token>}``)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from noc_actors.domain.enums import Capability
from serve_app.auth import authenticate, bearer_token, require
from serve_app.context import AppContext
from serve_app.deps import Ctx
from serve_app.errors import Unauthenticated
from serve_app.health import (
    CHECK_TIMEOUT_S,
    OPERATOR,
    Reader,
    gather_health,
    http_status,
    liveness,
)
from serve_app.metrics_text import prometheus_text

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


async def reader_of(ctx: AppContext, request: Request, token: str) -> Reader:
    """Who reads the details: the operator key, or a ``noc:configure``
    token (its tenant, its visible clients); 401/403 otherwise."""
    key = ctx.settings.operator_key
    if key is not None and hmac.compare_digest(token.encode(), key.get_secret_value().encode()):
        return OPERATOR
    caller = await authenticate(ctx, request, token)
    await require(ctx, caller, Capability.CONFIGURE)
    visible = caller.visible_client_ids
    clients = frozenset(caller.directory.clients if visible is None else visible)
    return Reader(caller.tenant_id, clients)


@router.get(
    "/api/noc/health",
    summary="Health: public status (200 serving, 503 not), or details with a token",
)
async def health(ctx: Ctx, request: Request) -> JSONResponse:
    token = bearer_token(request)
    if token is None:
        alive = await liveness(ctx)
        return JSONResponse(alive, status_code=http_status(alive["status"]))
    body = await gather_health(ctx, await reader_of(ctx, request, token))
    return JSONResponse(body, status_code=http_status(body["status"]))


@router.get(
    "/metrics",
    responses={
        200: {
            "description": "Prometheus text format 0.0.4",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
    summary="Prometheus metrics of the NOC (text format; bearer token)",
)
async def metrics(ctx: Ctx, request: Request) -> PlainTextResponse:
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated(
            "missing bearer token: /metrics needs a token with noc:configure or NOC_OPERATOR_KEY"
        )
    reader = await reader_of(ctx, request, token)
    body, load = await asyncio.gather(gather_health(ctx, reader), _load(ctx, reader))
    return PlainTextResponse(
        prometheus_text(body, load),
        media_type="text/plain; version=0.0.4",
    )


async def _load(ctx: AppContext, reader: Reader) -> list[dict[str, Any]] | None:
    """Each client's load the reader may see; None when the supervisor does
    not answer in time (the rest of /metrics still does)."""
    try:
        rows = await asyncio.wait_for(ctx.noc.load(), CHECK_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - health's figures come without it
        log.warning("no client load for /metrics: %r", err)
        return None
    return [
        r
        for r in rows
        if (reader.tenant_id is None or r["tenant_id"] == reader.tenant_id)
        and reader.sees(r["client_id"])
    ]
