"""Test clients of ``/ws/noc/dashboard``.

``Dash`` is a well-behaved dashboard socket (the ``websockets`` package): a
reader task stamps each frame with its arrival time, so tests can measure
delivery latency; an optional heartbeat task keeps it alive. ``RawSocket`` is
a client that completes the handshake and then stops reading (tiny receive
buffer): the stuck client of the slow-consumer tests."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import socket
import struct
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import Api

Frame = dict[str, Any]


def ws_url(api: Api, resume_from: int | None = None) -> str:
    url = api.base_url.replace("http://", "ws://") + "/ws/noc/dashboard"
    return url if resume_from is None else f"{url}?resume_from={resume_from}"


class Dash:
    """One dashboard socket with every frame it received, stamped."""

    opened: list[Dash] = []
    """Every socket a test opened (``close_all`` ends them after the test)."""

    def __init__(self, ws: ClientConnection, heartbeat_s: float | None) -> None:
        self.ws = ws
        self.frames: list[tuple[float, Frame]] = []
        self.raw: list[str] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._arrived = asyncio.Event()
        self._ids = itertools.count(1)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._beat = (
            asyncio.get_running_loop().create_task(self._heartbeat(heartbeat_s))
            if heartbeat_s
            else None
        )
        self.connected: Frame = {}

    @classmethod
    async def open(
        cls,
        api: Api,
        who: str,
        *,
        resume_from: int | None = None,
        by_message: bool = False,
        heartbeat_s: float | None = None,
        origin: str | None = None,
    ) -> Dash:
        headers = {} if by_message else {"Authorization": f"Bearer {api.tokens[who]}"}
        ws = await connect(
            ws_url(api, None if by_message else resume_from),
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            max_size=None,
            open_timeout=10,
        )
        dash = cls(ws, heartbeat_s)
        cls.opened.append(dash)
        if by_message:
            auth: Frame = {"type": "auth", "token": api.tokens[who], "id": "auth-1"}
            if resume_from is not None:
                auth["resume_from"] = resume_from
            await ws.send(json.dumps(auth))
        dash.connected = await dash.next(lambda f: f["type"] == "connected", 10)
        return dash

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                self.raw.append(str(text))
                self.frames.append((time.monotonic(), json.loads(text)))
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            rcvd = self.ws.close_code
            self.close_code = rcvd
            self.close_reason = self.ws.close_reason or ""
            self._arrived.set()

    async def _heartbeat(self, every_s: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(every_s)
                beat = {"type": "heartbeat", "id": "beat", "last_seq": self.last_seq()}
                await self.ws.send(json.dumps(beat))

    def last_seq(self) -> int:
        """The highest event seq received (what a dashboard confirms)."""
        return max((f["seq"] for _, f in self.frames if isinstance(f.get("seq"), int)), default=0)

    async def send(self, message: Frame) -> Any:
        """Send ``message`` with a fresh id; returns the id."""
        mid = message["id"] if "id" in message else f"m{next(self._ids)}"
        await self.ws.send(json.dumps({**message, "id": mid}))
        return mid

    async def request(self, message: Frame, timeout: float = 10) -> Frame:
        """Send and wait for the reply that echoes the message id."""
        mid = await self.send(message)
        return await self.next(lambda f: f.get("id") == mid, timeout)

    async def next(self, match: Callable[[Frame], bool], timeout: float = 5) -> Frame:
        """The first frame (received so far or later) that matches."""
        return (await self.arrival(match, timeout))[1]

    async def arrival(
        self, match: Callable[[Frame], bool], timeout: float = 5
    ) -> tuple[float, Frame]:
        deadline = time.monotonic() + timeout
        while True:
            for stamped in self.frames:
                if match(stamped[1]):
                    return stamped
            if self.close_code is not None:
                raise AssertionError(f"socket closed {self.close_code} {self.close_reason!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame in {timeout} s; got {self.types()}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    async def closed(self, timeout: float = 10) -> tuple[int | None, str]:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.close_code, self.close_reason

    def frames_of_ids(self, ids: Any) -> list[Frame]:
        wanted = set(ids)
        return [f for _, f in self.frames if f.get("id") in wanted]

    def of(self, *types: str) -> list[Frame]:
        return [f for _, f in self.frames if f["type"] in types]

    def types(self) -> list[str]:
        return [f["type"] for _, f in self.frames]

    async def close(self) -> None:
        if self in Dash.opened:  # closed here: not left for close_all (maybe on another loop)
            Dash.opened.remove(self)
        if self._beat is not None:
            self._beat.cancel()
        await self.ws.close()
        await self.closed()

    @classmethod
    async def close_all(cls) -> None:
        while cls.opened:
            await cls.opened.pop().close()


async def two_replicas(api: Api, who: str, within_s: float = 30.0) -> tuple[Dash, Dash]:
    """Open sockets until two of them are on different replicas. Right after
    a deployment the proxy may route to one replica for a few seconds (the
    second is not in its configuration yet), so this keeps trying, a little
    apart, for ``within_s``."""
    by_replica: dict[str, Dash] = {}
    deadline = time.monotonic() + within_s
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        d = await Dash.open(api, who)
        if d.connected["replica"] in by_replica:
            await d.close()
            await asyncio.sleep(0.25)
            continue
        by_replica[d.connected["replica"]] = d
        if len(by_replica) == 2:
            a, b = by_replica.values()
            return a, b
    raise AssertionError(f"{tries} sockets in {within_s:g} s all landed on one replica")


class RawSocket:
    """A client that authenticates by header, reads the handshake answer and
    then stops reading; ``drain`` reads everything later and parses frames."""

    def __init__(self, api: Api, who: str, rcvbuf: int = 4096) -> None:
        host, port = api.base_url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                "GET /ws/noc/dashboard HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Authorization: Bearer {api.tokens[who]}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buffer = b""

    def send_text(self, text: str) -> None:
        """One masked text frame (client frames must be masked)."""
        data, mask = text.encode(), os.urandom(4)
        assert len(data) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask + masked)

    def drain(self, timeout: float = 10) -> tuple[list[Frame], tuple[int, str] | None, int]:
        """Read until a close frame (or ``timeout`` of silence): the text
        frames, the close frame's (code, reason) and how many bytes came."""
        self.sock.settimeout(timeout)
        frames: list[Frame] = []
        received = len(self.buffer)
        while True:
            parsed = _frame(self.buffer)
            if parsed is None:
                try:
                    chunk = self.sock.recv(1 << 16)
                except TimeoutError:
                    return frames, None, received
                if not chunk:
                    return frames, None, received
                received += len(chunk)
                self.buffer += chunk
                continue
            opcode, payload, self.buffer = parsed
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                return frames, (code, payload[2:].decode(errors="replace")), received
            if opcode == 0x1:
                frames.append(json.loads(payload))

    def close(self) -> None:
        self.sock.close()


