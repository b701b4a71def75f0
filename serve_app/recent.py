"""``Recent``: the last answer of an async computation, kept a few seconds,
with concurrent askers sharing one computation — so a probe hit by every
load balancer and monitor costs one check per interval, not one per call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._value: T | None = None
        self._at = float("-inf")
        self._pending: asyncio.Future[T] | None = None
        self.computed = 0
        """How many times the computation ran."""

    async def get(self, compute: Callable[[], Awaitable[T]]) -> T:
        if self._value is not None and time.monotonic() - self._at < self.ttl_s:
            return self._value
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._run(compute))
        return await asyncio.shield(self._pending)

    async def _run(self, compute: Callable[[], Awaitable[T]]) -> T:
        try:
            value = await compute()
            self.computed += 1
            self._value, self._at = value, time.monotonic()
            return value
        finally:
            self._pending = None
