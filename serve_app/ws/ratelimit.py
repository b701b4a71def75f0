"""Client messages per minute per user (SPEC section 12: 100), counted in
fixed one-minute windows.

``RedisWindow`` counts in Redis (``INCR`` + ``EXPIRE`` on
``noc:rate:<user>:<minute>``), so the limit holds across every replica;
``LocalWindow`` counts in the process (no Redis configured: one replica's
view). A Redis that fails degrades to the local count — messages are never
refused because the limiter is down."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from noc_actors import cache_keys

log = logging.getLogger(__name__)

WINDOW_S = 60


def window_of(now: float) -> int:
    """The fixed window (minute number) a time falls in."""
    return int(now // WINDOW_S)


def retry_after(now: float) -> float:
    """Seconds until the next window opens."""
    return round(WINDOW_S - (now % WINDOW_S), 1)


class RateLimiter(Protocol):
    limit: int

    async def allow(self, user_id: str) -> bool:
        """Count one message of ``user_id``; False when over the limit."""
        ...


class LocalWindow:
    """In-process fixed windows; owns a counter per (user, minute)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.clock = clock
        self._counts: dict[tuple[str, int], int] = {}
        self._window = -1

    def count(self, user_id: str) -> int:
        window = window_of(self.clock())
        if window != self._window:  # a new minute: forget the old counters
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            self._window = window
        key = (user_id, window)
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]

    async def allow(self, user_id: str) -> bool:
        return self.count(user_id) <= self.limit


class RedisWindow:
    """Fixed windows in Redis, shared by every replica."""

    def __init__(self, client: Any, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.limit = limit
        self.clock = clock
        self.fallback = LocalWindow(limit, clock)

    async def allow(self, user_id: str) -> bool:
        key = cache_keys.rate_key(user_id, window_of(self.clock()))
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 2 * WINDOW_S)
                count, _ = await pipe.execute()
        except Exception as err:  # noqa: BLE001 - never refuse because Redis is down
            log.warning("rate limit counter unavailable, counting locally: %s", err)
            return await self.fallback.allow(user_id)
        return int(count) <= self.limit
