"""The ingest pipeline's stages, end to end without Ray: real ``ClientAggregate``
cores stand behind the ``Aggregators`` port (one per client), so what a batch
answers is what the aggregates really did."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.errors import (
    BatchTooLarge,
    InvalidInput,
    Overloaded,
    PermissionDenied,
    Unavailable,
)
from noc_actors.domain.events import AnyEvent, parse_event
from noc_actors.domain.policy import TenantPolicy
from serve_app.caller import Caller
from serve_app.errors import PartlyStored
from serve_app.ingest.gate import IngestGate
from serve_app.ingest.pipeline import Binding, IngestItem, IngestPipeline
from serve_app.ingest.report import BatchReport, ItemKind, ItemStatus
from serve_app.ingest.schemas import AlertBatchIn, alert_items, ingest_answer
from tests.unit.ingest.world import ADMIN, TENANT, key_for

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Aggregates:
    """The actor side of ingest, played by real pure cores, one per client;
    clients in ``down`` answer ``Unavailable`` like a restarting aggregator."""

    def __init__(self) -> None:
        self.cores: dict[str, ClientAggregate] = {}
        self.calls: list[tuple[str, str, int, str | None]] = []
        self.down: set[str] = set()
        self.during_call: list[int] = []
        self.gate: IngestGate | None = None
        self.messages = 0
        """``ingest_many`` calls (the gateway sends each as one message per host)."""

    def core(self, client_id: str) -> ClientAggregate:
        if client_id not in self.cores:
            self.cores[client_id] = ClientAggregate(TENANT, client_id, TenantPolicy())
        return self.cores[client_id]

    def _call(self, method: str, client_id: str, n: int, key: str | None) -> None:
        self.calls.append((method, client_id, n, key))
        if self.gate is not None:
            self.during_call.append(self.gate.depth)
        if client_id in self.down:
            raise Unavailable(f"noc:aggregator:{client_id}", "restarting")

    async def ingest_alerts(
        self,
        tenant_id: str,
        client_id: str,
        drafts: Sequence[AlertDraft],
        batch_key: str | None = None,
    ) -> IngestReport:
        self._call("ingest_alerts", client_id, len(drafts), batch_key)
        return self.core(client_id).ingest_alerts(drafts, NOW).report()

    async def ingest_events(
        self,
        tenant_id: str,
        client_id: str,
        events: Sequence[AnyEvent],
        batch_key: str | None = None,
    ) -> IngestReport:
        self._call("ingest_events", client_id, len(events), batch_key)
        return self.core(client_id).ingest_events(events, NOW).report()

    async def ingest_many(
        self, kind: str, batches: Sequence[tuple[str, str, Sequence[Any], str | None]]
    ) -> list[IngestReport | Exception]:
        """As ``NocClient.ingest_many``: each batch's report or its error."""
        self.messages += 1
        send = self.ingest_alerts if kind == "alerts" else self.ingest_events
        out: list[IngestReport | Exception] = []
        for tenant_id, client_id, items, key in batches:
            try:
                out.append(await send(tenant_id, client_id, items, key))
            except Exception as err:  # noqa: BLE001 - each batch's own answer
                out.append(err)
        return out

    async def resolve_keys(
        self, tenant_id: str, client_id: str, keys: Sequence[str], by: str | None = None
    ) -> list[str]:
        self._call("resolve_keys", client_id, len(keys), None)
        core = self.core(client_id)
        ids = [a.id for k in keys if (a := core.book.open_for_key(k)) is not None]
        return [a.dedup_key for a in core.resolve(ids, by, NOW).updated.values()]


class Denials:
    def __init__(self) -> None:
        self.denied: list[tuple[str, str, str]] = []

    async def __call__(self, caller: Caller, cap: str, kind: str, entity: str) -> Exception:
        self.denied.append((cap, kind, entity))
        return PermissionDenied(cap, f"{kind} {entity}")


def pipeline(capacity: int = 100) -> tuple[IngestPipeline, Aggregates, Denials]:
    aggs, denials = Aggregates(), Denials()
    gate = IngestGate(capacity, replica_id="r1")
    aggs.gate = gate
    return IngestPipeline(gate, aggs, denials, clock=lambda: NOW), aggs, denials


def alerts(*items: dict[str, Any]) -> list[IngestItem]:
    base = {"alert_type": "UPS_ON_BATTERY", "message": "UPS on battery"}
    return alert_items(AlertBatchIn.model_validate({"alerts": [base | i for i in items]}))


