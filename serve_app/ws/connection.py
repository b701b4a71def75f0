"""One dashboard socket on this replica.

``Connection`` owns: the bounded send queue and the writer task — the only
code that calls ``send`` on the socket, so nothing else ever waits for this
client; the sequence gate (exactly once, in order) and the event filter
(scope, subscriptions); liveness and lag accounting; why it closed.

A socket opened with ``?batch=1`` gets, whenever several messages wait in
its queue, one ``batch`` frame holding them all in order (at most
``MAX_BATCH_FRAME``): a busy tenant then costs a frame per write, not per
event, at no cost in latency when the socket keeps up.

Slow clients, two ways (a client that stops reading must never delay anyone
and must not grow memory without bound):

- the send queue is bounded: when it is full, the socket is closed with 1013
  (this is what happens when ``send`` blocks on a full TCP buffer, e.g. with
  Serve's direct ingress or a plain ASGI server);
- behind Serve's default proxy ``send`` never blocks — the proxy buffers — so
  the queue cannot see a stalled reader. Clients therefore prove progress:
  ``heartbeat {last_seq}`` more than ``lag_limit`` events behind what was sent
  closes with 1013, and a client silent for the idle timeout (no heartbeat)
  is closed with 4408 by the reader.

All state is soft: it lives and dies with the socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from noc_actors.domain.access import Scope
from serve_app.ws.fanout import EncodedEvent, dumps
from serve_app.ws.filtering import EventFilter
from serve_app.ws.protocol import CLOSE_TRY_AGAIN, reply
from serve_app.ws.sequence import SeqGate

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 2.0


class Socket(Protocol):
    """The part of a Starlette ``WebSocket`` the writer uses."""

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str
    seq: int | None = None


MAX_BATCH_FRAME = 500
"""Messages in one ``batch`` frame at most."""


def frame(outs: list[Outgoing]) -> str:
    """One message as itself; several (a socket that asked for ``batch=1``
    and fell behind) as ``{"type": "batch", "messages": [...]}``, in order.
    The messages' texts are reused, not encoded again."""
    if len(outs) == 1:
        return outs[0].text
    return '{"type":"batch","messages":[' + ",".join(o.text for o in outs) + "]}"


