"""Flap detection: an alert whose dedup key keeps resolving and re-opening
becomes one FLAPPING alert instead of a new alert (and a new escalation) on
every cycle.

The rule, per dedup key:

* A key starts flapping when the opens inside ``[now - window, now]`` exceed
  ``threshold + 1``, i.e. more than ``threshold`` re-opens after the first
  open. Both ends are inclusive: an open exactly ``window`` old still counts.
* The flap count is every open inside the window when flapping started, plus
  every open since; so a device going offline/online 10 times in 10 minutes
  ends with a count of 10 under the default policy.
* While flapping, closes do not end it; the key settles only when it has not
  opened or closed for ``quiet``. Settling forgets the key entirely, so a later
  flap starts again from zero.

Times may go backwards (a source clock slightly behind): a key's time never
moves back, an earlier ``now`` is taken as the latest time the key has seen.

Memory stays bounded: a key that is not flapping keeps at most
``threshold + 1`` open times (one more open would make it flap); a flapping
key keeps only its count and the time of its last change.

The tracker is soft state of its owner; saved with the client's live state
(``to_dict``/``from_dict``, JSON-safe) it survives a restart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from noc_actors.domain.errors import InvalidInput

STATE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class FlapPolicy:
    """When a key flaps: more than ``threshold`` re-opens (the first open not
    counted) inside ``window``; it settles after ``quiet`` without an open or
    a close."""

    threshold: int = 4
    window: timedelta = timedelta(minutes=30)
    quiet: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.threshold < 0:
            raise ValueError("flap threshold must not be negative")
        if self.window <= timedelta(0):
            raise ValueError("flap window must be positive")
        if self.quiet < timedelta(0):
            raise ValueError("flap quiet period must not be negative")


@dataclass(frozen=True, slots=True)
class FlapVerdict:
    """What one open means for its key.

    ``flapping``: the key is flapping after this open. ``started``: this open
    made it start (true once per flap, the moment to turn the alert into one
    FLAPPING alert and escalate it at most once). ``count``: the opens counted
    for the key; while flapping, the flap count; otherwise the opens inside
    the window, this one included."""

    flapping: bool
    started: bool
    count: int


@dataclass(slots=True)
class _KeyState:
    """One key: its recent open times (oldest first, empty while flapping),
    whether it flaps, its flap count and the time of its last open or close."""

    last_change: datetime
    opens: list[datetime] = field(default_factory=list)
    flapping: bool = False
    count: int = 0


class FlapTracker:
    """Per dedup key: the times the key opened (an alert was created or came
    back) within the window, whether it is flapping now, its flap count, and
    the time of its last change (open or close). Keys are independent."""

    def __init__(self) -> None:
        self._keys: dict[str, _KeyState] = {}

    def __len__(self) -> int:
        """The number of keys tracked (flapping or with recent opens)."""
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def resume(self, key: str, count: int, last_change: datetime) -> None:
        """A key stored as flapping (its alert reloaded): flapping again with
        its count, settling ``quiet`` after ``last_change``."""
        _require_aware(last_change)
        self._keys[key] = _KeyState(last_change=last_change, flapping=True, count=count)

    def opened(self, key: str, now: datetime, policy: FlapPolicy) -> FlapVerdict:
        """Record one open of ``key`` and say whether it flaps now."""
        _require_aware(now)
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState(last_change=now)
        at = max(now, state.last_change)
        state.last_change = at
        if state.flapping:
            state.count += 1
            return FlapVerdict(flapping=True, started=False, count=state.count)
        oldest = at - policy.window
        state.opens = [t for t in state.opens if t >= oldest]
        state.opens.append(at)
        if len(state.opens) > policy.threshold + 1:
            state.flapping = True
            state.count = len(state.opens)
            state.opens = []
            return FlapVerdict(flapping=True, started=True, count=state.count)
        return FlapVerdict(flapping=False, started=False, count=len(state.opens))

    def closed(self, key: str, now: datetime) -> None:
        """Record that ``key`` resolved. A flapping key stays flapping; the
        close only restarts its quiet period. An unknown key is ignored:
        nothing about it is worth remembering."""
        _require_aware(now)
        state = self._keys.get(key)
        if state is not None:
            state.last_change = max(now, state.last_change)

    def is_flapping(self, key: str) -> bool:
        state = self._keys.get(key)
        return state is not None and state.flapping

    def count(self, key: str) -> int:
        """The flap count of ``key``; 0 when it is not flapping."""
        state = self._keys.get(key)
        return state.count if state is not None and state.flapping else 0

    def flapping_keys(self) -> list[str]:
        """Every key flapping now, sorted."""
        return sorted(k for k, s in self._keys.items() if s.flapping)

    def settled(self, now: datetime, policy: FlapPolicy) -> list[str]:
        """Stop the flapping keys whose last change is at least ``quiet`` ago
        and forget them (count reset); returns those keys, sorted. A key whose
        last change lies after ``now`` (clock behind) is not settled."""
        _require_aware(now)
        done = sorted(
            k for k, s in self._keys.items() if s.flapping and now - s.last_change >= policy.quiet
        )
        for k in done:
            del self._keys[k]
        return done

    def forget_before(self, cutoff: datetime) -> None:
        """Drop open times older than ``cutoff`` of the keys not flapping, and
        the keys left with none. Owners call it with ``now - window``: older
        opens can no longer count. Flapping keys end only by settling."""
        _require_aware(cutoff)
        gone: list[str] = []
        for k, s in self._keys.items():
            if s.flapping:
                continue
            s.opens = [t for t in s.opens if t >= cutoff]
            if not s.opens:
                gone.append(k)
        for k in gone:
            del self._keys[k]

    # --- persistence -----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable picture of every key (times in ISO 8601)."""
        return {
            "version": STATE_VERSION,
            "keys": {
                k: {
                    "opens": [t.isoformat() for t in s.opens],
                    "flapping": s.flapping,
                    "count": s.count,
                    "last_change": s.last_change.isoformat(),
                }
                for k, s in self._keys.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlapTracker:
        """Rebuild a tracker written by ``to_dict``."""
        version = data.get("version")
        if version != STATE_VERSION:
            raise InvalidInput("version", f"unsupported flap state version {version!r}")
        tracker = cls()
        for key, raw in data.get("keys", {}).items():
            last_change = _parse(raw["last_change"])
            flapping = bool(raw.get("flapping", False))
            opens = [] if flapping else sorted(_parse(t) for t in raw.get("opens", []))
            tracker._keys[str(key)] = _KeyState(
                last_change=last_change,
                opens=opens,
                flapping=flapping,
                count=int(raw.get("count", 0)) if flapping else 0,
            )
        return tracker


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("flap times must be timezone-aware")


def _parse(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    _require_aware(at)
    return at