def run(
    pipe: IngestPipeline, items: list[IngestItem], caller: Caller = ADMIN, key: str | None = None
) -> BatchReport:
    return asyncio.run(pipe.run(caller, items, key))


def test_an_alert_batch_answers_per_item_in_request_order_with_one_call_per_client() -> None:
    pipe, aggs, _ = pipeline()
    report = run(
        pipe,
        alerts(
            {"client_id": "mall", "dedup_key": "ups-1"},
            {"client_id": "port", "dedup_key": "ups-1"},
            {"client_id": "mall", "dedup_key": "ups-1"},
        ),
    )
    assert [r.status for r in report.items] == [
        ItemStatus.CREATED,
        ItemStatus.CREATED,
        ItemStatus.FOLDED,
    ]
    assert report.items[0].alert_id == report.items[2].alert_id != report.items[1].alert_id
    assert (report.created, report.folded, report.accepted, report.rejected) == (2, 1, 3, 0)
    assert sorted(aggs.calls) == [
        ("ingest_alerts", "mall", 2, None),
        ("ingest_alerts", "port", 1, None),
    ]
    assert aggs.messages == 1  # both clients' batches handed over together


def test_a_client_named_by_its_name_is_stored_under_its_id() -> None:
    pipe, aggs, _ = pipeline()
    report = run(pipe, alerts({"client_id": "Harbour Mall", "dedup_key": "k"}))
    assert report.items[0].status is ItemStatus.CREATED
    assert report.items[0].dedup_key == "api:mall:k"
    assert list(aggs.cores) == ["mall"]


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({"client_id": "nope"}, "alerts.1.client_id", "unknown client 'nope'"),
        ({"client_id": "mall", "site_id": "port-1"}, "alerts.1.site_id", "not a site of"),
        ({"client_id": "mall", "site_id": "ghost"}, "alerts.1.site_id", "unknown site"),
        (
            {"client_id": "mall", "observed_at": (NOW + timedelta(hours=2)).isoformat()},
            "alerts.1.observed_at",
            "in the future",
        ),
    ],
)
def test_a_bad_item_refuses_the_whole_batch_naming_item_and_field_and_nothing_is_sent(
    item: dict[str, Any], field: str, message: str
) -> None:
    pipe, aggs, _ = pipeline()
    with pytest.raises(InvalidInput) as err:
        run(pipe, alerts({"client_id": "mall"}, item))
    assert (err.value.field, err.value.item) == (field, 1)
    assert message in err.value.message
    assert aggs.calls == [] and pipe.gate.depth == 0


def test_a_key_limited_to_one_client_supplies_the_client_of_items_that_name_none() -> None:
    pipe, aggs, _ = pipeline()
    item = IngestItem(
        index=0,
        kind=ItemKind.ALERT,
        bind=lambda b: AlertDraft(b.tenant_id, b.client_id, "DISK_FULL", "disk full"),
        client_field="labels.client",
    )
    report = run(pipe, [item], key_for("port"))
    assert report.items[0].status is ItemStatus.CREATED and list(aggs.cores) == ["port"]
    with pytest.raises(InvalidInput, match="labels.client: a client is required"):
        run(pipe, [item], key_for(None))


def test_a_client_outside_the_key_scope_is_denied_audited_and_nothing_is_sent() -> None:
    pipe, aggs, denials = pipeline()
    with pytest.raises(PermissionDenied):
        run(pipe, alerts({"client_id": "port"}, {"client_id": "mall"}), key_for("port"))
    assert denials.denied == [("noc:ingest", "client", "mall")]
    assert aggs.calls == [] and pipe.gate.depth == 0


def test_items_of_a_disabled_client_are_rejected_and_take_no_queue_slot() -> None:
    pipe, aggs, _ = pipeline(capacity=1)
    report = run(pipe, alerts({"client_id": "old"}, {"client_id": "mall"}))
    assert report.items[0].status is ItemStatus.REJECTED
    assert report.items[0].reason == "client 'old' is disabled"
    assert report.items[1].status is ItemStatus.CREATED
    assert (report.accepted, report.rejected) == (1, 1)
    assert aggs.during_call == [1]


def test_queue_slots_are_held_while_the_aggregators_work_and_released_after() -> None:
    pipe, aggs, _ = pipeline(capacity=10)
    run(pipe, alerts({"client_id": "mall"}, {"client_id": "port"}, {"client_id": "mall"}))
    assert aggs.during_call == [3, 3] and pipe.gate.depth == 0


