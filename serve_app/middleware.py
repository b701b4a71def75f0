"""Correlation ids: taken from ``X-Correlation-ID`` (if sane) or made up,
kept on ``request.state`` and echoed on every response. And the request
deadline: no request waits longer than ``NOC_REQUEST_TIMEOUT_S`` for its
answer to start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from noc_actors.domain.errors import Unavailable
from serve_app.context import context_of
from serve_app.http_errors import known_error_response

log = logging.getLogger(__name__)

HEADER = "x-correlation-id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class CorrelationIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(HEADER.encode(), b"").decode("latin-1")
        cid = given if _SANE.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["correlation_id"] = cid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (HEADER.encode(), cid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestDeadline:
    """Answers 503 with Retry-After (``Unavailable``) when a request's answer
    has not started within ``Settings.request_timeout_s`` — a storage or
    actor call that hangs must not hold a client (or a replica's slot)
    forever. The work is cancelled; an ingest cancelled this way may still
    have been stored (the retry folds into it, or with an
    ``Idempotency-Key`` gets the first answer back). Sockets are not
    bounded; a streamed answer is bounded until it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        timeout = context_of(request).settings.request_timeout_s
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if done or started:
            await task
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if started:  # it began answering while being cancelled
            return
        log.warning("%s %s not answered within %.1fs", scope["method"], scope["path"], timeout)
        err = Unavailable(
            "the request", f"not answered within {timeout:g}s (NOC_REQUEST_TIMEOUT_S)"
        )
        await known_error_response(request, err)(scope, receive, send)