class Connection:
    """See the module docstring."""

    def __init__(
        self,
        socket: Socket,
        *,
        tenant_id: str,
        sees_pii: bool,
        event_filter: EventFilter,
        queue_size: int,
        lag_limit: int | None = None,
        batch: bool = False,
    ) -> None:
        self.socket = socket
        self.batch = batch
        self.tenant_id = tenant_id
        self.sees_pii = sees_pii
        self.filter = event_filter
        self.lag_limit = lag_limit if lag_limit is not None else queue_size
        self.gate: SeqGate[EncodedEvent] = SeqGate(hold_limit=queue_size)
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=queue_size)
        self.inflight: deque[int] = deque(maxlen=self.lag_limit + 1)
        self.finished = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.client_gone = False
        self.sent = 0
        self._writer: asyncio.Task[None] | None = None

    # --- producer side: called by the dispatcher and the handlers, never blocks --

    def offer(self, event: EncodedEvent) -> None:
        """A live event of the tenant (from the dispatcher)."""
        if self.finished.is_set():
            return
        passed = self.gate.live(event)
        if passed is not None:
            self._push_event(passed)

    def gap(self, reason: str) -> None:
        """The replica's live stream lost events: tell the client to resync."""
        if not self.finished.is_set() and self.gate.gap():
            self.send(reply("resync", reason=reason))

    def open(
        self,
        start: int,
        replayed: Iterable[EncodedEvent] = (),
        resync: bool = False,
        latest: int = 0,
        reason: str = "resume_too_old",
    ) -> int:
        """Release the held live stream after ``start`` (with the replayed
        events first); returns how many events were queued. More than the
        send queue can take answers resync instead of closing the socket."""
        events, resync = self.gate.open(start, replayed, resync, latest)
        mine = [e for e in events if self.filter.allows(e.event)]
        if mine and len(mine) >= self.queue.maxsize - self.queue.qsize():
            mine, resync, reason = [], True, "too_many_missed"
        if resync:
            self.send(reply("resync", reason=reason))
        for e in mine:
            self._put(Outgoing(e.text(self.sees_pii), e.seq))
        return len(mine)

    def retarget(self, sees_pii: bool, scope: Scope) -> None:
        """The user's rights changed: events queued from now on are filtered
        by ``scope`` (the clients it unsubscribed stay unsubscribed) and
        masked per ``sees_pii``."""
        self.sees_pii = sees_pii
        self.filter = EventFilter(scope, self.filter.unsubscribed)

    def send(self, message: dict[str, Any]) -> None:
        """Queue a server message (a reply, ``connected``, ``resync``)."""
        self._put(Outgoing(dumps(message)))

    def _push_event(self, event: EncodedEvent) -> bool:
        if not self.filter.allows(event.event):
            return False
        self._put(Outgoing(event.text(self.sees_pii), event.seq))
        return True

    def _put(self, out: Outgoing) -> None:
        if self.finished.is_set():
            return
        try:
            self.queue.put_nowait(out)
        except asyncio.QueueFull:
            self.close(CLOSE_TRY_AGAIN, "send queue full: client not reading; resume_from last seq")

    # --- flow control and closing ---------------------------------------------------

    def confirm(self, last_seq: int | None) -> bool:
        """The client has processed everything up to ``last_seq`` (None: it
        confirms nothing new). False (and closing) when more than
        ``lag_limit`` sent events are beyond what it has confirmed — measured
        here, whatever the client sends: one that never reads (or never says
        what it read) is closed once that many events wait on it."""
        while last_seq is not None and self.inflight and self.inflight[0] <= last_seq:
            self.inflight.popleft()
        if len(self.inflight) > self.lag_limit:
            self.close(CLOSE_TRY_AGAIN, "too far behind: resume_from last seq")
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        """Decide to close (the first decision wins); ``finish`` does it."""
        if self.finished.is_set():
            return
        self.close_code, self.close_reason = code, reason[:120]
        self.finished.set()

    def disconnected(self) -> None:
        """The client went away: nothing left to send or close."""
        if not self.finished.is_set():
            self.client_gone = True
            self.finished.set()

    # --- consumer side ----------------------------------------------------------------

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write(), name="ws-writer")

    async def _write(self) -> None:
        try:
            while True:
                outs = [await self.queue.get()]
                while self.batch and len(outs) < MAX_BATCH_FRAME and not self.queue.empty():
                    outs.append(self.queue.get_nowait())
                await self.socket.send_text(frame(outs))
                self.sent += len(outs)
                self.inflight.extend(o.seq for o in outs if o.seq is not None)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - the client is gone
            log.debug("socket send failed: %s", type(err).__name__)
            self.disconnected()

    async def serve(self, reader: Callable[[], Awaitable[None]]) -> None:
        """Run ``reader`` (the client's messages) until the socket finishes,
        then stop both tasks and close the socket with the recorded code."""
        if self._writer is None:
            self.start()
        read = asyncio.get_running_loop().create_task(self._guard(reader), name="ws-reader")
        try:
            await self.finished.wait()
        finally:
            await self.finish(read)

    async def _guard(self, reader: Callable[[], Awaitable[None]]) -> None:
        try:
            await reader()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("socket reader failed")
            self.close(1011, "internal error")
        else:
            self.disconnected()

    async def finish(self, *tasks: asyncio.Task[None] | None) -> None:
        for task in (self._writer, *tasks):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.close_code is not None and not self.client_gone:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.socket.close(self.close_code, self.close_reason), CLOSE_TIMEOUT_S
                )
