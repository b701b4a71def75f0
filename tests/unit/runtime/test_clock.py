"""Time is an input: the manual clock moves only when told to, forwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.runtime import ManualClock, SystemClock

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_a_manual_clock_moves_only_when_advanced() -> None:
    clock = ManualClock(T0)
    assert clock.now() == clock.now() == T0
    assert clock.advance(minutes=15) == T0 + timedelta(minutes=15)
    assert clock.advance(timedelta(seconds=1)) == T0 + timedelta(minutes=15, seconds=1)
    clock.set(T0 + timedelta(hours=1))
    assert clock.now() == T0 + timedelta(hours=1)


def test_a_manual_clock_never_goes_backwards_and_is_aware() -> None:
    clock = ManualClock(T0)
    with pytest.raises(ValueError):
        clock.advance(minutes=-1)
    with pytest.raises(ValueError):
        clock.set(T0 - timedelta(seconds=1))
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 11, 26))


def test_the_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC
