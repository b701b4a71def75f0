"""Periodic loops that never die: each runs ``step()`` on an interval inside a
guard that logs and counts failures (STYLE 5). Host-independent: a runtime
owns its loops, whatever process hosts it."""

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


class LoopStatus(TypedDict):
    """What ``status()`` and health show of a periodic job."""

    name: str
    runs: int
    failures: int
    last_success: float | None
    last_error: str | None
    running: bool


@dataclass
class PeriodicLoop:
    """Calls ``step`` every ``interval_s`` seconds until stopped.

    ``interval_s`` may be a callable returning the delay until the next run
    (for wall-clock jobs such as the daily archive at 02:00)."""

    name: str
    interval_s: float | Callable[[], float]
    step: Callable[[], Awaitable[Any]]
    runs: int = 0
    failures: int = 0
    last_success: float | None = None
    last_error: str | None = None
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> None:
        if self._task is None or self._task.done():
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
            self.last_error = f"{type(err).__name__}: {err}"
            log.exception("periodic job %s failed (%d failures)", self.name, self.failures)
            return False
        self.last_success = time.time()
        return True

    async def run(self) -> None:
        """Step every interval, forever (``start`` runs this as a task)."""
        while True:
            await asyncio.sleep(max(0.0, self._delay()))
            await self.run_once()

    def status(self) -> LoopStatus:
        return {
            "name": self.name,
            "runs": self.runs,
            "failures": self.failures,
            "last_success": self.last_success,
            "last_error": self.last_error,
            "running": self._task is not None and not self._task.done(),
        }


def seconds_until(hour_utc: int, now: datetime) -> float:
    """Seconds from ``now`` to the next ``hour_utc``:00 UTC."""
    target = now.replace(hour=hour_utc, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()