def test_a_full_queue_or_backpressure_critical_refuses_with_503_before_anything_is_sent() -> None:
    pipe, aggs, _ = pipeline(capacity=3)
    pipe.gate.depth = 2  # two items of another request in flight
    with pytest.raises(Overloaded, match="ingest queue full"):
        run(pipe, alerts({"client_id": "mall"}, {"client_id": "mall"}))
    pipe.gate.depth = 0
    pipe.gate.levels = {TENANT: "CRITICAL"}
    with pytest.raises(Overloaded, match="CRITICAL"):
        run(pipe, alerts({"client_id": "mall"}))
    assert aggs.calls == [] and pipe.gate.depth == 0 and pipe.gate.refused == 2


def test_a_batch_that_can_never_fit_the_queue_is_413_not_503() -> None:
    pipe, aggs, _ = pipeline(capacity=2)
    with pytest.raises(BatchTooLarge, match="larger than the ingest queue"):
        run(pipe, alerts(*[{"client_id": "mall"}] * 3))
    assert aggs.calls == [] and pipe.gate.refused == 0


def test_an_unavailable_aggregator_fails_only_its_own_items_marked_for_retry() -> None:
    pipe, aggs, _ = pipeline()
    aggs.down.add("port")
    report = run(pipe, alerts({"client_id": "port"}, {"client_id": "mall"}))
    assert report.unavailable == ["port"]
    assert report.items[0].status is ItemStatus.REJECTED and report.items[0].retry is True
    assert report.items[1].status is ItemStatus.CREATED
    with pytest.raises(PartlyStored) as err:
        ingest_answer(report)
    assert err.value.result["items"][1]["status"] == "created"
    assert "port" in str(err.value) and pipe.gate.depth == 0


def test_a_batch_that_fires_and_resolves_one_key_ends_resolved() -> None:
    pipe, aggs, _ = pipeline()

    def draft(b: Binding) -> AlertDraft:
        return AlertDraft(b.tenant_id, b.client_id, "DiskFull", "disk", dedup_key="am:mall:fp")

    items = [
        IngestItem(0, ItemKind.RESOLVE, lambda b: "am:mall:fp", client_ref="mall"),
        IngestItem(1, ItemKind.ALERT, draft, client_ref="mall"),
    ]
    report = run(pipe, items)
    assert [r.status for r in report.items] == [ItemStatus.RESOLVED, ItemStatus.CREATED]
    assert report.resolved == 1 and aggs.core("mall").book.open_for_key("am:mall:fp") is None
    assert [c[0] for c in aggs.calls] == ["ingest_alerts", "resolve_keys"]
    again = run(pipe, items[:1])
    assert again.items[0].status is ItemStatus.NOT_OPEN and again.resolved == 0


def test_platform_events_are_accepted_and_the_alerts_they_raise_are_numbered_in_order() -> None:
    pipe, aggs, _ = pipeline()

    def event(client: str, device: str) -> AnyEvent:
        site = {"mall": "mall-n", "port": "port-1"}[client]
        data = {"kind": "device", "id": device, "client_id": client, "site_id": site}
        data["status"] = "OFFLINE"
        return parse_event(data | {"last_seen": (NOW - timedelta(hours=1)).isoformat()})

    events = [event("mall", "d1"), event("port", "d2"), event("mall", "d3")]
    items = [
        IngestItem(i, ItemKind.EVENT, lambda b, e=e: e, client_ref=e.client_id, site_ref=e.site_id)
        for i, e in enumerate(events)
    ]
    report = run(pipe, items)
    assert [r.status for r in report.items] == [ItemStatus.ACCEPTED] * 3
    assert [r.index for r in report.raised] == [0, 1, 2]
    assert {r.status for r in report.raised} == {ItemStatus.CREATED} and report.created == 3


def test_an_idempotency_key_reaches_each_client_with_a_digest_of_its_items() -> None:
    pipe, aggs, _ = pipeline()
    run(pipe, alerts({"client_id": "mall"}, {"client_id": "port"}), key="batch-1")
    keys = {client: key for _, client, _, key in aggs.calls}
    assert keys["mall"].startswith("batch-1#") and keys["port"].startswith("batch-1#")
    assert keys["mall"] != keys["port"]
