"""Deadlines told to the escalation timer in batches, not per commit.

Most deadlines are minutes away (an escalation delay), yet every commit that
opened an alert used to cost a call to the timer actor: a third of the actor
calls of an ingest. ``BufferedTimer`` is a ``TimerPort`` in front of the real
one that holds deadlines due later than ``horizon_s`` and sends them together
at most ``interval_s`` later, in one call. A deadline due sooner, and every
cancel, goes at once — together with everything held, so the timer sees the
operations in the order they were made.

Nothing is lost with the buffer: a runtime that dies with deadlines held
re-arms every pending deadline when it reloads, and a timer that restarts
rebuilds its heap from the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta

from noc_actors.domain.escalation import Deadline
from noc_actors.runtime.ports import Clock, TimerPort

Later = Callable[[float, Callable[[], None]], object]


def _call_later(delay_s: float, fn: Callable[[], None]) -> object:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop (a synchronous caller): send now
        fn()
        return None
    return loop.call_later(delay_s, fn)


class BufferedTimer:
    """A ``TimerPort`` that batches far deadlines; see the module docstring."""

    def __init__(
        self,
        port: TimerPort,
        clock: Clock,
        *,
        interval_s: float = 1.0,
        horizon_s: float = 2.0,
        later: Later = _call_later,
    ) -> None:
        if horizon_s <= interval_s:
            raise ValueError("horizon_s must exceed interval_s, or a held deadline could be late")
        self.port, self.clock, self.later = port, clock, later
        self.interval_s = interval_s
        self.horizon = timedelta(seconds=horizon_s)
        self._arms: dict[str, Deadline] = {}
        self._scheduled = False

    def arm(self, deadlines: Sequence[Deadline]) -> None:
        if not deadlines:
            return
        for d in deadlines:
            held = self._arms.get(d.alert_id)
            # The timer keeps the highest level it was told (the last among
            # equals): hold exactly what it would have kept.
            if held is None or held.level <= d.level:
                self._arms[d.alert_id] = d
        soon = self.clock.now() + self.horizon
        if any(d.due_at <= soon for d in deadlines):
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            self.later(self.interval_s, self._timed_flush)

    def cancel(self, alert_ids: Sequence[str]) -> None:
        """At once: a held arm of the same alert is dropped, not sent."""
        if not alert_ids:
            return
        for a in alert_ids:
            self._arms.pop(a, None)
        self.flush()
        self.port.cancel(alert_ids)

    def flush(self) -> None:
        """Send every held deadline now, in one call."""
        if self._arms:
            arms, self._arms = list(self._arms.values()), {}
            self.port.arm(arms)

    def _timed_flush(self) -> None:
        self._scheduled = False
        self.flush()

    def __len__(self) -> int:
        return len(self._arms)
