"""Exactly-once, in-order delivery of one tenant's events to one socket,
across the replay of a resume and the live stream.

The live stream and a replay overlap: a socket registers with the
dispatcher first (live events are *held*), then the replay (or the tenant's
latest ``seq``) is fetched, then ``open`` releases the replayed events
followed by the held ones — each ``seq`` at most once, increasing. Any event
at or below the ``floor`` (the highest ``seq`` already passed on) is a
duplicate and dropped.

A resume asked for after live events have already been passed on cannot be
served in order, and a held buffer that overflowed lost events: both answer
"resync" (the client reloads its state through REST)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar


class Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


E = TypeVar("E", bound=Sequenced)


class SeqGate(Generic[E]):
    """Owns one socket's position in its tenant's sequence (soft state)."""

    def __init__(self, hold_limit: int) -> None:
        self.hold_limit = hold_limit
        self.floor = 0
        self.holding = True
        self.lost = False
        self.live_since_open = False
        self._held: list[E] = []

    def live(self, event: E) -> E | None:
        """A live event: the event to pass on now, or None (held or duplicate)."""
        if self.holding:
            if len(self._held) >= self.hold_limit:
                self._held.clear()
                self.lost = True
            self._held.append(event)
            return None
        if event.seq <= self.floor:
            return None
        self.floor = event.seq
        self.live_since_open = True
        return event

    def gap(self) -> bool:
        """The live stream lost events (hub restart or overflow): True when
        the socket must be told to resync now; while holding, ``open`` says it."""
        if self.holding:
            self.lost = True
            return False
        return True

    def hold(self) -> bool:
        """Start holding for a resume; False (resync instead) when live events
        were already passed on, since the missed ones would come out of order."""
        if self.live_since_open:
            return False
        self.holding = True
        return True

    def open(
        self,
        start: int,
        replayed: Iterable[E] = (),
        resync: bool = False,
        latest: int = 0,
    ) -> tuple[list[E], bool]:
        """Stop holding. ``start``: the client has everything up to it;
        ``replayed``: the hub's events after ``start`` (``resync``: some are
        gone); ``latest``: the tenant's latest seq known to the caller.
        Returns the events to pass on, in order, and whether to send resync."""
        out: list[E] = []
        last = start
        if resync:
            last = max([start, *(e.seq for e in replayed)])
        else:
            for e in sorted(replayed, key=lambda e: e.seq):
                if e.seq > last:
                    out.append(e)
                    last = e.seq
        self.floor = max(self.floor, last, latest)
        for e in self._held:
            if e.seq > self.floor:
                out.append(e)
                self.floor = e.seq
        resync = resync or self.lost
        self._held.clear()
        self.holding = self.lost = self.live_since_open = False
        return out, resync
