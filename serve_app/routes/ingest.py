"""The NOC's own ingest endpoints: ``POST /api/noc/events`` (platform events
through the rules) and ``POST /api/noc/alerts`` (alerts raised by any
source). Both need noc:ingest (integration keys hold it), take batches of up
to 5,000 items, and answer per item. A 200 means every accepted item is in
the database; a 503 (Retry-After) means the NOC is overloaded or an
aggregator was unavailable — the body then says which items were stored.
Retry with the same ``Idempotency-Key`` header and nothing is applied twice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from serve_app.deps import Ctx, Ingester
from serve_app.ingest.schemas import (
    AlertBatchIn,
    EventBatchIn,
    IngestOut,
    alert_items,
    event_items,
    ingest_answer,
)

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
