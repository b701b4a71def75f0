"""On-call schedules: who answers for a scope at an instant.

A schedule has layers and overrides. A layer hands a rotation of users on in
turns of fixed *wall-clock* length in the schedule's time zone, so a daily
09:00 hand-off stays at 09:00 local across daylight-saving changes (that
day's turn lasts 23 h or 25 h in real time). Restrictions make a layer active
only in daily windows; outside them it is transparent. The last active layer
decides; an override beats every layer.

Daylight saving. Instants are read through their *wall position* (``_wall``),
the local wall time as the schedule sees it, which never runs backwards:

- Spring forward: a hand-off or window edge whose wall time lies in the gap
  (02:30 in Europe/Berlin on 2026-03-29) takes effect at the end of the gap,
  03:00 CEST = 01:00Z, the first instant whose wall time has passed it.
  (Reading 02:30 with ``fold=0`` would give 03:30 CEST, half an hour after the
  wall-time comparison has already switched, so that reading is not used.)
- Fall back: the repeated hour counts once. On its first pass the wall runs as
  usual; on its second pass the schedule's wall stands still just before the
  repeat ends. A hand-off or edge inside the repeated hour takes effect at its
  first occurrence and holds through the second; nothing flips back.

``on_call`` and ``shifts`` both use this reading, so they always agree.
Pure: no I/O, no clock; every instant is passed in and must be aware.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_LAYERS: Final = 10
MAX_USERS: Final = 100
MAX_RESTRICTIONS: Final = 14
MAX_NAME: Final = 80
MIN_SHIFT: Final = timedelta(minutes=15)
MAX_SHIFT: Final = timedelta(days=366)
MAX_RANGE: Final = timedelta(days=93)
OVERRIDE: Final = "override"
"""The source of a shift an override decides (no layer may take the name)."""
_HOUR: Final = timedelta(hours=1)
_DAY: Final = timedelta(days=1)
_TICK: Final = timedelta(microseconds=1)
_HHMM: Final = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# Names whose meaning depends on the host's configuration, not on tzdata.
_HOST_ZONES: Final = frozenset({"localtime", "posixrules"})


class ScheduleError(ValueError):
    """Bad schedule input; ``field`` is the dotted path of the offending field,
    e.g. ``layers.0.shift_hours`` or ``time_zone``."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.message))


@dataclass(frozen=True, slots=True)
class Restriction:
    """A daily window in the schedule's time zone when a layer is active, e.g.
    18:00-08:00 (overnight when end < start; end == start is refused as
    ambiguous). ``days``: weekdays (0 = Monday) on which the window *starts*;
    empty = every day. Start inclusive, end exclusive."""

    start: time
    end: time
    days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name, t in (("start", self.start), ("end", self.end)):
            if t.tzinfo is not None or t.second or t.microsecond:
                raise ScheduleError(name, "a wall time HH:MM without a zone is expected")
        if self.end == self.start:
            raise ScheduleError("end", "must differ from start (empty or whole-day window)")


@dataclass(frozen=True, slots=True)
class Layer:
    """A rotation: turn k starts at the wall time ``start + k * shift`` and
    belongs to ``users[k % len(users)]``. ``start`` is naive local time in the
    schedule's zone; before it the layer is inactive."""

    name: str
    users: tuple[str, ...]
    start: datetime
    shift: timedelta
    restrictions: tuple[Restriction, ...] = ()

    def __post_init__(self) -> None:
        if not self.users:
            raise ScheduleError("users", "at least one user is expected")
        if self.start.tzinfo is not None:
            raise ScheduleError("start", "local time without an offset is expected")
        if not MIN_SHIFT <= self.shift <= MAX_SHIFT or self.shift % timedelta(seconds=1):
            raise ScheduleError("shift", "whole seconds from 15 minutes to 366 days expected")


@dataclass(frozen=True, slots=True)
class Override:
    """``user`` is on call over [start, end), whatever the layers say."""

    id: str
    user: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ScheduleError("end", "must be after start")


