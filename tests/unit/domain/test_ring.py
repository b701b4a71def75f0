"""SPEC 12: events carry per-tenant sequence numbers; a reconnecting client
gets what it missed, or a resync instruction when it is too old."""

from __future__ import annotations

import pytest

from noc_actors.domain.ring import EventRing


def ev(tenant: str = "t1", n: int = 0) -> dict[str, object]:
    return {"tenant_id": tenant, "type": "alert_new", "n": n}


def test_sequence_numbers_increase_by_one_per_tenant() -> None:
    r = EventRing(10)
    assert [r.stamp(ev("t1"))["seq"] for _ in range(3)] == [1, 2, 3]
    assert r.stamp(ev("t2"))["seq"] == 1


def test_stamping_does_not_mutate_the_callers_event() -> None:
    e = ev()
    r = EventRing(10)
    r.stamp(e)
    assert "seq" not in e


def test_resume_returns_exactly_the_missed_events_in_order() -> None:
    r = EventRing(100)
    for i in range(60):
        r.stamp(ev(n=i))
    replay = r.after("t1", 10)
    assert not replay.resync
    assert [e["seq"] for e in replay.events] == list(range(11, 61))


def test_resume_past_the_ring_asks_for_resync() -> None:
    r = EventRing(5)
    for i in range(20):
        r.stamp(ev(n=i))
    replay = r.after("t1", 3)
    assert replay.resync
    assert [e["seq"] for e in replay.events] == [16, 17, 18, 19, 20]


def test_resume_exactly_at_the_oldest_kept_event_needs_no_resync() -> None:
    r = EventRing(5)
    for i in range(20):
        r.stamp(ev(n=i))
    assert not r.after("t1", 15).resync


def test_up_to_date_client_gets_nothing() -> None:
    r = EventRing(5)
    r.stamp(ev())
    replay = r.after("t1", 1)
    assert replay.events == [] and not replay.resync


def test_restarted_hub_continues_above_its_base_and_old_positions_resync() -> None:
    r = EventRing(10, base_seq=1_000_000)
    assert r.stamp(ev())["seq"] == 1_000_001
    assert r.after("t1", 57).resync
    # A client from the future (another hub) must resync too.
    assert r.after("t1", 2_000_000).resync


def test_ring_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        EventRing(0)
