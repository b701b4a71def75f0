"""Clocks (STYLE 4, time is an input): ``SystemClock`` for hosts, and
``ManualClock`` that tests advance instead of sleeping — shipped here, as
httpx ships ``MockTransport``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """The wall clock, aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**units)``; returns the new now."""
        step = delta if delta is not None else timedelta(**units)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        self._now += step
        return self._now

    def set(self, at: datetime) -> None:
        if at < self._now:
            raise ValueError("time does not go backwards")
        self._now = at