def _frame(buf: bytes) -> tuple[int, bytes, bytes] | None:
    """One unmasked server frame from ``buf``: (opcode, payload, rest)."""
    if len(buf) < 2:
        return None
    opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, at = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, at = struct.unpack("!Q", buf[2:10])[0], 10
    if len(buf) < at + n:
        return None
    return opcode, buf[at : at + n], buf[at + n :]


def alert_item(api: Api, run: str, i: int, site: str = "a1-n", **extra: Any) -> Frame:
    client = site.split("-")[0]
    return {
        "alert_type": "WS_TEST",
        "message": f"{run} #{i}",
        "client_id": api.ids[client],
        "site_id": api.ids[site],
        "severity": "HIGH",
        "entity_type": "door",
        "entity_id": f"{run}-{site}-{i}",
        **extra,
    }


class Posted:
    """One ingest POST: when it started (monotonic) and the created alert ids."""

    def __init__(self, started: float, body: Frame) -> None:
        self.started = started
        self.ids = [i["alert_id"] for i in body["items"]]


async def post_alerts(api: Api, items: list[Frame]) -> Posted:
    """POST the alerts with the tenant-wide integration key (every item must
    be stored: a 200 means stored and published)."""
    async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as http:
        started = time.monotonic()
        r = await http.post(
            "/api/noc/alerts",
            json={"alerts": items},
            headers={"Authorization": f"Bearer {api.tokens['key']}"},
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rejected"] == 0 and all(i["status"] == "created" for i in body["items"]), body
    return Posted(started, body)


async def rest(api: Api, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        base_url=api.base_url,
        timeout=30,
        headers={"Authorization": f"Bearer {api.tokens[who]}"},
    ) as http:
        return await http.request(method, path, **kw)


def run_id() -> str:
    return uuid.uuid4().hex[:8]


def is_alert(run: str) -> Callable[[Frame], bool]:
    """Matches ``alert_new`` pushes of one test run."""

    def match(f: Frame) -> bool:
        return f["type"] == "alert_new" and f["alert"]["message"].startswith(run)

    return match


def is_message(message: str) -> Callable[[Frame], bool]:
    """Matches the ``alert_new`` push of the alert with exactly this message."""
    return lambda f: f["type"] == "alert_new" and f["alert"]["message"] == message
