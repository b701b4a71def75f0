"""One socket: its own writer task and bounded queue, so a client that stops
reading is closed with 1013 and never delays another; a client whose
heartbeat shows it lagging too far behind is closed too."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from noc_actors.domain.access import ALL, Scope
from serve_app.ws.connection import Connection
from serve_app.ws.fanout import Dispatcher, EncodedEvent
from serve_app.ws.filtering import EventFilter


class FakeSocket:
    """Records what was sent; ``stuck`` makes ``send_text`` wait forever, like
    a full TCP buffer."""

    def __init__(self, stuck: bool = False) -> None:
        self.stuck = stuck
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str | None] | None = None

    async def send_text(self, data: str) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)


def conn_for(
    sock: FakeSocket, queue_size: int = 10, pii: bool = False, batch: bool = False
) -> Connection:
    return Connection(
        sock,
        tenant_id="t1",
        sees_pii=pii,
        event_filter=EventFilter(Scope("t1", ALL)),
        queue_size=queue_size,
        batch=batch,
    )


def ev(seq: int) -> dict[str, Any]:
    return {"type": "alert_new", "tenant_id": "t1", "client_id": "c1", "site_id": None, "seq": seq}


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_stuck_client_is_closed_with_1013_and_never_delays_another() -> None:
    stuck_sock, fast_sock = FakeSocket(stuck=True), FakeSocket()
    stuck, fast = conn_for(stuck_sock), conn_for(fast_sock)
    d = Dispatcher()
    for c in (stuck, fast):
        d.add(c)
        c.start()
        c.open(0)
    for seq in range(1, 31):
        d.dispatch([ev(seq)])  # synchronous: returns without waiting for anyone
        await settle()
    assert [m["seq"] for m in fast_sock.sent] == list(range(1, 31))
    assert stuck.finished.is_set() and stuck.close_code == 1013
    await stuck.finish()
    assert stuck_sock.closed is not None and stuck_sock.closed[0] == 1013
    await fast.finish()


async def test_heartbeat_last_seq_far_behind_closes_with_1013() -> None:
    sock = FakeSocket()
    conn = Connection(
        sock,
        tenant_id="t1",
        sees_pii=True,
        event_filter=EventFilter(Scope("t1", ALL)),
        queue_size=100,
        lag_limit=5,
    )
    conn.start()
    conn.open(0)
    for seq in range(1, 9):
        conn.offer(EncodedEvent(ev(seq)))
    await settle()
    assert conn.confirm(3)  # 5 events beyond it: still fine
    assert conn.confirm(2)  # an older confirmation changes nothing
    conn.offer(EncodedEvent(ev(9)))
    await settle()
    assert not conn.confirm(3)
    assert conn.close_code == 1013
    await conn.finish()


async def test_pushes_are_masked_and_gaps_become_resync() -> None:
    sock = FakeSocket()
    conn = conn_for(sock)
    conn.start()
    conn.open(0)
    conn.offer(EncodedEvent({**ev(1), "alert": {"metadata": {"email": "jane.roe@example.com"}}}))
    conn.gap("overflow")
    await settle()
    assert sock.sent[0]["alert"]["metadata"]["email"] != "jane.roe@example.com"
    assert sock.sent[1] == {"type": "resync", "reason": "overflow"}
    await conn.finish()


async def test_a_client_that_goes_away_ends_the_writer_without_a_close_frame() -> None:
    class Gone(FakeSocket):
        async def send_text(self, data: str) -> None:
            raise ConnectionResetError

    sock = Gone()
    conn = conn_for(sock)
    conn.start()
    conn.send({"type": "connected"})
    await settle()
    assert conn.finished.is_set() and conn.client_gone
    await conn.finish()
    assert sock.closed is None


async def test_a_replay_larger_than_the_send_queue_answers_resync_instead() -> None:
    sock = FakeSocket()
    conn = conn_for(sock, queue_size=10)
    conn.start()
    assert conn.open(0, [EncodedEvent(ev(s)) for s in range(1, 31)], latest=30) == 0
    conn.offer(EncodedEvent(ev(31)))
    await settle()
    assert [m.get("reason") or m["seq"] for m in sock.sent] == ["too_many_missed", 31]
    assert not conn.finished.is_set()
    await conn.finish()


async def test_a_batch_socket_gets_what_piled_up_in_one_frame_in_order() -> None:
    """``?batch=1``: events queued while the writer was busy leave as one
    ``batch`` frame; one waiting event leaves as itself. A plain socket gets
    a frame per event. Flow control counts every event of a batch."""
    plain_sock, batch_sock = FakeSocket(), FakeSocket()
    plain = conn_for(plain_sock, queue_size=100)
    batched = conn_for(batch_sock, queue_size=100, batch=True)
    d = Dispatcher()
    for c in (plain, batched):
        d.add(c)
        c.open(0)
        c.send({"type": "connected"})
    d.dispatch([ev(seq) for seq in range(1, 31)])  # all queued before the writers run
    for c in (plain, batched):
        c.start()
    await settle()
    d.dispatch([ev(31)])
    await settle()

    assert [m.get("seq") for m in plain_sock.sent] == [None, *range(1, 32)]
    first, alone = batch_sock.sent
    assert first["type"] == "batch"
    assert [m["type"] for m in first["messages"]] == ["connected"] + ["alert_new"] * 30
    assert [m.get("seq") for m in first["messages"][1:]] == list(range(1, 31))
    assert alone["type"] == "alert_new" and alone["seq"] == 31
    assert list(batched.inflight) == list(range(1, 32)) and batched.sent == 32
    assert batched.confirm(31) and not batched.inflight
    for c in (plain, batched):
        await c.finish()
