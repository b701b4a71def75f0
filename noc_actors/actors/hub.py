"""BroadcastHub actor (``noc:broadcast-hub``): fan-out of NOC events.

Owns: per-tenant sequence numbers and a bounded ring of recent events
(``EventRing``), and one bounded queue per subscriber.
Hard state: none — events are derived from database changes; after a restart
the sequence continues from a larger base so consumers detect the gap.
Soft state: the ring and the subscriber queues.
Idempotent calls: ``replay``, ``status``. ``publish`` is not (a retried publish
would stamp the events twice), so it is not retried by Ray.

Each consumer process (a Serve replica) subscribes once through ``subscribe``,
a Ray streaming generator, and dispatches to its own sockets. A subscriber
that does not keep up has its oldest queued events dropped and receives an
``overflow`` marker: publishing is never blocked by a slow subscriber.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import ray

from noc_actors.domain.fanout import BroadcastHubCore
from noc_actors.domain.hub_events import ReplayAnswer, StreamItem
from noc_actors.domain.ring import Event


@ray.remote(num_cpus=0, max_restarts=-1)
class BroadcastHub:
    """Ray actor around ``BroadcastHubCore``; see the module docstring."""

    def __init__(self, ring_size: int = 10_000, queue_size: int = 10_000) -> None:
        # A larger base after every start: sequence numbers never go backwards.
        base = int(time.time() * 1000) * 1000
        self.core = BroadcastHubCore(ring_size, queue_size, base)
        self.started_at = time.time()

    def ready(self) -> bool:
        return True

    @ray.method(max_task_retries=0)
    async def publish(self, events: list[Event]) -> list[int]:
        return self.core.publish(events)

    @ray.method(max_task_retries=0)
    async def subscribe(self, subscriber_id: str) -> AsyncIterator[list[StreamItem]]:
        async for batch in self.core.stream(subscriber_id):
            yield batch

    def replay(self, tenant_id: str, after_seq: int) -> ReplayAnswer:
        r = self.core.ring.after(tenant_id, after_seq)
        return {"events": r.events, "resync": r.resync}

    def last_seq(self, tenant_id: str) -> int:
        return self.core.ring.last_seq(tenant_id)

    def status(self) -> dict[str, Any]:
        return {**self.core.status(), "started_at": self.started_at}
