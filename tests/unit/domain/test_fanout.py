"""The hub core: publishing never waits for a subscriber; a subscriber that
does not read loses its oldest events and is told how many."""

from __future__ import annotations

import asyncio

from noc_actors.domain.fanout import BroadcastHubCore


def ev(n: int, tenant: str = "t1") -> dict[str, object]:
    return {"tenant_id": tenant, "type": "alert_new", "n": n}


async def test_subscribers_receive_published_events_in_order_with_sequence_numbers() -> None:
    hub = BroadcastHubCore(ring_size=100, queue_size=100, base_seq=0)
    stream = hub.stream("a")
    assert (await anext(stream))[0]["type"] == "subscribed"
    hub.publish([ev(1), ev(2)])
    batch = await anext(stream)
    assert [(e["n"], e["seq"]) for e in batch] == [(1, 1), (2, 2)]
    await stream.aclose()
    assert hub.subscribers == {}


async def test_a_subscriber_that_never_reads_does_not_block_publishing_or_others() -> None:
    hub = BroadcastHubCore(ring_size=10_000, queue_size=10, base_seq=0)
    slow, fast = hub.stream("slow"), hub.stream("fast")
    await anext(slow)
    await anext(fast)
    for i in range(1000):
        hub.publish([ev(i)])  # returns at once, whatever "slow" does
    got: list[dict] = []
    while len(got) < 10:
        got += [e for e in await asyncio.wait_for(anext(fast), 1) if e["type"] != "overflow"]
    slow_batch = await asyncio.wait_for(anext(slow), 1)
    assert slow_batch[0] == {"type": "overflow", "dropped": 990}
    assert [e["n"] for e in slow_batch[1:]] == list(range(990, 1000))
    assert hub.status()["published"] == 1000


async def test_stream_batches_are_bounded() -> None:
    hub = BroadcastHubCore(ring_size=5000, queue_size=5000, base_seq=0)
    stream = hub.stream("a", max_batch=100)
    await anext(stream)
    hub.publish([ev(i) for i in range(250)])
    sizes = [len(await anext(stream)) for _ in range(3)]
    assert sizes == [100, 100, 50]
