"""Periodic loops that never die: each runs ``step()`` on an interval inside a
guard that logs and counts failures (STYLE 5). A failed run is retried up to
``retries`` times with exponential backoff before the loop waits for its next
interval (the seed's jobs did the same). A loop that has not succeeded for
``LATE_AFTER_INTERVALS`` intervals is *late*: health reports it and turns
degraded. Host-independent: a runtime owns its loops, whatever process hosts
it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict

log = logging.getLogger(__name__)

LATE_AFTER_INTERVALS = 3
"""A loop without a success for this many intervals is late."""
RETRIES = 3
RETRY_BACKOFF_S = 1.0
"""First retry's delay; each next one doubles it (never beyond the interval)."""


class LoopStatus(TypedDict):
    """What ``status()`` and health show of a periodic job."""

    name: str
    runs: int
    failures: int
    """Failed runs since start, retries included."""
    consecutive_failures: int
    last_success: float | None
    last_error: str | None
    running: bool
    late: bool
    """Running, and no success for ``LATE_AFTER_INTERVALS`` intervals (a
    wall-clock job: its last run and its retries all failed)."""


@dataclass
class PeriodicLoop:
    """Calls ``step`` every ``interval_s`` seconds until stopped.

    ``interval_s`` may be a callable returning the delay until the next run
    (for wall-clock jobs such as the daily archive at 02:00).
    ``first_delay_s``: the wait before the first run (default: one interval;
    0 runs it as soon as the loop starts)."""

    name: str
    interval_s: float | Callable[[], float]
    step: Callable[[], Awaitable[Any]]
    first_delay_s: float | None = None
    retries: int = RETRIES
    retry_backoff_s: float = RETRY_BACKOFF_S
    late_after_s: float = 0.0
    """At least this long without a success before it is late (a loop that
    runs every fraction of a second is not late after three missed turns)."""
    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_success: float | None = None
    last_error: str | None = None
    started_at: float | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self.started_at = time.time()
            self._task = asyncio.get_running_loop().create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _delay(self) -> float:
        return self.interval_s() if callable(self.interval_s) else self.interval_s

    async def run_once(self) -> bool:
        """One guarded step; True when it succeeded."""
        self.runs += 1
        try:
            await self.step()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - the guard is the point
            self.failures += 1
            self.consecutive_failures += 1
            self.last_error = f"{type(err).__name__}: {err}"
            log.exception("periodic job %s failed (%d failures)", self.name, self.failures)
            return False
        self.consecutive_failures = 0
        self.last_success = time.time()
        return True

    async def run_with_retries(self) -> bool:
        """One run, and up to ``retries`` more after a failure, waiting
        ``retry_backoff_s`` · 2^k (at most one interval) between them."""
        if await self.run_once():
            return True
        for attempt in range(self.retries):
            await asyncio.sleep(min(self.retry_backoff_s * 2**attempt, max(self._delay(), 0.0)))
            if await self.run_once():
                return True
        return False

    async def run(self) -> None:
        """Step every interval, forever (``start`` runs this as a task)."""
        first = self.first_delay_s
        await asyncio.sleep(max(0.0, self._delay() if first is None else first))
        while True:
            await self.run_with_retries()
            await asyncio.sleep(max(0.0, self._delay()))

    def is_late(self, now: float | None = None) -> bool:
        """Running and not succeeding: no success (or start) within
        ``LATE_AFTER_INTERVALS`` intervals; for a wall-clock job, its last run
        failed with all its retries."""
        if self._task is None or self._task.done() or self.started_at is None:
            return False
        if callable(self.interval_s):
            return self.consecutive_failures > self.retries
        since = max(self.last_success or 0.0, self.started_at)
        now = time.time() if now is None else now
        return now - since > max(LATE_AFTER_INTERVALS * self.interval_s, self.late_after_s)

    def status(self) -> LoopStatus:
        return {
            "name": self.name,
            "runs": self.runs,
            "failures": self.failures,
            "consecutive_failures": self.consecutive_failures,
            "last_success": self.last_success,
            "last_error": self.last_error,
            "running": self._task is not None and not self._task.done(),
            "late": self.is_late(),
        }


def seconds_until(hour_utc: int, now: datetime) -> float:
    """Seconds from ``now`` to the next ``hour_utc``:00 UTC."""
    target = now.replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()
