"""Real receivers for notifications, on loopback, in a thread of their own:
an HTTP server (aiohttp) that records every request and answers as a test
scripts it per path, and an SMTP server (aiosmtpd) that keeps every message."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """``script[path]``: the statuses to answer, in order (the last repeats);
    a status of 0 means hang (answer only when the receiver closes)."""

    port: int = 0
    script: dict[str, list[int]] = field(default_factory=dict)
    delay_s: dict[str, float] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: asyncio.Event | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self.lock:
            self.received.append(Received(request.path, dict(request.headers), body, time.time()))
            n = sum(1 for r in self.received if r.path == request.path)
        statuses = self.script.get(request.path, [200])
        status = statuses[min(n, len(statuses)) - 1]
        await asyncio.sleep(self.delay_s.get(request.path, 0.0))
        if status == 0 and self.closing is not None:  # longer than any notifier waits
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), 20)
        return web.json_response({"n": n}, status=status)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(port=_free_port())
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner: list[web.AppRunner] = []

    async def serve() -> None:
        receiver.closing = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", receiver.handle)
        r = web.AppRunner(app, handle_signals=False)
        await r.setup()
        await web.TCPSite(r, "127.0.0.1", receiver.port).start()
        runner.append(r)
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    assert started.wait(10), "the HTTP receiver did not start"
    try:
        yield receiver
    finally:
        assert receiver.closing is not None
        loop.call_soon_threadsafe(receiver.closing.set)  # hanging answers end now
        asyncio.run_coroutine_threadsafe(runner[0].cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@dataclass
class SmtpSink:
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(_free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def wait_for(what: Callable[[], Any], timeout_s: float = 15.0, every_s: float = 0.1) -> Any:
    """``what()`` once it is truthy; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout_s}s")
        time.sleep(every_s)