@dataclass(frozen=True, slots=True)
class Shift:
    """One stretch of the final timeline; ``user`` None is a gap (``source`` "")."""

    start: datetime
    end: datetime
    user: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """Who is on call for a scope: tenant-wide (no client, no site), one
    client, or one site of a client."""

    id: str
    tenant_id: str
    name: str
    time_zone: str
    layers: tuple[Layer, ...]
    client_id: str | None = None
    site_id: str | None = None
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        check_time_zone(self.time_zone)
        if self.site_id is not None and self.client_id is None:
            raise ScheduleError("site_id", "a site schedule needs its client_id")

    def on_call(self, at: datetime) -> str | None:
        """The user on call at ``at``, or None. O(layers + overrides): it runs
        when an escalation fires."""
        _require_aware(at, "at")
        return _decide(self.layers, self.overrides, at, _wall(at, self._zone()))[0]

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """The final timeline over [start, end), in contiguous UTC pieces;
        neighbours with the same user and source are merged. Built from the
        instants where anything can change, never by stepping through time."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            raise ScheduleError("end", "must be after start")
        if end - start > MAX_RANGE:
            raise ScheduleError("end", "the range must not be longer than 93 days")
        zone = self._zone()
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        overrides = tuple(o for o in self.overrides if o.start < end and o.end > start)
        points = _change_points(self.layers, overrides, zone, start, end)
        runs: list[tuple[datetime, str | None, str]] = []  # (start, user, source)
        for at in points[:-1]:
            user, source = _decide(self.layers, overrides, at, _wall(at, zone))
            if not runs or runs[-1][1:] != (user, source):
                runs.append((at, user, source))
        ends = [run[0] for run in runs[1:]] + [end]
        return [Shift(a, b, user, src) for (a, user, src), b in zip(runs, ends, strict=True)]

    def with_overrides(self, overrides: Iterable[Override]) -> Schedule:
        return replace(self, overrides=tuple(overrides))

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances by key


def check_time_zone(name: object) -> str:
    """``name`` if it is an IANA zone known here; else ScheduleError("time_zone")."""
    if not isinstance(name, str) or not name or name in _HOST_ZONES:
        raise ScheduleError("time_zone", f"unknown time zone {name!r}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError("time_zone", f"unknown time zone {name!r}") from None
    return name


def schedule_for(
    schedules: Iterable[Schedule], client_id: str, site_id: str | None
) -> list[Schedule]:
    """The schedules (of one tenant) that apply to an alert of (client, site),
    most specific first: the site's, then client-wide, then tenant-wide; ties
    by name, then id."""
    ranked = [(r, s) for s in schedules if (r := _scope_rank(s, client_id, site_id)) is not None]
    ranked.sort(key=lambda rs: (rs[0], rs[1].name, rs[1].id))
    return [s for _, s in ranked]


def _scope_rank(s: Schedule, client_id: str, site_id: str | None) -> int | None:
    if s.client_id is None:
        return 2
    if s.client_id != client_id:
        return None
    if s.site_id is None:
        return 1
    return 0 if s.site_id == site_id else None


# --- timeline -------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _decide(
    layers: Sequence[Layer], overrides: Iterable[Override], at: datetime, wall: datetime
) -> tuple[str | None, str]:
    """(user, source) at ``at``: the latest-starting active override (the one
    listed last on a tie), else the last active layer, else (None, "")."""
    winner: Override | None = None
    for o in overrides:
        if o.start <= at < o.end and (winner is None or o.start >= winner.start):
            winner = o
    if winner is not None:
        return winner.user, OVERRIDE
    for layer in reversed(layers):
        user = _layer_user(layer, wall)
        if user is not None:
            return user, layer.name
    return None, ""


def _layer_user(layer: Layer, wall: datetime) -> str | None:
    if wall < layer.start:
        return None
    if layer.restrictions and not any(_inside(r, wall) for r in layer.restrictions):
        return None
    return layer.users[((wall - layer.start) // layer.shift) % len(layer.users)]


def _inside(r: Restriction, wall: datetime) -> bool:
    t, day = wall.time(), wall.weekday()
    if r.start < r.end:
        return _starts_on(r, day) and r.start <= t < r.end
    # Overnight: the evening part started today, the morning part yesterday.
    return (_starts_on(r, day) and t >= r.start) or (_starts_on(r, (day - 1) % 7) and t < r.end)


def _starts_on(r: Restriction, weekday: int) -> bool:
    return not r.days or weekday in r.days


def _change_points(
    layers: Sequence[Layer],
    overrides: Iterable[Override],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[datetime]:
    """Sorted UTC instants in [start, end], both included, where the answer
    may change: override edges, hand-offs and restriction edges."""
    first, last = _wall(start, zone), _wall(end, zone)
    walls: set[datetime] = set()
    for layer in layers:
        walls.update(_hand_offs(layer, first, last))
        for r in layer.restrictions:
            walls.update(w for w in _edges(r, first.date(), last.date()) if first < w <= last)
    cuts = {start, end, *(_instant(w, zone) for w in walls)}
    for o in overrides:
        cuts.update((o.start.astimezone(UTC), o.end.astimezone(UTC)))
    return sorted(c for c in cuts if start <= c <= end)


def _hand_offs(layer: Layer, after: datetime, until: datetime) -> Iterator[datetime]:
    """Wall times of turn starts in (after, until]; turn 0 is the layer's start."""
    k_first = max(0, (after - layer.start) // layer.shift + 1)
    k_last = (until - layer.start) // layer.shift
    return (layer.start + k * layer.shift for k in range(k_first, k_last + 1))


def _edges(r: Restriction, first: date, last: date) -> Iterator[datetime]:
    """Window starts and ends, as wall times, of windows starting from the day
    before ``first`` (an overnight one may still be open) to ``last``."""
    day = first - _DAY
    while day <= last:
        if _starts_on(r, day.weekday()):
            yield datetime.combine(day, r.start)
            yield datetime.combine(day if r.start < r.end else day + _DAY, r.end)
        day += _DAY


# --- wall time and daylight saving ------------------------------------------


def _wall(at: datetime, zone: ZoneInfo) -> datetime:
    """The schedule's wall position of an instant: its naive local time,
    except on the second pass of a fall-back repeat, where it stands still
    one microsecond before the repeat ends, so it never runs backwards."""
    local = at.astimezone(zone)
    first_offset = local.replace(fold=0).utcoffset()
    offset = local.utcoffset()
    if local.fold == 0 or first_offset is None or offset is None or first_offset == offset:
        return local.replace(tzinfo=None)
    change = _transition(zone, local.replace(fold=0).astimezone(UTC), at.astimezone(UTC))
    repeat_start = change.astimezone(zone).replace(tzinfo=None)
    return repeat_start + (first_offset - offset) - _TICK


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first UTC instant whose wall position reaches ``wall``: its first
    occurrence when repeated, the end of the gap when skipped."""
    at = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if at.astimezone(zone).replace(tzinfo=None) == wall:
        return at
    # In a gap, fold=0 reads the old offset and lands past the gap's end;
    # fold=1 reads the new one and lands before the change.
    return _transition(zone, wall.replace(tzinfo=zone, fold=1).astimezone(UTC), at)


def _transition(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first instant in (before, after] with ``after``'s UTC offset, by
    bisection (under 40 steps for any daylight-saving change)."""
    offset = after.astimezone(zone).utcoffset()
    while after - before > _TICK:
        mid = before + (after - before) // 2
        if mid.astimezone(zone).utcoffset() == offset:
            after = mid
        else:
            before = mid
    return after


# --- JSON -------------------------------------------------------------------


def parse_layers(raw: object) -> tuple[Layer, ...]:
    """Layers from the API's JSON list; ScheduleError names the field."""
    items = _list(raw, "layers", 1, MAX_LAYERS)
    layers: list[Layer] = []
    for i, item in enumerate(items):
        layer = _parse_layer(item, f"layers.{i}")
        if any(seen.name == layer.name for seen in layers):
            raise ScheduleError(f"layers.{i}.name", f"duplicate layer name {layer.name!r}")
        if layer.name == OVERRIDE:  # a shift's source names an override so
            raise ScheduleError(f"layers.{i}.name", f"{OVERRIDE!r} is reserved")
        layers.append(layer)
    return tuple(layers)


def layers_json(layers: Sequence[Layer]) -> list[dict[str, Any]]:
    """The inverse of ``parse_layers``."""
    return [
        {
            "name": layer.name,
            "users": list(layer.users),
            "start": _local_json(layer.start),
            "shift_hours": _hours_json(layer.shift),
            "restrictions": [
                {
                    "start": r.start.strftime("%H:%M"),
                    "end": r.end.strftime("%H:%M"),
                    "days": list(r.days),
                }
                for r in layer.restrictions
            ],
        }
        for layer in layers
    ]


def _local_json(start: datetime) -> str:
    whole_minutes = not (start.second or start.microsecond)
    return start.isoformat(timespec="minutes" if whole_minutes else "auto")


def _hours_json(shift: timedelta) -> int | float:
    hours = shift / _HOUR
    return int(hours) if hours.is_integer() else hours


def _parse_layer(raw: object, path: str) -> Layer:
    obj = _object(raw, path, ("name", "users", "start", "shift_hours"), ("restrictions",))
    name = _text(obj["name"], f"{path}.name")
    if len(name) > MAX_NAME:
        raise ScheduleError(f"{path}.name", f"at most {MAX_NAME} characters")
    users = _list(obj["users"], f"{path}.users", 1, MAX_USERS)
    restrictions = _list(obj.get("restrictions", []), f"{path}.restrictions", 0, MAX_RESTRICTIONS)
    return Layer(
        name=name,
        users=tuple(_text(u, f"{path}.users.{j}") for j, u in enumerate(users)),
        start=_local_datetime(obj["start"], f"{path}.start"),
        shift=_shift(obj["shift_hours"], f"{path}.shift_hours"),
        restrictions=tuple(
            _parse_restriction(r, f"{path}.restrictions.{j}") for j, r in enumerate(restrictions)
        ),
    )


def _parse_restriction(raw: object, path: str) -> Restriction:
    obj = _object(raw, path, ("start", "end"), ("days",))
    start, end = _hhmm(obj["start"], f"{path}.start"), _hhmm(obj["end"], f"{path}.end")
    if end == start:
        raise ScheduleError(f"{path}.end", "must differ from start (empty or whole-day window)")
    days: list[int] = []
    for k, d in enumerate(_list(obj.get("days", []), f"{path}.days", 0, 7)):
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6:
            raise ScheduleError(f"{path}.days.{k}", "a weekday 0 (Monday) to 6 is expected")
        if d in days:
            raise ScheduleError(f"{path}.days.{k}", f"day {d} is listed twice")
        days.append(d)
    return Restriction(start, end, tuple(days))


def _object(
    raw: object, path: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise ScheduleError(path, "an object is expected")
    for key in raw:
        if key not in required and key not in optional:
            raise ScheduleError(f"{path}.{key}", "unknown field")
    for key in required:
        if key not in raw:
            raise ScheduleError(f"{path}.{key}", "required")
    return raw


def _list(raw: object, path: str, low: int, high: int) -> list[object]:
    if not isinstance(raw, list):
        raise ScheduleError(path, "a list is expected")
    if not low <= len(raw) <= high:
        raise ScheduleError(path, f"{low} to {high} items are expected, got {len(raw)}")
    return raw


def _text(raw: object, path: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ScheduleError(path, "a non-empty string is expected")
    return raw


def _local_datetime(raw: object, path: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None:
        raise ScheduleError(path, "an ISO local date-time is expected, e.g. 2026-03-01T09:00")
    if value.tzinfo is not None:
        raise ScheduleError(path, "local time in the schedule's time_zone, without an offset")
    return value


def _shift(raw: object, path: str) -> timedelta:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0.25 <= raw <= 8784:
        raise ScheduleError(path, "a number of hours from 0.25 to 8784 (366 days) is expected")
    seconds = raw * 3600
    if abs(seconds - round(seconds)) > 1e-6:
        raise ScheduleError(path, "must be a whole number of seconds")
    return timedelta(seconds=round(seconds))


def _hhmm(raw: object, path: str) -> time:
    if not isinstance(raw, str) or not _HHMM.fullmatch(raw):
        raise ScheduleError(path, 'a time "HH:MM" from 00:00 to 23:59 is expected')
    return time.fromisoformat(raw)
