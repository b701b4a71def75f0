"""Exactly once, in order: a socket's replayed and live events never repeat
or reorder, whatever the overlap; what cannot be replayed answers resync."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from serve_app.ws.sequence import SeqGate


@dataclass(frozen=True)
class E:
    seq: int


def seqs(events: list[E]) -> list[int]:
    return [e.seq for e in events]


def test_fresh_connection_gets_exactly_the_events_after_the_latest_seq() -> None:
    gate: SeqGate[E] = SeqGate(hold_limit=100)
    for s in (9, 10, 11, 12):  # live events that arrived while connecting
        assert gate.live(E(s)) is None
    out, resync = gate.open(start=10)
    assert seqs(out) == [11, 12] and not resync
    assert gate.live(E(12)) is None  # a duplicate
    assert gate.live(E(13)) == E(13)
    assert gate.floor == 13


def test_resume_replays_the_missed_events_then_the_live_ones_without_duplicates() -> None:
    gate: SeqGate[E] = SeqGate(hold_limit=100)
    for s in (58, 59, 60, 61):
        gate.live(E(s))
    replayed = [E(s) for s in range(11, 61)]
    out, resync = gate.open(start=10, replayed=replayed, latest=59)
    assert seqs(out) == list(range(11, 62)) and not resync


def test_resume_too_old_answers_resync_and_continues_after_the_latest() -> None:
    gate: SeqGate[E] = SeqGate(hold_limit=100)
    gate.live(E(101))
    out, resync = gate.open(start=5, replayed=[E(90), E(100)], resync=True, latest=100)
    assert resync and seqs(out) == [101]
    assert gate.live(E(100)) is None and gate.live(E(102)) == E(102)


def test_a_held_buffer_that_overflows_answers_resync() -> None:
    gate: SeqGate[E] = SeqGate(hold_limit=3)
    for s in range(1, 6):
        gate.live(E(s))
    out, resync = gate.open(start=0)
    assert resync and seqs(out) == [4, 5]


def test_a_gap_while_holding_is_reported_by_open_and_after_it_at_once() -> None:
    gate: SeqGate[E] = SeqGate(hold_limit=10)
    assert gate.gap() is False
    assert gate.open(start=0)[1] is True
    assert gate.gap() is True


def test_a_resume_after_live_events_were_passed_on_is_refused() -> None:
    gate: SeqGate[E] = SeqGate(hold_limit=10)
    gate.open(start=5)
    assert gate.hold() is True  # nothing passed on yet: a resume can be served
    out, _ = gate.open(start=2, replayed=[E(3), E(4), E(5), E(6)], latest=6)
    assert seqs(out) == [3, 4, 5, 6]
    gate.live(E(7))
    assert gate.hold() is False


@given(
    start=st.integers(0, 50),
    latest=st.integers(0, 100),
    live=st.lists(st.integers(1, 120), max_size=60),
    split=st.integers(0, 60),
)
def test_any_overlap_of_replay_and_live_stream_is_delivered_once_in_order(
    start: int, latest: int, live: list[int], split: int
) -> None:
    latest = max(latest, start)
    stream = sorted(set(live) | set(range(start + 1, latest + 1)))
    # The replay holds everything up to ``latest``; the live stream may repeat
    # some of it (published before the replay, delivered by the pump after).
    replayed = [E(s) for s in stream if s <= latest]
    live_part = [E(s) for s in stream if s > latest or s > start + split]
    gate: SeqGate[E] = SeqGate(hold_limit=1000)
    held = live_part[: len(live_part) // 2]
    for e in held:
        gate.live(e)
    out, resync = gate.open(start=start, replayed=replayed, latest=latest)
    for e in live_part[len(live_part) // 2 :]:
        if (passed := gate.live(e)) is not None:
            out.append(passed)
    assert not resync
    assert seqs(out) == [s for s in stream if s > start]
