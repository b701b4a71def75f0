"""The replica's fan-out: one hub subscription feeds the cache invalidation
and the dispatcher; the dispatcher routes each event to its tenant's sockets
only, never awaits one, builds each event's text at most twice, and turns hub
gaps (a new subscription, an overflow) into resync for every socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from serve_app.ws.fanout import Dispatcher, EncodedEvent
from serve_app.ws.pump import HubPump

PII = {"email": "jane.roe@example.com", "phone": "+1 555 867 5309"}


class FakeSink:
    def __init__(self, tenant_id: str, broken: bool = False) -> None:
        self.tenant_id = tenant_id
        self.broken = broken
        self.events: list[int] = []
        self.gaps: list[str] = []

    def offer(self, event: EncodedEvent) -> None:
        if self.broken:
            raise RuntimeError("boom")
        self.events.append(event.seq)

    def gap(self, reason: str) -> None:
        self.gaps.append(reason)


def ev(seq: int, tenant: str = "t1", kind: str = "alert_new") -> dict[str, Any]:
    return {"type": kind, "tenant_id": tenant, "client_id": "c1", "site_id": None, "seq": seq}


def test_events_go_to_their_tenants_sockets_only_and_a_broken_one_stops_nobody() -> None:
    d = Dispatcher()
    a, b, other, broken = FakeSink("t1"), FakeSink("t1"), FakeSink("t2"), FakeSink("t1", True)
    for s in (broken, a, b, other):
        d.add(s)
    d.dispatch([ev(1), ev(2, "t2"), {"type": "subscribed", "base_seq": 0}, ev(3)])
    assert a.events == b.events == [1, 3] and other.events == [2]
    assert a.gaps == []
    d.remove(a)
    d.dispatch([ev(4)])
    assert a.events == [1, 3] and b.events == [1, 3, 4]
    assert len(d) == 3


def test_hub_gaps_become_resync_for_every_socket() -> None:
    d = Dispatcher()
    a, b = FakeSink("t1"), FakeSink("t2")
    d.add(a)
    d.add(b)
    d.dispatch([{"type": "overflow", "dropped": 5}])
    d.dispatch([{"type": "subscribed", "base_seq": 9, "resubscribed": True}])
    assert a.gaps == b.gaps == ["overflow", "hub_restarted"]


def test_an_event_is_masked_as_a_whole_and_encoded_once_per_pii_flag() -> None:
    event = {**ev(1), "alert": {"metadata": dict(PII)}}
    enc = EncodedEvent(event)
    masked, shown = enc.text(False), enc.text(True)
    assert enc.text(False) is masked
    assert "jane.roe@example.com" not in masked and "867 5309" not in masked
    assert json.loads(shown)["alert"]["metadata"] == PII
    assert json.loads(masked)["seq"] == 1


async def test_the_pump_feeds_every_listener_in_order_and_marks_resubscriptions() -> None:
    batches = [
        [{"type": "subscribed", "base_seq": 100}],
        [ev(101)],
        [{"type": "subscribed", "base_seq": 500}],
        [ev(501)],
    ]

    async def subscribe() -> AsyncIterator[list[dict[str, Any]]]:
        for batch in batches:
            yield batch
        await asyncio.Event().wait()

    seen: list[list[dict[str, Any]]] = []

    async def failing(batch: list[dict[str, Any]]) -> None:
        raise RuntimeError("listener bug")

    async def record(batch: list[dict[str, Any]]) -> None:
        seen.append(batch)

    pump = HubPump(subscribe)
    pump.listen(failing)
    pump.listen(record)
    task = asyncio.get_running_loop().create_task(pump.run())
    assert await pump.wait_ready(1)
    while len(seen) < 4:
        await asyncio.sleep(0.01)
    task.cancel()
    assert [b[0].get("resubscribed") for b in seen if b[0]["type"] == "subscribed"] == [
        False,
        True,
    ]
    assert pump.base_seq == 500 and pump.subscriptions == 2


async def test_a_failing_subscription_is_made_again() -> None:
    calls = 0

    async def subscribe() -> AsyncIterator[list[dict[str, Any]]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("hub gone")
        yield [{"type": "subscribed", "base_seq": 1}]
        await asyncio.Event().wait()

    pump = HubPump(subscribe, retry_s=0.01)
    task = asyncio.get_running_loop().create_task(pump.run())
    assert await pump.wait_ready(1)
    task.cancel()
    assert pump.failures == 1 and calls == 2
