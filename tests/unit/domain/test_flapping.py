"""Flap detection: a key that resolves and re-opens more than ``threshold``
times in the window becomes one flapping key with a count, and settles after a
quiet period."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.flapping import FlapPolicy, FlapTracker, FlapVerdict

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = FlapPolicy()
KEY = "t1:c1:DEVICE_OFFLINE:dev-7"


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def cycle(
    tracker: FlapTracker, key: str, n: int, every: timedelta, start: datetime = T0
) -> list[FlapVerdict]:
    """``n`` open/close cycles of ``key``, one every ``every``; the close comes
    half-way between two opens."""
    verdicts = []
    for i in range(n):
        opened_at = start + i * every
        verdicts.append(tracker.opened(key, opened_at, POLICY))
        tracker.closed(key, opened_at + every / 2)
    return verdicts


def test_default_policy_is_four_reopens_in_30_minutes_and_15_minutes_quiet() -> None:
    assert FlapPolicy() == FlapPolicy(4, timedelta(minutes=30), timedelta(minutes=15))


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": -1}, {"window": timedelta(0)}, {"quiet": timedelta(seconds=-1)}],
)
def test_a_policy_out_of_range_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FlapPolicy(**kwargs)  # type: ignore[arg-type]


def test_exactly_threshold_reopens_in_the_window_is_not_flapping() -> None:
    t = FlapTracker()
    verdicts = cycle(t, KEY, POLICY.threshold + 1, timedelta(minutes=1))
    assert [v.flapping for v in verdicts] == [False] * 5
    assert [v.count for v in verdicts] == [1, 2, 3, 4, 5]
    assert not t.is_flapping(KEY)
    assert t.count(KEY) == 0


def test_one_more_reopen_starts_flapping_and_started_is_true_only_once() -> None:
    t = FlapTracker()
    verdicts = cycle(t, KEY, POLICY.threshold + 4, timedelta(minutes=1))
    assert [v.started for v in verdicts].count(True) == 1
    assert verdicts[5] == FlapVerdict(flapping=True, started=True, count=6)
    assert all(v.flapping and not v.started for v in verdicts[6:])
    assert t.is_flapping(KEY)


def test_a_device_flapping_10_times_in_10_minutes_is_one_flap_with_count_10() -> None:
    t = FlapTracker()
    verdicts = cycle(t, KEY, 10, timedelta(minutes=1))
    assert verdicts[-1] == FlapVerdict(flapping=True, started=False, count=10)
    assert t.count(KEY) == 10
    assert t.flapping_keys() == [KEY]


def test_an_open_exactly_one_window_old_still_counts() -> None:
    t = FlapTracker()
    # Six opens 6 minutes apart: the first is exactly 30 minutes old at the sixth.
    verdicts = cycle(t, KEY, 6, timedelta(minutes=6))
    assert verdicts[-1] == FlapVerdict(flapping=True, started=True, count=6)


def test_an_open_one_second_older_than_the_window_no_longer_counts() -> None:
    t = FlapTracker()
    verdicts = cycle(t, KEY, 6, timedelta(minutes=6, seconds=1))
    assert verdicts[-1] == FlapVerdict(flapping=False, started=False, count=5)


def test_opens_spread_wider_than_the_window_never_flap() -> None:
    t = FlapTracker()
    verdicts = cycle(t, KEY, 200, timedelta(minutes=6, seconds=1))
    assert not any(v.flapping for v in verdicts)
    assert max(v.count for v in verdicts) == POLICY.threshold + 1


def test_closes_while_flapping_keep_it_flapping() -> None:
    t = FlapTracker()
    cycle(t, KEY, 6, timedelta(minutes=1))
    for i in range(5):
        t.closed(KEY, at(10 + i))
    assert t.is_flapping(KEY)
    assert t.count(KEY) == 6


def test_a_flap_settles_after_the_quiet_period_from_its_last_change() -> None:
    t = FlapTracker()
    cycle(t, KEY, 10, timedelta(minutes=1))  # last change: the close at 9:30
    last = at(9, 30)
    assert t.settled(last + POLICY.quiet - timedelta(seconds=1), POLICY) == []
    assert t.is_flapping(KEY)
    assert t.settled(last + POLICY.quiet, POLICY) == [KEY]
    assert not t.is_flapping(KEY)
    assert t.count(KEY) == 0
    assert len(t) == 0


def test_a_close_restarts_the_quiet_period() -> None:
    t = FlapTracker()
    cycle(t, KEY, 6, timedelta(minutes=1))
    t.closed(KEY, at(20))
    assert t.settled(at(34), POLICY) == []
    assert t.settled(at(35), POLICY) == [KEY]


def test_an_open_left_alone_for_the_quiet_period_also_settles() -> None:
    t = FlapTracker()
    for i in range(6):
        t.opened(KEY, at(i), POLICY)
    assert t.settled(at(5) + POLICY.quiet, POLICY) == [KEY]


def test_after_settling_a_key_starts_again_from_zero() -> None:
    t = FlapTracker()
    cycle(t, KEY, 10, timedelta(minutes=1))
    later = at(60)
    assert t.settled(later, POLICY) == [KEY]
    verdicts = cycle(t, KEY, 6, timedelta(minutes=1), start=later)
    assert [v.count for v in verdicts] == [1, 2, 3, 4, 5, 6]
    assert [v.started for v in verdicts] == [False] * 5 + [True]
    assert t.count(KEY) == 6


def test_settled_keys_are_returned_sorted_and_only_the_quiet_ones() -> None:
    t = FlapTracker()
    for key in ("b", "a", "c"):
        cycle(t, key, 6, timedelta(minutes=1))
    t.opened("b", at(20), POLICY)
    assert t.settled(at(30), POLICY) == ["a", "c"]
    assert t.flapping_keys() == ["b"]


def test_keys_are_independent() -> None:
    t = FlapTracker()
    for i in range(6):
        t.opened("a", at(i), POLICY)
    for i in range(5):
        t.opened("b", at(i, 30), POLICY)
    assert t.is_flapping("a")
    assert not t.is_flapping("b")
    assert t.count("a") == 6
    assert t.count("b") == 0
    t.closed("b", at(6))
    assert t.is_flapping("a")


def test_a_key_not_flapping_keeps_at_most_threshold_plus_one_open_times() -> None:
    t = FlapTracker()
    policy = FlapPolicy(threshold=2, window=timedelta(hours=10))
    for i in range(50):
        # Three opens per window at most: spread 4 hours apart, never flaps.
        assert not t.opened(KEY, at(i * 240), policy).flapping
        assert len(t.to_dict()["keys"][KEY]["opens"]) <= policy.threshold + 1


def test_a_flapping_key_keeps_no_open_times() -> None:
    t = FlapTracker()
    cycle(t, KEY, 10, timedelta(minutes=1))
    assert t.to_dict()["keys"][KEY]["opens"] == []


def test_forget_before_drops_old_open_times_and_empty_keys() -> None:
    t = FlapTracker()
    t.opened("old", at(0), POLICY)
    t.opened("mixed", at(0), POLICY)
    t.opened("mixed", at(40), POLICY)
    cycle(t, "flapping", 6, timedelta(minutes=1))
    t.forget_before(at(30))
    keys = t.to_dict()["keys"]
    assert sorted(keys) == ["flapping", "mixed"]
    assert keys["mixed"]["opens"] == [at(40).isoformat()]
    assert t.is_flapping("flapping")
    assert len(t) == 2


def test_forgetting_bounds_memory_over_many_keys() -> None:
    t = FlapTracker()
    for i in range(1000):
        t.opened(f"k{i}", at(i / 10), POLICY)
    t.forget_before(at(100) - POLICY.window)
    assert len(t) == 1000 - 700


def test_a_close_of_an_unknown_key_remembers_nothing() -> None:
    t = FlapTracker()
    t.closed(KEY, T0)
    assert len(t) == 0
    assert not t.is_flapping(KEY)


def test_round_trip_mid_flap_through_json_keeps_every_key() -> None:
    t = FlapTracker()
    cycle(t, KEY, 7, timedelta(minutes=1))
    t.opened("quiet", at(3), POLICY)
    t.opened("quiet", at(4), POLICY)
    data = json.loads(json.dumps(t.to_dict()))
    back = FlapTracker.from_dict(data)
    assert back.to_dict() == t.to_dict()
    assert back.count(KEY) == 7
    # It carries on where it left off: counting, then settling on time.
    assert back.opened(KEY, at(8), POLICY) == FlapVerdict(True, False, 8)
    assert back.opened("quiet", at(5), POLICY).count == 3
    assert back.settled(at(8) + POLICY.quiet, POLICY) == [KEY]


def test_from_dict_refuses_an_unknown_version() -> None:
    with pytest.raises(InvalidInput):
        FlapTracker.from_dict({"version": 99, "keys": {}})


def test_naive_times_are_refused() -> None:
    t = FlapTracker()
    with pytest.raises(ValueError):
        t.opened(KEY, datetime(2026, 1, 1), POLICY)
    with pytest.raises(ValueError):
        t.closed(KEY, datetime(2026, 1, 1))


def test_an_earlier_open_counts_as_the_latest_time_the_key_has_seen() -> None:
    t = FlapTracker()
    t.opened(KEY, at(10), POLICY)
    v = t.opened(KEY, at(9), POLICY)  # source clock one minute behind
    assert v == FlapVerdict(flapping=False, started=False, count=2)
    assert t.to_dict()["keys"][KEY]["opens"] == [at(10).isoformat()] * 2


def test_a_clock_going_backwards_neither_crashes_nor_unflaps() -> None:
    t = FlapTracker()
    verdicts = [t.opened(KEY, at(10 - i), POLICY) for i in range(8)]
    assert [v.started for v in verdicts].count(True) == 1
    assert verdicts[-1].count == 8
    t.closed(KEY, at(0))  # earlier than every open: last change stays at 10
    assert t.settled(at(10) + POLICY.quiet - timedelta(seconds=1), POLICY) == []
    assert t.settled(at(0), POLICY) == []
    assert t.settled(at(10) + POLICY.quiet, POLICY) == [KEY]


def test_a_backwards_clock_does_not_shrink_the_window_of_another_key() -> None:
    t = FlapTracker()
    for i in range(5):
        t.opened("a", at(i), POLICY)
    t.opened("b", at(100), POLICY)
    # "a" has never seen minute 100: its own times decide.
    assert t.opened("a", at(5), POLICY).started
