"""The replica's real-time side, built and started once per Serve replica
by the app context: one hub pump feeding the in-process cache invalidation
(when there is no Redis) and the socket dispatcher, and the message rate
limiter (Redis when configured, so the limit holds across replicas)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from functools import partial
from typing import TypedDict

from noc_actors.actors.client import NocClient
from noc_actors.settings import Settings
from serve_app.cache import Cache, MemoryCache, RedisCache, invalidate_from_hub
from serve_app.ws.fanout import Dispatcher, DispatcherStatus
from serve_app.ws.pump import HubPump, PumpStatus
from serve_app.ws.ratelimit import LocalWindow, RateLimiter, RedisWindow
from serve_app.ws.slots import SocketSlots


def replica_id() -> str:
    """The Serve replica's id, or host:pid outside Serve."""
    try:
        from ray import serve

        return str(serve.get_replica_context().replica_id.unique_id)
    except Exception:  # noqa: BLE001 - not inside a Serve replica
        return f"{socket.gethostname()}:{os.getpid()}"


class RealtimeStatus(TypedDict):
    replica: str
    pump: PumpStatus
    dispatcher: DispatcherStatus
    sockets_refused: int
    """Sockets closed at once: the replica or their user at its cap."""


@dataclass
class Realtime:
    """Owns the replica's hub pump, socket dispatcher and rate limiter."""

    pump: HubPump
    dispatcher: Dispatcher
    limiter: RateLimiter
    replica_id: str
    slots: SocketSlots

    @classmethod
    def build(cls, settings: Settings, noc: NocClient, cache: Cache) -> Realtime:
        rid = replica_id()
        subscriber = f"replica-{rid}-{uuid.uuid4().hex[:6]}"
        pump = HubPump(lambda: noc.subscribe(subscriber))
        if isinstance(cache, MemoryCache):  # first: a push never precedes its invalidation
            pump.listen(partial(invalidate_from_hub, cache))
        dispatcher = Dispatcher()
        pump.listen(dispatcher.on_batch)
        limit = settings.ws_rate_limit_per_minute
        limiter: RateLimiter = (
            RedisWindow(cache.client, limit)
            if isinstance(cache, RedisCache)
            else LocalWindow(limit)
        )
        slots = SocketSlots(settings.ws_max_sockets_per_replica, settings.ws_max_sockets_per_user)
        return cls(pump, dispatcher, limiter, rid, slots)

    def status(self) -> RealtimeStatus:
        return {
            "replica": self.replica_id,
            "pump": self.pump.status(),
            "dispatcher": self.dispatcher.status(),
            "sockets_refused": self.slots.refused,
        }
