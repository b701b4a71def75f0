"""The pure core of the broadcast hub: sequencing through ``EventRing`` and
one bounded queue per subscriber. Publishing never waits for a subscriber: a
full queue drops its oldest event and the subscriber is told how many it
lost (an ``overflow`` marker) so it can resync."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from noc_actors.domain.hub_events import StreamItem
from noc_actors.domain.ring import Event, EventRing


class _Subscriber:
    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0
        self.delivered = 0

    def offer(self, event: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)


class BroadcastHubCore:
    """The hub without Ray: stamping, the ring, subscriber queues."""

    def __init__(self, ring_size: int, queue_size: int, base_seq: int) -> None:
        self.ring = EventRing(ring_size, base_seq=base_seq)
        self.queue_size = queue_size
        self.subscribers: dict[str, _Subscriber] = {}
        self.published = 0

    def publish(self, events: list[Event]) -> list[int]:
        stamped = [self.ring.stamp(e) for e in events]
        for sub in self.subscribers.values():
            for e in stamped:
                sub.offer(e)
        self.published += len(stamped)
        return [e.get("seq", 0) for e in stamped]

    async def stream(
        self, subscriber_id: str, max_batch: int = 500
    ) -> AsyncIterator[list[StreamItem]]:
        """Yield batches of events for one subscriber until cancelled."""
        sub = _Subscriber(self.queue_size)
        self.subscribers[subscriber_id] = sub
        try:
            yield [{"type": "subscribed", "base_seq": self.ring.base_seq}]
            while True:
                first = await sub.queue.get()
                batch: list[StreamItem] = [first]
                while not sub.queue.empty() and len(batch) < max_batch:
                    batch.append(sub.queue.get_nowait())
                if sub.dropped:
                    batch.insert(0, {"type": "overflow", "dropped": sub.dropped})
                    sub.dropped = 0
                sub.delivered += len(batch)
                yield batch
        finally:
            if self.subscribers.get(subscriber_id) is sub:
                del self.subscribers[subscriber_id]

    def status(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "base_seq": self.ring.base_seq,
            "subscribers": {
                sid: {"queued": s.queue.qsize(), "dropped": s.dropped, "delivered": s.delivered}
                for sid, s in self.subscribers.items()
            },
        }
