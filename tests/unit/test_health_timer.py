"""Timer health asks whether the timer keeps up now (issue 11 item 12): a
timer back from a restart fires what fell due during its outage, late by
the outage, and was then reported unhealthy (health 503) until its next
firing, which could be minutes away."""

from __future__ import annotations

from noc_actors.actors.status import TimerStatus
from serve_app.health import TIMER_BEHIND_S, timer_ok


def status(last_lag_s: float | None, oldest_overdue_s: float, *, armed: bool = True) -> TimerStatus:
    return {
        "kind": "timer",
        "pending": 3,
        "next_due_at": None,
        "fired": 12,
        "failures": 0,
        "last_lag_s": last_lag_s,
        "max_lag_s": last_lag_s or 0.0,
        "recent_lag_p50_s": 0.2,
        "recent_lag_max_s": last_lag_s,
        "oldest_overdue_s": oldest_overdue_s,
        "rebuilt": 3,
        "armed": armed,
        "started_at": 0.0,
        "restarted": True,
    }


def test_a_restart_that_fired_late_deadlines_is_healthy_once_it_keeps_up() -> None:
    assert timer_ok(status(last_lag_s=42.0, oldest_overdue_s=0.0))


def test_a_deadline_waiting_past_due_makes_the_timer_unhealthy() -> None:
    assert not timer_ok(status(last_lag_s=0.1, oldest_overdue_s=TIMER_BEHIND_S + 1))
    assert timer_ok(status(last_lag_s=None, oldest_overdue_s=TIMER_BEHIND_S - 1))


def test_a_timer_that_could_not_re_arm_from_the_database_is_unhealthy() -> None:
    assert not timer_ok(status(last_lag_s=None, oldest_overdue_s=0.0, armed=False))
