"""Request bodies are read only once the caller is known, and never past a
cap (``Settings.max_body_bytes``, 10 MiB by default).

For a request that may carry a body (POST, PUT, PATCH, DELETE) the caller is
authenticated from its headers first — the same ``authenticate`` the routes
use, kept in ``scope["state"]["caller"]`` so the route does not do it again
— and a stranger gets 401 without a byte of the body read. Then a declared
``Content-Length`` over the cap is answered 413 at once, and a body that
streams past it (no ``Content-Length``, or a false one) is cut off with 413
by Starlette's body limit. The one route that carries its credential in the
body (PagerDuty's Events API, ``routing_key``) is read — up to the cap — when
no bearer token is sent. An acknowledge link (``/api/noc/ack/<token>``)
carries its credential in the path: it is let through without a bearer
token, with a body of at most ``LINK_BODY_BYTES`` (a form's button sends none).
"""

from __future__ import annotations

import logging
from typing import Final

from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from noc_actors.store.outage import as_unavailable
from serve_app.auth import authenticate, bearer_token
from serve_app.context import context_of
from serve_app.errors import INTERNAL, answer_for, message_for
from serve_app.http_errors import error_response

log = logging.getLogger(__name__)

BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CREDENTIAL_IN_BODY: Final = frozenset({"/v2/enqueue"})
"""Paths whose body may hold the credential (PagerDuty's ``routing_key``)."""
CREDENTIAL_IN_PATH: Final = "/api/noc/ack/"
LINK_BODY_BYTES: Final = 1024


class BodyGuard:
    """See the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # no receive: nothing here can read the body
        ctx = context_of(request)
        cap = ctx.settings.max_body_bytes
        if scope["path"].startswith(CREDENTIAL_IN_PATH):
            cap = LINK_BODY_BYTES  # the route checks the token in the path
        elif scope["path"] not in CREDENTIAL_IN_BODY or bearer_token(request) is not None:
            try:
                caller = await authenticate(ctx, request)
            except Exception as caught:  # noqa: BLE001 - answered like a route's error
                err = as_unavailable(caught) or caught  # database down: 503, not 500
                answer = answer_for(err)
                if answer is INTERNAL:
                    log.exception("authentication failed (correlation id %s)", _cid(request))
                response = error_response(
                    request, answer.status, answer.code, message_for(err), answer.headers()
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["caller"] = caller
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            response = error_response(request, 413, "payload_too_large", too_large(cap))
            await response(scope, receive, send)
            return
        await RequestBodyLimitMiddleware(self.app, cap)(scope, receive, send)


def too_large(cap: int) -> str:
    return f"request body larger than the {cap}-byte limit (NOC_MAX_BODY_BYTES)"


def _cid(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")
