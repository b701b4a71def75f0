"""On-call schedules: wall-clock rotations across daylight saving,
restrictions, overrides, the shift timeline, the layers' JSON and scopes."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from noc_actors.domain.oncall import (
    Layer,
    Override,
    Restriction,
    Schedule,
    ScheduleError,
    Shift,
    check_time_zone,
    layers_json,
    parse_layers,
    schedule_for,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
H = timedelta(hours=1)
US = timedelta(microseconds=1)
WEEKDAYS = (0, 1, 2, 3, 4)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def local(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)


def layer(
    start: datetime,
    hours: float = 24,
    users: tuple[str, ...] = ("alice", "bob"),
    name: str = "primary",
    restrictions: tuple[Restriction, ...] = (),
) -> Layer:
    return Layer(name, users, start, timedelta(hours=hours), restrictions)


def schedule(
    *layers: Layer, tz: str = BERLIN, overrides: tuple[Override, ...] = (), **scope: Any
) -> Schedule:
    return Schedule("s1", "t1", "on call", tz, layers, overrides=overrides, **scope)


def handoffs(s: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, str | None]]:
    return [(p.start, p.user) for p in s.shifts(start, end)]


# --- daily rotation across daylight saving ---------------------------------


@pytest.mark.parametrize(
    ("tz", "first_day", "utc_handoffs"),
    [
        # Berlin springs forward on 2026-03-29: 09:00 CET is 08:00Z, 09:00 CEST 07:00Z.
        (BERLIN, datetime(2026, 3, 28, 9), [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7)]),
        # ... and falls back on 2026-10-25.
        (BERLIN, datetime(2026, 10, 24, 9), [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)]),
        # New York: EST -5 to EDT -4 on 2026-03-08, back on 2026-11-01.
        (NEW_YORK, datetime(2026, 3, 7, 9), [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]),
        (NEW_YORK, datetime(2026, 10, 31, 9), [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]),
    ],
)
def test_daily_handoff_stays_at_0900_local_on_the_daylight_saving_day(
    tz: str, first_day: datetime, utc_handoffs: list[datetime]
) -> None:
    s = schedule(layer(first_day), tz=tz)
    alice_from, bob_from = utc_handoffs
    bob_until = bob_from + 24 * H
    assert handoffs(s, alice_from - H, bob_until + H) == [
        (alice_from - H, None),
        (alice_from, "alice"),
        (bob_from, "bob"),
        (bob_until, "alice"),
    ]
    assert s.on_call(bob_from - US) == "alice"
    assert s.on_call(bob_from) == "bob"
    assert s.on_call(bob_until - US) == "bob"
    assert s.on_call(bob_until) == "alice"
    for instant in (alice_from, bob_from, bob_until):
        assert instant.astimezone(ZoneInfo(tz)).time() == time(9, 0)


def test_the_turn_over_the_change_is_23_or_25_hours_of_real_time() -> None:
    spring = schedule(layer(datetime(2026, 3, 28, 9)))
    fall = schedule(layer(datetime(2026, 10, 24, 9)))
    assert spring.shifts(utc(2026, 3, 28, 8), utc(2026, 3, 29, 7))[0].end == utc(2026, 3, 29, 7)
    assert [p.end - p.start for p in spring.shifts(utc(2026, 3, 28, 8), utc(2026, 3, 30, 7))] == [
        23 * H,
        24 * H,
    ]
    assert [p.end - p.start for p in fall.shifts(utc(2026, 10, 24, 7), utc(2026, 10, 26, 8))] == [
        25 * H,
        24 * H,
    ]


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK])
def test_a_long_running_rotation_alternates_correctly_across_both_changes(tz: str) -> None:
    users = ("alice", "bob", "carol")
    first = datetime(2026, 1, 1, 9)
    s = schedule(layer(first, users=users), tz=tz)
    for day in (7, 8, 9, 28, 29, 30):
        for month in (3, 10, 11):
            handoff = datetime(2026, month, day, 9)
            today = users[(handoff - first).days % 3]
            yesterday = users[((handoff - first).days - 1) % 3]
            assert s.on_call(local(tz, 2026, month, day, 8, 59)) == yesterday
            assert s.on_call(local(tz, 2026, month, day, 9, 0)) == today


def test_a_12_hour_shift_hands_off_at_0900_and_2100_local_on_the_daylight_saving_day() -> None:
    spring = schedule(layer(datetime(2026, 3, 28, 9), hours=12))
    assert handoffs(spring, utc(2026, 3, 28, 8), utc(2026, 3, 30, 8)) == [
        (utc(2026, 3, 28, 8), "alice"),  # 09:00 CET
        (utc(2026, 3, 28, 20), "bob"),  # 21:00 CET, an 11 h night
        (utc(2026, 3, 29, 7), "alice"),  # 09:00 CEST
        (utc(2026, 3, 29, 19), "bob"),  # 21:00 CEST
        (utc(2026, 3, 30, 7), "alice"),
    ]
    fall = schedule(layer(datetime(2026, 10, 31, 9), hours=12), tz=NEW_YORK)
    assert handoffs(fall, utc(2026, 10, 31, 13), utc(2026, 11, 2, 14)) == [
        (utc(2026, 10, 31, 13), "alice"),  # 09:00 EDT
        (utc(2026, 11, 1, 1), "bob"),  # 21:00 EDT, a 13 h night
        (utc(2026, 11, 1, 14), "alice"),  # 09:00 EST
        (utc(2026, 11, 2, 2), "bob"),  # 21:00 EST
    ]


def test_a_weekly_rotation_keeps_monday_0900_local() -> None:
    s = schedule(layer(datetime(2026, 3, 23, 9), hours=168))  # a Monday
    assert s.on_call(utc(2026, 3, 30, 6, 59)) == "alice"
    assert s.on_call(utc(2026, 3, 30, 7)) == "bob"  # 09:00 CEST
    assert s.on_call(utc(2026, 10, 26, 7, 59)) == "alice"  # 30 weeks later, still CEST+1 h
    assert s.on_call(utc(2026, 10, 26, 8)) == "bob"  # 09:00 CET
    pieces = s.shifts(utc(2026, 10, 12), utc(2026, 11, 3))
    starts = [p.start.astimezone(ZoneInfo(BERLIN)) for p in pieces[1:]]
    assert [t.strftime("%a %d %H:%M") for t in starts] == [
        "Mon 12 09:00",
        "Mon 19 09:00",
        "Mon 26 09:00",
        "Mon 02 09:00",
    ]
    assert [p.end - p.start for p in pieces[1:-1]] == [168 * H, 169 * H, 168 * H]


def test_a_rotation_that_started_long_ago_is_found_by_arithmetic() -> None:
    users = tuple(f"u{i}" for i in range(7))
    s = schedule(layer(datetime(2000, 1, 1), hours=0.25, users=users), tz="UTC")
    at = utc(2026, 6, 1, 12, 7)
    turns = (at - utc(2000, 1, 1)) // timedelta(minutes=15)
    assert s.on_call(at) == users[turns % 7]
    assert s.on_call(utc(1999, 12, 31, 23, 59)) is None


# --- the gap and the repeated hour -------------------------------------------


def test_a_handoff_inside_the_spring_forward_gap_happens_when_the_gap_ends() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29: clocks jump 02:00 CET -> 03:00 CEST.
    s = schedule(layer(datetime(2026, 3, 27, 2, 30), users=("alice", "bob", "carol")))
    assert s.on_call(utc(2026, 3, 29, 0, 59, 59)) == "bob"  # 01:59:59 CET
    assert s.on_call(utc(2026, 3, 29, 1)) == "carol"  # 03:00 CEST, the end of the gap
    assert s.on_call(utc(2026, 3, 29, 1, 15)) == "carol"
    assert handoffs(s, utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 1)) == [
        (utc(2026, 3, 28, 1, 30), "bob"),  # 02:30 CET
        (utc(2026, 3, 29, 1), "carol"),  # 03:00 CEST
        (utc(2026, 3, 30, 0, 30), "alice"),  # 02:30 CEST
    ]


def test_both_occurrences_of_the_repeated_hour_go_to_the_user_of_that_turn() -> None:
    s = schedule(layer(datetime(2026, 10, 31, 9)), tz=NEW_YORK)
    first, second = local(NEW_YORK, 2026, 11, 1, 1, 30), local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1)
    assert (first.astimezone(UTC), second.astimezone(UTC)) == (
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 6, 30),
    )
    assert s.on_call(first) == s.on_call(second) == "alice"


def test_a_handoff_in_the_repeated_hour_happens_at_its_first_occurrence_and_holds() -> None:
    # 12 h turns handing off at 01:30 and 13:30 New York time; 01:30 happens twice on 2026-11-01.
    s = schedule(layer(datetime(2026, 10, 31, 13, 30), hours=12), tz=NEW_YORK)
    assert s.on_call(utc(2026, 11, 1, 5, 29, 59)) == "alice"
    assert s.on_call(utc(2026, 11, 1, 5, 30)) == "bob"  # 01:30 EDT
    assert s.on_call(utc(2026, 11, 1, 6, 15)) == "bob"  # 01:15 EST: does not flip back
    assert s.on_call(utc(2026, 11, 1, 6, 30)) == "bob"  # 01:30 EST
    assert handoffs(s, utc(2026, 10, 31, 17, 30), utc(2026, 11, 1, 19)) == [
        (utc(2026, 10, 31, 17, 30), "alice"),
        (utc(2026, 11, 1, 5, 30), "bob"),  # a 13 h turn
        (utc(2026, 11, 1, 18, 30), "alice"),  # 13:30 EST
    ]


def test_half_hour_turns_inside_the_repeated_hour_count_it_once() -> None:
    s = schedule(layer(datetime(2026, 11, 1, 0, 0), hours=0.5), tz=NEW_YORK)
    assert handoffs(s, utc(2026, 11, 1, 4), utc(2026, 11, 1, 8)) == [
        (utc(2026, 11, 1, 4), "alice"),  # 00:00 EDT
        (utc(2026, 11, 1, 4, 30), "bob"),
        (utc(2026, 11, 1, 5), "alice"),  # 01:00 EDT
        (utc(2026, 11, 1, 5, 30), "bob"),  # 01:30 EDT, held through the second 01:xx
        (utc(2026, 11, 1, 7), "alice"),  # 02:00 EST
        (utc(2026, 11, 1, 7, 30), "bob"),
    ]
    assert s.on_call(utc(2026, 11, 1, 6)) == "bob"  # 01:00 EST, the second pass
    assert s.on_call(utc(2026, 11, 1, 6, 59)) == "bob"


# --- overrides and layers ----------------------------------------------------


def test_an_override_wins_over_the_layers_and_ends_exactly_at_its_end() -> None:
    cover = Override("o1", "carol", utc(2026, 6, 2, 10), utc(2026, 6, 2, 12))
    s = schedule(layer(datetime(2026, 6, 1, 9), users=("alice",)), overrides=(cover,))
    assert s.on_call(utc(2026, 6, 2, 10) - US) == "alice"
    assert s.on_call(utc(2026, 6, 2, 10)) == "carol"
    assert s.on_call(utc(2026, 6, 2, 12) - US) == "carol"
    assert s.on_call(utc(2026, 6, 2, 12)) == "alice"
    assert s.shifts(utc(2026, 6, 2, 9), utc(2026, 6, 2, 13)) == [
        Shift(utc(2026, 6, 2, 9), utc(2026, 6, 2, 10), "alice", "primary"),
        Shift(utc(2026, 6, 2, 10), utc(2026, 6, 2, 12), "carol", "override"),
        Shift(utc(2026, 6, 2, 12), utc(2026, 6, 2, 13), "alice", "primary"),
    ]


@pytest.mark.parametrize("reverse", [False, True])
def test_the_latest_starting_of_overlapping_overrides_wins(reverse: bool) -> None:
    long = Override("o1", "carol", utc(2026, 6, 2, 10), utc(2026, 6, 2, 14))
    short = Override("o2", "dave", local(BERLIN, 2026, 6, 2, 13), local(BERLIN, 2026, 6, 2, 14))
    overrides = (short, long) if reverse else (long, short)
    s = schedule(layer(datetime(2026, 6, 1, 9), users=("alice",))).with_overrides(overrides)
    assert handoffs(s, utc(2026, 6, 2, 9), utc(2026, 6, 2, 15)) == [
        (utc(2026, 6, 2, 9), "alice"),
        (utc(2026, 6, 2, 10), "carol"),
        (utc(2026, 6, 2, 11), "dave"),  # 13:00 CEST
        (utc(2026, 6, 2, 12), "carol"),
        (utc(2026, 6, 2, 14), "alice"),
    ]


def test_with_overrides_returns_a_new_schedule() -> None:
    base = schedule(layer(datetime(2026, 6, 1, 9)))
    cover = Override("o1", "carol", utc(2026, 6, 2, 10), utc(2026, 6, 2, 12))
    changed = base.with_overrides([cover])
    assert changed.overrides == (cover,)
    assert base.overrides == ()
    assert base.on_call(utc(2026, 6, 2, 11)) == "bob"
    assert changed.on_call(utc(2026, 6, 2, 11)) == "carol"


def test_same_user_from_another_source_is_a_separate_piece() -> None:
    cover = Override("o1", "alice", utc(2026, 6, 2, 10), utc(2026, 6, 2, 12))
    s = schedule(layer(datetime(2026, 6, 1, 9), users=("alice",)), overrides=(cover,))
    assert [(p.user, p.source) for p in s.shifts(utc(2026, 6, 2, 9), utc(2026, 6, 2, 13))] == [
        ("alice", "primary"),
        ("alice", "override"),
        ("alice", "primary"),
    ]


def test_consecutive_turns_of_the_same_user_are_merged() -> None:
    s = schedule(layer(datetime(2026, 6, 1, 9), users=("alice",)))
    assert s.shifts(utc(2026, 6, 2), utc(2026, 6, 9)) == [
        Shift(utc(2026, 6, 2), utc(2026, 6, 9), "alice", "primary")
    ]


def test_a_higher_layer_restricted_to_weeknights_covers_nights_the_lower_layer_the_rest() -> None:
    nights = layer(
        datetime(2026, 6, 1, 18),
        hours=168,
        users=("nina",),
        name="nights",
        restrictions=(Restriction(time(18), time(8), WEEKDAYS),),
    )
    s = schedule(layer(datetime(2026, 6, 1, 9), users=("dora",), name="days"), nights)
    # 2026-06-01 is a Monday.
    expected = {
        (1, 12, 0): "dora",
        (1, 17, 59): "dora",
        (1, 18, 0): "nina",
        (2, 7, 59): "nina",
        (2, 8, 0): "dora",
        (5, 18, 0): "nina",  # Friday evening
        (6, 7, 59): "nina",  # the Friday window runs into Saturday morning
        (6, 8, 0): "dora",
        (6, 20, 0): "dora",  # weekend nights
        (7, 23, 0): "dora",
        (8, 2, 0): "dora",  # no window starts on Sunday
        (8, 18, 0): "nina",
    }
    actual = {k: s.on_call(local(BERLIN, 2026, 6, *k)) for k in expected}
    assert actual == expected
    assert [(p.source, p.user) for p in s.shifts(utc(2026, 6, 5, 12), utc(2026, 6, 8, 20))] == [
        ("days", "dora"),
        ("nights", "nina"),
        ("days", "dora"),
        ("nights", "nina"),
    ]


def test_nobody_is_on_call_before_the_first_layer_starts() -> None:
    s = schedule(layer(datetime(2026, 6, 1, 9)))
    assert s.on_call(local(BERLIN, 2026, 6, 1, 8, 59)) is None
    assert s.on_call(local(BERLIN, 2026, 6, 1, 9)) == "alice"


def test_between_restriction_windows_nobody_is_on_call_and_shifts_show_the_gap() -> None:
    office = Restriction(time(9), time(17), WEEKDAYS)
    s = schedule(layer(datetime(2026, 6, 1, 9), users=("alice",), restrictions=(office,)))
    assert s.on_call(local(BERLIN, 2026, 6, 6, 12)) is None  # Saturday
    assert s.on_call(local(BERLIN, 2026, 6, 2, 17)) is None
    assert s.shifts(utc(2026, 6, 2), utc(2026, 6, 3)) == [
        Shift(utc(2026, 6, 2), utc(2026, 6, 2, 7), None, ""),
        Shift(utc(2026, 6, 2, 7), utc(2026, 6, 2, 15), "alice", "primary"),
        Shift(utc(2026, 6, 2, 15), utc(2026, 6, 3), None, ""),
    ]


# --- shifts() against on_call() -------------------------------------------------


def rich_schedule(tz: str, start: datetime) -> Schedule:
    """Hand-offs and window edges in the gaps and repeats of every zone below."""
    day = start.replace(tzinfo=None)
    return schedule(
        layer(day.replace(hour=2, minute=40), users=("a", "b", "c", "d"), name="base"),
        layer(
            day.replace(hour=0, minute=10),
            hours=0.75,
            users=("e", "f"),
            name="small-hours",
            restrictions=(Restriction(time(1, 15), time(3, 45)),),
        ),
        layer(
            day.replace(hour=21),
            hours=12,
            users=("n", "o", "n"),
            name="nights",
            restrictions=(Restriction(time(18), time(8), WEEKDAYS),),
        ),
        tz=tz,
        overrides=(
            Override("o1", "x", start + timedelta(days=20, hours=3), start + timedelta(days=23)),
            Override("o2", "y", start + timedelta(days=21), start + timedelta(days=21, hours=5)),
        ),
    )


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        (BERLIN, utc(2026, 3, 1), utc(2026, 5, 31)),
        (BERLIN, utc(2026, 9, 1), utc(2026, 11, 30)),
        (NEW_YORK, utc(2026, 2, 1), utc(2026, 5, 1)),
        (NEW_YORK, utc(2026, 9, 15), utc(2026, 12, 15)),
        # Casablanca falls back on 2026-02-15 and springs forward on 2026-03-22.
        ("Africa/Casablanca", utc(2026, 2, 1), utc(2026, 5, 1)),
        # Lord Howe Island changes by half an hour.
        ("Australia/Lord_Howe", utc(2026, 3, 1), utc(2026, 5, 1)),
        ("Australia/Lord_Howe", utc(2026, 9, 1), utc(2026, 11, 1)),
    ],
)
def test_shifts_are_contiguous_merged_and_agree_with_on_call(
    tz: str, start: datetime, end: datetime
) -> None:
    s = rich_schedule(tz, start)
    pieces = s.shifts(start, end)
    assert pieces[0].start == start
    assert pieces[-1].end == end
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert before.end == after.start
        assert (before.user, before.source) != (after.user, after.source)
    for p in pieces:
        assert p.start < p.end
        assert p.start.tzinfo is UTC and p.end.tzinfo is UTC
        assert s.on_call(p.start) == p.user
        assert s.on_call(p.end - US) == p.user
    # Every 7 minutes, independently of where the pieces were cut.
    i, at = 0, start
    while at < end:
        while pieces[i].end <= at:
            i += 1
        assert s.on_call(at) == pieces[i].user, at
        at += timedelta(minutes=7)


def test_shifts_refuse_an_empty_or_reversed_range() -> None:
    s = schedule(layer(datetime(2026, 6, 1, 9)))
    for end in (utc(2026, 6, 2), utc(2026, 6, 1)):
        with pytest.raises(ScheduleError) as err:
            s.shifts(utc(2026, 6, 2), end)
        assert err.value.field == "end"


def test_shifts_cover_at_most_93_days() -> None:
    s = schedule(layer(datetime(2026, 1, 1, 9)))
    assert s.shifts(utc(2026, 1, 1), utc(2026, 1, 1) + timedelta(days=93))
    with pytest.raises(ScheduleError) as err:
        s.shifts(utc(2026, 1, 1), utc(2026, 1, 1) + timedelta(days=93, microseconds=1))
    assert err.value.field == "end"


def test_naive_instants_are_refused() -> None:
    s = schedule(layer(datetime(2026, 6, 1, 9)))
    with pytest.raises(ValueError, match="aware"):
        s.on_call(datetime(2026, 6, 2, 12))
    with pytest.raises(ValueError, match="aware"):
        s.shifts(datetime(2026, 6, 2), utc(2026, 6, 3))
    with pytest.raises(ValueError, match="aware"):
        Override("o", "u", datetime(2026, 6, 2), utc(2026, 6, 3))


# --- JSON ----------------------------------------------------------------------


def raw_layers() -> list[dict[str, Any]]:
    return [
        {
            "name": "primary",
            "users": ["u1", "u2", "u1"],
            "start": "2026-03-01T09:00",
            "shift_hours": 24,
            "restrictions": [],
        },
        {
            "name": "nights",
            "users": ["u3"],
            "start": "2026-03-02T18:00",
            "shift_hours": 0.25,
            "restrictions": [
                {"start": "18:00", "end": "08:00", "days": [0, 1, 2, 3, 4]},
                {"start": "00:00", "end": "23:59", "days": []},
            ],
        },
        {
            "name": "odd",
            "users": ["u4", "u5"],
            "start": "2026-03-02T18:00:30",
            "shift_hours": 1.5,
            "restrictions": [],
        },
    ]


def test_layers_round_trip_through_json() -> None:
    layers = parse_layers(raw_layers())
    assert layers_json(layers) == raw_layers()
    assert parse_layers(layers_json(layers)) == layers
    assert layers[1] == Layer(
        "nights",
        ("u3",),
        datetime(2026, 3, 2, 18),
        timedelta(minutes=15),
        (Restriction(time(18), time(8), WEEKDAYS), Restriction(time(0), time(23, 59))),
    )


def test_restrictions_may_be_left_out() -> None:
    raw = raw_layers()[:1]
    del raw[0]["restrictions"]
    assert parse_layers(raw)[0].restrictions == ()


def _set(path: tuple[Any, ...], value: Any) -> list[dict[str, Any]]:
    raw: Any = raw_layers()
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return raw  # type: ignore[no-any-return]


R0 = (1, "restrictions", 0)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (_set((0, "shift"), 24), "layers.0.shift"),
        (_set((*R0, "weekdays"), [1]), "layers.1.restrictions.0.weekdays"),
        (_set((0, "start"), "2026-03-01T09:00+01:00"), "layers.0.start"),
        (_set((0, "start"), "2026-03-01T09:00Z"), "layers.0.start"),
        (_set((0, "start"), "March 1st"), "layers.0.start"),
        (_set((0, "shift_hours"), 0), "layers.0.shift_hours"),
        (_set((0, "shift_hours"), 0.2), "layers.0.shift_hours"),
        (_set((0, "shift_hours"), 8785), "layers.0.shift_hours"),
        (_set((0, "shift_hours"), True), "layers.0.shift_hours"),
        (_set((0, "shift_hours"), "24"), "layers.0.shift_hours"),
        (_set((0, "shift_hours"), 1.00001), "layers.0.shift_hours"),
        (_set((0, "users"), []), "layers.0.users"),
        (_set((0, "users"), [f"u{i}" for i in range(101)]), "layers.0.users"),
        (_set((0, "users"), ["u1", ""]), "layers.0.users.1"),
        (_set((0, "users"), "u1"), "layers.0.users"),
        (_set((1, "name"), "primary"), "layers.1.name"),
        (_set((0, "name"), "x" * 81), "layers.0.name"),
        (_set((1, "name"), "override"), "layers.1.name"),
        (_set((0, "name"), " "), "layers.0.name"),
        (_set((*R0, "start"), "25:00"), "layers.1.restrictions.0.start"),
        (_set((*R0, "end"), "8:00"), "layers.1.restrictions.0.end"),
        (_set((*R0, "days"), [0, 7]), "layers.1.restrictions.0.days.1"),
        (_set((*R0, "days"), [0, 0]), "layers.1.restrictions.0.days.1"),
        (_set((*R0, "days"), [True]), "layers.1.restrictions.0.days.0"),
        (_set((*R0, "end"), "18:00"), "layers.1.restrictions.0.end"),
        (
            _set((1, "restrictions"), [{"start": "09:00", "end": "17:00"}] * 15),
            "layers.1.restrictions",
        ),
        ([*raw_layers(), *[dict(raw_layers()[0], name=f"l{i}") for i in range(8)]], "layers"),
        ([], "layers"),
        ({"name": "primary"}, "layers"),
        ([[]], "layers.0"),
        ([{k: v for k, v in raw_layers()[0].items() if k != "users"}], "layers.0.users"),
    ],
)
def test_bad_layers_are_refused_naming_the_field(raw: object, field: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_layers(raw)
    assert err.value.field == field
    assert str(err.value) == f"{field}: {err.value.message}"


def test_an_offset_in_a_layer_start_is_explained() -> None:
    with pytest.raises(ScheduleError, match="without an offset"):
        parse_layers(_set((0, "start"), "2026-03-01T09:00+01:00"))


def test_schedule_error_is_a_value_error_that_survives_pickling() -> None:
    err = ScheduleError("layers.0.users", "required")
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.field, str(copy)) == ("layers.0.users", "layers.0.users: required")


def test_layers_refuse_impossible_values_when_built_directly() -> None:
    with pytest.raises(ScheduleError):
        layer(datetime(2026, 6, 1), hours=0)
    with pytest.raises(ScheduleError):
        layer(datetime(2026, 6, 1), users=())
    with pytest.raises(ScheduleError):
        Restriction(time(8), time(8))


@pytest.mark.parametrize("name", ["Mars/Olympus", "", None, "localtime", " Europe/Berlin", "../x"])
def test_unknown_time_zones_are_refused(name: object) -> None:
    with pytest.raises(ScheduleError) as err:
        check_time_zone(name)
    assert err.value.field == "time_zone"


def test_known_time_zones_are_accepted_and_checked_when_a_schedule_is_built() -> None:
    assert check_time_zone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(ScheduleError) as err:
        schedule(layer(datetime(2026, 6, 1)), tz="Mars/Olympus")
    assert err.value.field == "time_zone"


# --- scopes --------------------------------------------------------------------


def scoped(id: str, name: str, client_id: str | None, site_id: str | None) -> Schedule:
    return Schedule(id, "t1", name, BERLIN, (), client_id=client_id, site_id=site_id)


def test_the_sites_schedule_comes_before_the_clients_before_the_tenants() -> None:
    tenant = scoped("s1", "a-tenant", None, None)
    client_b = scoped("s3", "b-client", "c1", None)
    client_a2 = scoped("s5", "a-client", "c1", None)
    client_a1 = scoped("s4", "a-client", "c1", None)
    site = scoped("s2", "z-site", "c1", "site1")
    other_site = scoped("s6", "other site", "c1", "site2")
    other_client = scoped("s7", "other client", "c2", None)
    other_clients_site = scoped("s8", "other client site", "c2", "site1")
    everything = [
        tenant,
        client_b,
        client_a2,
        other_site,
        site,
        other_client,
        client_a1,
        other_clients_site,
    ]
    assert schedule_for(everything, "c1", "site1") == [site, client_a1, client_a2, client_b, tenant]
    assert schedule_for(everything, "c1", None) == [client_a1, client_a2, client_b, tenant]
    assert schedule_for(everything, "c3", "site1") == [tenant]


def test_a_site_schedule_needs_its_client() -> None:
    with pytest.raises(ScheduleError) as err:
        scoped("s1", "x", None, "site1")
    assert err.value.field == "site_id"
