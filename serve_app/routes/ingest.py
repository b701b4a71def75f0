"""The NOC's own ingest endpoints: ``POST /api/noc/events`` (platform events
through the rules), ``POST /api/noc/alerts`` (alerts raised by any source)
and ``POST /api/noc/heartbeats`` (a source is alive). They need noc:ingest
(integration keys hold it), take batches of up to 5,000 items (a heartbeat
is one), and answer per item. A 200 means every accepted item is in
the database; a 503 (Retry-After) means the NOC is overloaded or an
aggregator was unavailable — the body then says which items were stored.
Retry with the same ``Idempotency-Key`` header and nothing is applied twice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import Field

from noc_actors.domain.events import HeartbeatEvent, Id
from serve_app.deps import Ctx, Ingester
from serve_app.ingest.schemas import (
    AlertBatchIn,
    EventBatchIn,
    IngestOut,
    alert_items,
    event_items,
    ingest_answer,
)
from serve_app.schemas import StrictModel

router = APIRouter(tags=["ingest"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Send the same key when retrying a batch: it is applied at most once, "
        "and the retry gets the first answer back.",
    ),
]

RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {"description": "Overloaded or an aggregator unavailable: retry after Retry-After"},
    403: {"description": "A client outside the key's scope (audited)"},
    422: {"description": "Bad input; the message names the item and the field"},
}


@router.post(
    "/api/noc/events",
    response_model=IngestOut,
    responses=RESPONSES,
    summary="Ingest a batch of platform events (tickets, work orders, devices, attendance)",
)
async def post_events(
    body: EventBatchIn, ctx: Ctx, caller: Ingester, key: IdempotencyKey = None
) -> JSONResponse:
    return JSONResponse(ingest_answer(await ctx.ingest.run(caller, event_items(body), key)))


class HeartbeatIn(StrictModel):
    """``POST /api/noc/heartbeats``: one heartbeat of a source."""

    name: Id = Field(description="The heartbeat's name within the client, e.g. 'billing-sync'.")
    client_id: Id
    site_id: Id | None = None
    timeout_s: float = Field(
        default=60,
        ge=1,
        le=7 * 24 * 3600,
        allow_inf_nan=False,
        description="Not renewed within this many seconds: one HEARTBEAT_MISSED alert (HIGH).",
    )


@router.post(
    "/api/noc/heartbeats",
    response_model=IngestOut,
    responses=RESPONSES,
    summary="A source is alive: renew its heartbeat (missing it raises HEARTBEAT_MISSED)",
)
async def post_heartbeat(
    body: HeartbeatIn, ctx: Ctx, caller: Ingester, key: IdempotencyKey = None
) -> JSONResponse:
    """Alerta's heartbeats: a source posts one every so often; one not
    renewed within ``timeout_s`` of the NOC receiving the last raises one
    HEARTBEAT_MISSED alert for its client, resolved by the next beat. The
    same as ``POST /api/noc/events`` with ``{"kind": "heartbeat", "id":
    name, ...}``; the answer says whether it resolved a missed alert."""
    beat = HeartbeatEvent(
        id=body.name, client_id=body.client_id, site_id=body.site_id, timeout_s=body.timeout_s
    )
    batch = EventBatchIn(events=[beat])
    return JSONResponse(ingest_answer(await ctx.ingest.run(caller, event_items(batch), key)))


@router.post(
    "/api/noc/alerts",
    response_model=IngestOut,
    responses=RESPONSES,
    summary="Ingest a batch of alerts (repeats of an open alert fold into it)",
)
async def post_alerts(
    body: AlertBatchIn, ctx: Ctx, caller: Ingester, key: IdempotencyKey = None
) -> JSONResponse:
    return JSONResponse(ingest_answer(await ctx.ingest.run(caller, alert_items(body), key)))
