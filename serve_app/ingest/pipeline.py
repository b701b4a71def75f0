"""The ingest pipeline every source shares — platform events, alert batches,
the Alertmanager API v2 and webhook, PagerDuty triggers — and the one place
its stages are named and assembled (Alertmanager's ``notify`` pipeline is
the model).

A route turns its wire format into ``IngestItem``s, runs them through
``IngestPipeline.run`` and turns the ``BatchReport`` into its wire answer.
Each stage is a small function with one signature, ``async (Batch) -> None``;
a stage refuses the whole batch by raising:

1. ``resolve``: each item's client (an id or a name; a key limited to one
   client supplies it) and site become ids, observation times may not lie in
   the future, and the payload is bound to its client. A bad item refuses the
   batch (422 naming the item and the field): nothing is written.
2. ``authorize``: every client within the caller's ingest scope (403, audited).
3. ``admit``: the replica's bounded queue and the tenant's backpressure level
   (503 + Retry-After; 413 for a batch that can never fit). The slots are held
   until the batch is answered.
4. ``dispatch``: one batch per client and kind; every client's alerts in
   one ``ingest_many`` (one actor message per host), then their events,
   then resolves, one call per client, clients in parallel.
   Items of a disabled client are rejected with that reason; items of a client
   whose aggregator is unavailable are rejected with ``retry`` and the batch
   answers 503 (``BatchReport.unavailable``) saying which items were stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol, TypeVar

from noc_actors.domain.changes import IngestReport, ItemReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.errors import InvalidInput, Unavailable
from noc_actors.domain.events import AnyEvent
from serve_app.caller import Caller
from serve_app.ingest.gate import IngestGate
from serve_app.ingest.report import BatchReport, ItemKind, ItemResult, ItemStatus
from serve_app.ingest.service import batch_key, default_client, ingest_scope, not_in_future


@dataclass(frozen=True, slots=True)
class Binding:
    """Whom an item belongs to, once its references are resolved."""

    tenant_id: str
    client_id: str
    site_id: str | None


IngestBatch = tuple[str, str, Sequence[Any], str | None]
"""``(tenant_id, client_id, items, batch_key)``."""

Payload = AlertDraft | AnyEvent | str
"""What an item becomes once bound: an alert draft, a platform event, or
(``ItemKind.RESOLVE``) the dedup key whose open alert to resolve."""


@dataclass(frozen=True, slots=True)
class IngestItem:
    """One decoded item of a request, before its client is known.

    ``bind`` builds the payload for the resolved client and site (a dedup key
    is namespaced by its client). Errors quote a field by its path in the
    request (``field``): ``<array>.<index>.<name>`` — ``array`` is where the
    items sit in the body (``alerts``, ``events``, or "" for a top-level
    array); ``client_field``, ``site_field`` and the names in ``times`` are
    relative to the item."""

    index: int
    kind: ItemKind
    bind: Callable[[Binding], Payload]
    client_ref: str | None = None
    site_ref: str | None = None
    array: str = ""
    client_field: str = "client_id"
    site_field: str = "site_id"
    times: tuple[tuple[str, datetime | None], ...] = ()
    numbered: bool = True
    """Errors name the item by its index (False for a request of one item)."""

    def field(self, name: str) -> str:
        """The path of field ``name`` of this item in the request."""
        parts = [self.array] if self.array else []
        if self.numbered:
            parts.append(str(self.index))
        return ".".join([*parts, name])


class Aggregators(Protocol):
    """The actor side of ingest (``noc_actors.actors.client.NocClient``)."""

    async def ingest_alerts(
        self,
        tenant_id: str,
        client_id: str,
        drafts: Sequence[AlertDraft],
        batch_key: str | None = None,
    ) -> IngestReport: ...

    async def ingest_events(
        self,
        tenant_id: str,
        client_id: str,
        events: Sequence[AnyEvent],
        batch_key: str | None = None,
    ) -> IngestReport: ...

    async def ingest_many(
        self, kind: Literal["alerts", "events"], batches: Sequence[IngestBatch]
    ) -> list[IngestReport | Exception]:
        """Many clients' batches at once, ``(tenant_id, client_id, items,
        batch_key)`` each; per batch its report or its error."""
        ...

    async def resolve_keys(
        self, tenant_id: str, client_id: str, keys: Sequence[str], by: str | None = None
    ) -> list[str]: ...


Deny = Callable[[Caller, str, str, str], Awaitable[Exception]]
"""``(caller, capability, entity_type, entity_id)``: audit a denial and
return the error to raise (``serve_app.auth.deny`` bound to the replica)."""


@dataclass(frozen=True, slots=True)
class Bound:
    item: IngestItem
    client_id: str
    payload: Payload


@dataclass(slots=True)
class Batch:
    """One request on its way through the stages."""

    pipeline: IngestPipeline
    caller: Caller
    items: list[IngestItem]
    idempotency_key: str | None
    now: datetime
    bound: list[Bound] = field(default_factory=list)
    report: BatchReport = field(default_factory=BatchReport)
    release: Callable[[], None] = lambda: None


Stage = Callable[[Batch], Awaitable[None]]
T = TypeVar("T")


async def resolve(batch: Batch) -> None:
    """Client and site references to ids, times checked, payloads bound."""
    caller = batch.caller
    directory = caller.directory
    fallback = default_client(caller)
    for item in batch.items:
        n = item.index if item.numbered else None
        try:
            cid = directory.client_id(item.client_ref or fallback, item.client_field, n)
            site = directory.site_id(item.site_ref, cid, item.site_field, n)
            for name, value in item.times:
                not_in_future(value, batch.now, name, n)
        except InvalidInput as err:  # name the field by its path in the request
            raise InvalidInput(item.field(err.field), err.message, n) from None
        payload = item.bind(Binding(caller.tenant_id, cid, site))
        batch.bound.append(Bound(item, cid, payload))


async def authorize(batch: Batch) -> None:
    """403 (audited as UNAUTHORIZED_ACCESS) for a client outside the scope."""
    allowed = ingest_scope(batch.caller)
    if allowed is None:
        return
    for cid in dict.fromkeys(b.client_id for b in batch.bound):
        if cid not in allowed:
            raise await batch.pipeline.deny(batch.caller, "noc:ingest", "client", cid)


async def admit(batch: Batch) -> None:
    """Hold queue slots for the items of enabled clients, or refuse."""
    directory = batch.caller.directory
    live = sum(1 for b in batch.bound if directory.enabled(b.client_id))
    batch.release = batch.pipeline.gate.reserve(batch.caller.tenant_id, live)


async def dispatch(batch: Batch) -> None:
    """Each client's alerts, then its events, then its resolves (a batch
    that fires and resolves one alert ends resolved). Alerts of every client
    go in one ``ingest_many`` (one actor message per host), then events
    likewise; resolves one call per client, clients at once."""
    directory = batch.caller.directory
    groups: dict[str, dict[ItemKind, list[Bound]]] = {}
    for b in batch.bound:
        if directory.enabled(b.client_id):
            groups.setdefault(b.client_id, {}).setdefault(b.item.kind, []).append(b)
        else:
            batch.report.reject(b.item.index, f"client {b.client_id!r} is disabled")
    raised: list[ItemReport] = []
    for kind in (ItemKind.ALERT, ItemKind.EVENT):
        sends = [(cid, kinds[kind]) for cid, kinds in groups.items() if kind in kinds]
        if sends:
            raised.extend(await _send_together(batch, kind, sends))
    resolves = [
        (cid, kinds[ItemKind.RESOLVE]) for cid, kinds in groups.items() if ItemKind.RESOLVE in kinds
    ]
    await asyncio.gather(*(_send_resolves(batch, cid, group) for cid, group in resolves))
    batch.report.record_raised(raised)


async def _send_together(
    batch: Batch, kind: ItemKind, sends: list[tuple[str, list[Bound]]]
) -> list[ItemReport]:
    """Every client's items of one kind in one ``ingest_many``; the alerts
    the events raised, client by client. A client whose host is unavailable
    is reported so (its items: retry); any other error fails the request."""
    tenant = batch.caller.tenant_id
    payloads: list[Sequence[AlertDraft | AnyEvent]]
    if kind is ItemKind.ALERT:
        payloads = [[_payload(b, AlertDraft) for b in group] for _, group in sends]
    else:
        payloads = [[_event(b) for b in group] for _, group in sends]
    answers = await batch.pipeline.aggregators.ingest_many(
        "alerts" if kind is ItemKind.ALERT else "events",
        [
            (tenant, cid, items, batch_key(batch.idempotency_key, items))
            for (cid, _), items in zip(sends, payloads, strict=True)
        ],
    )
    raised: list[ItemReport] = []
    failed: Exception | None = None
    for (cid, group), answer in zip(sends, answers, strict=True):
        if isinstance(answer, Unavailable):
            batch.report.unavailable_for(cid, [b.item.index for b in group], answer)
        elif isinstance(answer, Exception):
            failed = failed or answer
        elif kind is ItemKind.ALERT:
            batch.report.add_totals(answer)
            for item in answer["items"]:
                batch.report.record(ItemResult.of(group[item["index"]].item.index, item))
        else:
            batch.report.add_totals(answer)
            for b in group:
                batch.report.record(ItemResult(b.item.index, ItemStatus.ACCEPTED))
            raised.extend(answer["items"])
    if failed is not None:
        raise failed
    return raised


async def _send_resolves(batch: Batch, client_id: str, group: list[Bound]) -> None:
    keys = [_payload(b, str) for b in group]
    try:
        resolved = set(
            await batch.pipeline.aggregators.resolve_keys(
                batch.caller.tenant_id, client_id, keys, batch.caller.user_id
            )
        )
    except Unavailable as err:
        batch.report.unavailable_for(client_id, [b.item.index for b in group], err)
        return
    for b, key in zip(group, keys, strict=True):
        status = ItemStatus.RESOLVED if key in resolved else ItemStatus.NOT_OPEN
        batch.report.record(ItemResult(b.item.index, status, dedup_key=key))
    batch.report.resolved += len(resolved)


def _payload(bound: Bound, kind: type[T]) -> T:
    if not isinstance(bound.payload, kind):
        raise TypeError(f"item {bound.item.index}: expected {kind.__name__}")
    return bound.payload


def _event(bound: Bound) -> AnyEvent:
    if isinstance(bound.payload, AlertDraft | str):
        raise TypeError(f"item {bound.item.index}: expected a platform event")
    return bound.payload


def utcnow() -> datetime:
    return datetime.now(UTC)


class IngestPipeline:
    """The stages, assembled once per Serve replica (``serve_app.context``)."""

    STAGES: Final[tuple[Stage, ...]] = (resolve, authorize, admit, dispatch)

    def __init__(
        self,
        gate: IngestGate,
        aggregators: Aggregators,
        deny: Deny,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.gate = gate
        self.aggregators = aggregators
        self.deny = deny
        self.clock = clock

    async def run(
        self, caller: Caller, items: Sequence[IngestItem], idempotency_key: str | None = None
    ) -> BatchReport:
        """Every stage in order; the batch's queue slots are released at the end."""
        batch = Batch(self, caller, list(items), idempotency_key, self.clock())
        try:
            for stage in self.STAGES:
                await stage(batch)
        finally:
            batch.release()
        return batch.report
