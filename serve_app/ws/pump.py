"""The replica's one subscription to the broadcast hub.

``HubPump`` consumes ``NocClient.subscribe`` (a Ray streaming generator that
resubscribes by itself after a hub restart) and hands every batch, in order,
to its listeners: the in-process cache invalidation (without Redis) and the
socket dispatcher. So a replica holds exactly one hub subscription however
many sockets it serves.

The hub's ``subscribed`` marker starts every subscription; the pump marks
each but the first with ``resubscribed: True`` — events may have been
published while no subscription existed, a gap the listeners must treat like
an ``overflow`` marker.

Soft state only: counters, the hub's ``base_seq``, ``ready`` (subscribed)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypedDict, cast

from noc_actors.domain.hub_events import StreamItem, StreamMarker

log = logging.getLogger(__name__)

Batch = list[StreamItem]
Listener = Callable[[Batch], Awaitable[None]]


class PumpStatus(TypedDict):
    subscribed: bool
    subscriptions: int
    base_seq: int | None
    batches: int
    failures: int


class HubPump:
    """Owns the subscription task's state and the listeners it feeds."""

    def __init__(self, subscribe: Callable[[], AsyncIterator[Batch]], retry_s: float = 1.0) -> None:
        self.subscribe = subscribe
        self.retry_s = retry_s
        self.listeners: list[Listener] = []
        self.ready = asyncio.Event()
        self.subscriptions = 0
        self.base_seq: int | None = None
        self.batches = 0
        self.failures = 0

    def listen(self, listener: Listener) -> None:
        self.listeners.append(listener)

    async def wait_ready(self, timeout_s: float) -> bool:
        """True once subscribed (at once after the first time)."""
        try:
            await asyncio.wait_for(self.ready.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        """Pump forever; a failing subscription is made again (never dies)."""
        while True:
            try:
                async for batch in self.subscribe():
                    await self.feed(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop must not die
                self.failures += 1
                log.exception("hub subscription failed (%d failures)", self.failures)
            await asyncio.sleep(self.retry_s)

    async def feed(self, batch: Batch) -> None:
        """One batch to every listener; a failing listener is logged, not fatal."""
        if batch and batch[0].get("type") == "subscribed":
            marker = cast(StreamMarker, {**batch[0], "resubscribed": self.subscriptions > 0})
            self.subscriptions += 1
            self.base_seq = marker.get("base_seq")
            batch = [marker, *batch[1:]]
            self.ready.set()
        self.batches += 1
        for listener in self.listeners:
            try:
                await listener(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("hub listener %r failed", listener)

    def status(self) -> PumpStatus:
        return {
            "subscribed": self.ready.is_set(),
            "subscriptions": self.subscriptions,
            "base_seq": self.base_seq,
            "batches": self.batches,
            "failures": self.failures,
        }
