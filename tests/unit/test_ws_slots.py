"""Socket caps per replica and per user (issue 11 item 7)."""

from __future__ import annotations

from serve_app.ws.slots import SocketSlots


def test_a_replica_holds_at_most_its_cap_and_frees_slots_when_sockets_end() -> None:
    slots = SocketSlots(per_replica=2, per_user=5)
    assert slots.take() and slots.take()
    assert not slots.take() and slots.refused == 1
    slots.release()
    assert slots.take() and slots.total == 2


def test_one_user_holds_at_most_its_cap_others_are_not_affected() -> None:
    slots = SocketSlots(per_replica=100, per_user=2)
    assert slots.take_user("u1") and slots.take_user("u1")
    assert not slots.take_user("u1")
    assert slots.take_user("u2")
    slots.release_user("u1")
    assert slots.take_user("u1")
    slots.release_user("u1")
    slots.release_user("u1")
    assert "u1" not in slots.users  # nothing kept for users gone
