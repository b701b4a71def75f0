"""Prometheus Alertmanager compatibility, so Prometheus, ``amtool`` and
Alertmanager itself can talk to the NOC (label mapping: docs/integrations.md).

* ``POST /api/v2/alerts`` — what Prometheus and ``amtool alert add`` send:
  firing alerts create or fold (the dedup key is the label fingerprint, per
  client), an ``endsAt`` in the past resolves. 200 with an empty body.
* ``GET /api/v2/alerts`` — what ``amtool alert query`` reads: open alerts in
  the caller's scope as Alertmanager's GettableAlerts, ``filter`` matchers.
  A user with ``noc:view`` reads its view scope; an integration key reads
  only the alerts that came in through the Alertmanager API, of its client
  (or every client, for a tenant-wide key). Every read is audited
  (READ_ALERTS).
* ``GET /api/v2/status`` — for amtool's version check.
* ``POST /api/noc/integrations/alertmanager`` — a webhook receiver for
  Alertmanager's payload version 4: firing creates or folds, resolved resolves.

Authentication: ``Authorization: Bearer <integration key>`` (Prometheus'
``alerting.alertmanagers[].authorization``, Alertmanager's webhook
``http_config.authorization``, amtool's ``--http.config.file``).
Alertmanager and Prometheus retry only 5xx: overload is 503 (Retry-After),
an alert stored SUPPRESSED (maintenance, backpressure) is a 2xx.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from noc_actors.domain.alert import Alert
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import OPEN_STATUSES, AlertStatus, AuditAction, Capability
from noc_actors.domain.integrations.alertmanager import SOURCE as AM_SOURCE
from noc_actors.domain.integrations.alertmanager import (
    AmAlert,
    PostableAlert,
    WebhookPayload,
    dedup_key,
    from_postable,
    from_webhook,
    gettable_alert,
    parse_matchers,
    status_document,
)
from noc_actors.domain.integrations.matchers import MATCHER_SHAPE
from noc_actors.domain.limits import MAX_BATCH
from noc_actors.store.repos import alert_queries, audit
from serve_app.auth import deny
from serve_app.caller import Caller
from serve_app.deps import Ctx, CurrentCaller, Ingester
from serve_app.ingest.pipeline import Binding, IngestItem
from serve_app.ingest.report import ItemKind
from serve_app.ingest.schemas import ingest_answer
from serve_app.ingest.service import ingest_scope
from serve_app.scoping import public

router = APIRouter(tags=["integrations"])

STARTED = datetime.now(UTC)
Matcher = Annotated[str, StringConstraints(min_length=2, max_length=1024, pattern=MATCHER_SHAPE)]
"""One ``filter`` matcher (``alertname="X"``, ``severity=~"crit.*"``, or a
``{...}`` group), its shape in the schema (``MATCHER_SHAPE``)."""
LIST_LIMIT = 5000


def am_items(items: Sequence[AmAlert], array: str, now: datetime) -> list[IngestItem]:
    """Firing alerts raise (create or fold), resolved ones resolve their open
    alert (the dedup key is the label fingerprint, per client)."""

    def resolve_key(am: AmAlert) -> Callable[[Binding], str]:
        return lambda b: dedup_key(b.client_id, am.fingerprint)

    def draft(am: AmAlert) -> Callable[[Binding], AlertDraft]:
        return lambda b: am.draft(b.tenant_id, b.client_id, b.site_id)

    out = []
    for i, am in enumerate(items):
        resolved = am.resolved(now)
        out.append(
            IngestItem(
                index=i,
                kind=ItemKind.RESOLVE if resolved else ItemKind.ALERT,
                bind=resolve_key(am) if resolved else draft(am),
                client_ref=am.client_ref,
                site_ref=am.site_ref,
                array=array,
                client_field="labels.client",
                site_field="labels.site",
            )
        )
    return out


@router.post(
    "/api/v2/alerts",
    summary="Alertmanager API v2: post alerts (Prometheus, amtool alert add)",
    response_class=Response,
)
async def post_alerts(
    ctx: Ctx,
    caller: Ingester,
    body: Annotated[list[PostableAlert], Body(max_length=MAX_BATCH)],
) -> Response:
    now = datetime.now(UTC)
    items = [from_postable(a, now, i) for i, a in enumerate(body)]
    ingest_answer(await ctx.ingest.run(caller, am_items(items, "", now)))
    return Response(status_code=200)


@router.post(
    "/api/noc/integrations/alertmanager",
    summary="Alertmanager webhook receiver (payload version 4)",
)
async def webhook(ctx: Ctx, caller: Ingester, payload: WebhookPayload) -> JSONResponse:
    now = datetime.now(UTC)
    items = [from_webhook(a, now, i) for i, a in enumerate(payload.alerts)]
    return JSONResponse(ingest_answer(await ctx.ingest.run(caller, am_items(items, "alerts", now))))


@dataclass(frozen=True, slots=True)
class ReaderView:
    """What one reader of ``GET /api/v2/alerts`` may list."""

    client_ids: list[str] | None
    site_ids: list[str] | None
    source: str | None
    """Only alerts that came in this way (an integration key: Alertmanager's)."""


async def reader_view(ctx: Ctx, caller: Caller) -> ReaderView:
    """A user with ``noc:view``: its view scope. An integration key (or user)
    with only ``noc:ingest``: the alerts that came in through the
    Alertmanager API, of the clients it ingests for — never the tenant's
    platform, PagerDuty or API alerts (issue 11 item 5). Anyone else: 403."""
    if caller.principal.has(Capability.VIEW):
        sites = caller.scope.sites
        return ReaderView(caller.visible_client_ids, None if sites is None else sorted(sites), None)
    if caller.principal.has(Capability.INGEST):
        scope = ingest_scope(caller)
        return ReaderView(None if scope is None else sorted(scope), None, AM_SOURCE)
    raise await deny(ctx, caller, Capability.VIEW.value)


@router.get("/api/v2/alerts", summary="Alertmanager API v2: list alerts (amtool alert query)")
async def get_alerts(
    ctx: Ctx,
    caller: CurrentCaller,
    filter: Annotated[list[Matcher] | None, Query()] = None,  # noqa: A002
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
    unprocessed: bool = True,
    receiver: Annotated[str | None, Query(max_length=256)] = None,
) -> JSONResponse:
    """Open (and silenced) alerts the reader may see, as Alertmanager's
    GettableAlerts; each read is audited (READ_ALERTS: how many, the
    filters)."""
    matchers = parse_matchers(filter or [])
    view = await reader_view(ctx, caller)
    statuses = [s.value for s in OPEN_STATUSES] if active else []
    if silenced:
        statuses.append(AlertStatus.SUPPRESSED.value)
    found: list[Alert] = []
    cursor: str | None = None
    async with ctx.engine.connect() as db:
        while len(found) < LIST_LIMIT:  # newest first, in pages of the store's maximum
            page, cursor = await alert_queries.query_alerts(
                db,
                tenant_id=caller.tenant_id,
                client_ids=view.client_ids,
                site_ids=view.site_ids,
                status=statuses,
                source=view.source,
                limit=LIST_LIMIT,
                cursor=cursor,
            )
            found.extend(page)
            if cursor is None:
                break
    now = datetime.now(UTC)
    out = []
    for alert in found:
        rendered = gettable_alert(public(caller, alert.to_json()), now)
        if all(m.matches(rendered["labels"]) for m in matchers):
            out.append(rendered)
    meta = {"alerts": len(out), "filter": list(filter or [])[:20], "source": view.source}
    async with ctx.engine.begin() as db:
        entry = caller.audit_entry(AuditAction.READ_ALERTS, "alerts", "/api/v2/alerts", meta)
        await audit.append_audit(db, [entry])
    return JSONResponse(out)


@router.get("/api/v2/status", summary="Alertmanager API v2: status (amtool's version check)")
async def get_status(ctx: Ctx, caller: CurrentCaller) -> JSONResponse:
    await reader_view(ctx, caller)
    return JSONResponse(status_document(STARTED, datetime.now(UTC)))
