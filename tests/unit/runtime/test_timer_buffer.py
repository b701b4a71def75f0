"""BufferedTimer: far deadlines reach the timer in one call per interval;
a near deadline and every cancel go at once with everything held, so the
timer ends up with exactly what per-commit calls would have given it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.escalation import Deadline, EscalationSchedule
from noc_actors.runtime.clock import ManualClock
from noc_actors.runtime.timer_buffer import BufferedTimer

T0 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


class Timer:
    """The real timer's arm/cancel rules over the real schedule, and the calls."""

    def __init__(self) -> None:
        self.schedule = EscalationSchedule()
        self.calls: list[tuple[str, list[str]]] = []

    def arm(self, deadlines: Sequence[Deadline]) -> None:
        self.calls.append(("arm", [d.alert_id for d in deadlines]))
        for d in deadlines:
            current = self.schedule.get(d.alert_id)
            if current is None or current.level <= d.level:
                self.schedule.push(d)

    def cancel(self, alert_ids: Sequence[str]) -> None:
        self.calls.append(("cancel", list(alert_ids)))
        for a in alert_ids:
            self.schedule.cancel(a)

    def pending(self) -> dict[str, tuple[datetime, int]]:
        out = {}
        for a in ("a", "b", "c", "d"):
            d = self.schedule.get(a)
            if d is not None:
                out[a] = (d.due_at, d.level)
        return out


def dl(alert_id: str, minutes: float, level: int = 1) -> Deadline:
    return Deadline(T0 + timedelta(minutes=minutes), alert_id, level, "c1", "t1")


def setup() -> tuple[Timer, BufferedTimer, list[Callable[[], None]]]:
    timer, timers = Timer(), []
    buffered = BufferedTimer(timer, ManualClock(T0), later=lambda _s, fn: timers.append(fn))
    return timer, buffered, timers


def test_far_deadlines_of_many_commits_reach_the_timer_in_one_call() -> None:
    timer, buffered, timers = setup()
    for i, a in enumerate("abc"):
        buffered.arm([dl(a, 15 + i)])
    assert timer.calls == [] and len(buffered) == 3 and len(timers) == 1  # one flush scheduled
    timers.pop()()
    assert timer.calls == [("arm", ["a", "b", "c"])]
    assert set(timer.pending()) == {"a", "b", "c"} and len(buffered) == 0


def test_a_near_deadline_goes_at_once_with_everything_held() -> None:
    timer, buffered, _ = setup()
    buffered.arm([dl("a", 15)])
    buffered.arm([dl("b", 1 / 60)])  # due in one second: inside the horizon
    assert timer.calls == [("arm", ["a", "b"])]


def test_a_cancel_goes_at_once_and_drops_the_held_arm_of_its_alert() -> None:
    timer, buffered, timers = setup()
    buffered.arm([dl("a", 15), dl("b", 15)])
    buffered.cancel(["a"])
    assert timer.calls == [("arm", ["b"]), ("cancel", ["a"])]
    timers.pop()()  # nothing left to send
    assert timer.calls == [("arm", ["b"]), ("cancel", ["a"])]
    assert set(timer.pending()) == {"b"}


@pytest.mark.parametrize(
    "ops",
    [
        [("arm", "a", 15, 1), ("arm", "a", 30, 2)],
        [("arm", "a", 30, 2), ("arm", "a", 15, 1)],  # a lower level never replaces
        [("arm", "a", 15, 1), ("cancel", "a", 0, 0), ("arm", "a", 45, 3)],
        [("arm", "b", 15, 1), ("arm", "a", 15, 1), ("cancel", "b", 0, 0), ("arm", "c", 20, 1)],
        [("arm", "d", 15, 2), ("arm", "d", 16, 2), ("arm", "c", 0.001, 1)],
    ],
)
def test_the_timer_ends_with_what_direct_calls_would_give(
    ops: list[tuple[str, str, float, int]],
) -> None:
    direct = Timer()
    timer, buffered, timers = setup()
    for kind, a, minutes, level in ops:
        for port in (direct, buffered):
            if kind == "arm":
                port.arm([dl(a, minutes, level)])
            else:
                port.cancel([a])
    while timers:
        timers.pop()()
    assert timer.pending() == direct.pending()
    assert len(timer.calls) <= len(direct.calls)


def test_the_horizon_must_exceed_the_interval() -> None:
    with pytest.raises(ValueError, match="horizon"):
        BufferedTimer(Timer(), ManualClock(T0), interval_s=2, horizon_s=1)
