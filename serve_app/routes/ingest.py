"""The NOC's own ingest endpoints: ``POST /api/noc/events`` (platform events
through the rules) and ``POST /api/noc/alerts`` (alerts raised by any
source). Both need noc:ingest (integration keys hold it), take batches of up
to 5,000 items, and answer per item. A 200 means every accepted item is in
the database; a 503 (Retry-After) means the NOC is overloaded or an
aggregator was unavailable — the body then says which items were stored.
Retry with the same ``Idempotency-Key`` header and nothing is applied twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from noc_actors.domain.dedup import external_dedup_key
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Capability
from serve_app.auth import Caller
from serve_app.deps import Ctx, requires
from serve_app.errors import error_response
from serve_app.ingest.schemas import AlertBatchIn, EventBatchIn, IngestOut
from serve_app.ingest.service import (
    Outcome,
    alert_items,
    authorize_clients,
    batch_key,
    not_in_future,
    run_batch,
)

router = APIRouter(tags=["ingest"])

Ingester = Annotated[Caller, Depends(requires(Capability.INGEST))]
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

OBSERVED: dict[str, tuple[str, ...]] = {
    "ticket": ("created_at",),
    "work_order": (),
    "device": ("last_seen",),
    "attendance": ("punch_in", "punch_out"),
}
"""Times that say when something happened (a future one is a bad clock)."""

RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {"description": "Overloaded or an aggregator unavailable: retry after Retry-After"},
    403: {"description": "A client outside the key's scope (audited)"},
    422: {"description": "Bad input; the message names the item and the field"},
}


def answer(request: Request, outcome: Outcome, alerts: list[dict[str, Any]] | None = None) -> Any:
    body = IngestOut(
        accepted=len(outcome.items) - outcome.count("rejected"),
        rejected=outcome.count("rejected"),
        items=outcome.ordered(),
        alerts=alerts or [],
        replayed=outcome.replayed,
        **outcome.totals,
    ).model_dump(exclude_none=True)
    if outcome.unavailable:
        return error_response(
            request,
            503,
            "unavailable",
            f"aggregators unavailable for clients {', '.join(sorted(outcome.unavailable))}: "
            "their items were not stored (retry them); the others were",
            {"Retry-After": "2"},
            result=body,
        )
    return JSONResponse(body)


@router.post(
    "/api/noc/events",
    response_model=IngestOut,
    responses=RESPONSES,
    summary="Ingest a batch of platform events (tickets, work orders, devices, attendance)",
)
async def post_events(
    request: Request, body: EventBatchIn, ctx: Ctx, caller: Ingester, key: IdempotencyKey = None
) -> Any:
    tenant = caller.tenant_id
    ctx.gate.check(tenant, len(body.events))
    now = datetime.now(UTC)
    directory = caller.directory
    triples = []
    for i, ev in enumerate(body.events):
        cid = directory.client_id(ev.client_id, f"events.{i}.client_id", i)
        directory.site_id(ev.site_id, cid, f"events.{i}.site_id", i)
        for name in OBSERVED[ev.kind]:
            not_in_future(getattr(ev, name), now, f"events.{i}.{name}", i)
        if cid != ev.client_id:
            ev = ev.model_copy(update={"client_id": cid})
        triples.append((i, cid, ev))
    await authorize_clients(ctx, caller, [cid for _, cid, _ in triples])
    raised: list[dict[str, Any]] = []

    def on_report(outcome: Outcome, indexes: list[int], report: dict[str, Any]) -> None:
        for i in indexes:
            outcome.items[i] = {"index": i, "status": "accepted"}
        raised.extend(
            {k: item[k] for k in ("index", "alert_id", "dedup_key")}
            | {"status": item["outcome"]}
            | ({"reason": item["reason"]} if item.get("reason") else {})
            for item in report["items"]
        )

    outcome = await run_batch(
        ctx,
        tenant,
        directory,
        triples,
        lambda cid, evs: ctx.noc.ingest_events(tenant, cid, evs, batch_key(key, evs)),
        on_report,
    )
    for n, item in enumerate(raised):
        item["index"] = n
    return answer(request, outcome, raised)


@router.post(
    "/api/noc/alerts",
    response_model=IngestOut,
    responses=RESPONSES,
    summary="Ingest a batch of alerts (repeats of an open alert fold into it)",
)
async def post_alerts(
    request: Request, body: AlertBatchIn, ctx: Ctx, caller: Ingester, key: IdempotencyKey = None
) -> Any:
    tenant = caller.tenant_id
    ctx.gate.check(tenant, len(body.alerts))
    now = datetime.now(UTC)
    directory = caller.directory
    triples = []
    for i, a in enumerate(body.alerts):
        cid = directory.client_id(a.client_id, f"alerts.{i}.client_id", i)
        site = directory.site_id(a.site_id, cid, f"alerts.{i}.site_id", i)
        not_in_future(a.observed_at, now, f"alerts.{i}.observed_at", i)
        draft = AlertDraft(
            tenant_id=tenant,
            client_id=cid,
            alert_type=a.alert_type,
            message=a.message,
            severity=a.severity,
            site_id=site,
            entity_type=a.entity_type,
            entity_id=a.entity_id,
            metadata=a.metadata,
            dedup_key=external_dedup_key("api", cid, a.dedup_key) if a.dedup_key else None,
            source="api",
            observed_at=a.observed_at,
        )
        triples.append((i, cid, draft))
    await authorize_clients(ctx, caller, [cid for _, cid, _ in triples])
    outcome = await run_batch(
        ctx,
        tenant,
        directory,
        triples,
        lambda cid, ds: ctx.noc.ingest_alerts(tenant, cid, ds, batch_key(key, ds)),
        alert_items,
    )
    return answer(request, outcome)
