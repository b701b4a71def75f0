"""``/ws/noc/dashboard``: the handshake (origin allow-list, authentication by
``Authorization: Bearer`` header or a first ``auth`` message), joining the
replica's dispatcher, the optional resume, then the message loop.

Order of a connection: the socket registers with the dispatcher (live events
are held), asks the hub for the tenant's latest ``seq``, sends ``connected``,
then releases the replayed events (``resume_from``) and the held live ones —
so nothing published meanwhile is lost or sent twice."""

from __future__ import annotations

import asyncio
import logging
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from noc_actors.domain.enums import Capability
from noc_actors.domain.errors import Unavailable
from serve_app.auth import authenticate, bearer_token, deny
from serve_app.caller import Caller
from serve_app.context import AppContext, context_of
from serve_app.errors import Unauthenticated
from serve_app.ws import protocol as p
from serve_app.ws.connection import Connection
from serve_app.ws.fanout import EncodedEvent
from serve_app.ws.filtering import EventFilter
from serve_app.ws.handlers import Session
from serve_app.ws.origin import origin_allowed

router = APIRouter(tags=["websocket"])
log = logging.getLogger(__name__)

PATH = "/ws/noc/dashboard"
READY_TIMEOUT_S = 5.0


class Refused(Exception):
    """Close the socket during the handshake with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(reason)


@router.websocket(PATH)
async def dashboard(ws: WebSocket) -> None:
    ctx = context_of(ws)
    settings = ctx.settings
    if not origin_allowed(
        ws.headers.get("origin"), ws.headers.get("host"), settings.ws_allowed_origins
    ):
        log.warning("websocket refused: origin %.100r not allowed", ws.headers.get("origin"))
        await ws.close(code=p.CLOSE_FORBIDDEN)  # before accept: the handshake answers 403
        return
    await ws.accept()
    slots = ctx.realtime.slots
    if not slots.take():
        await _close(
            ws,
            p.CLOSE_TRY_AGAIN,
            f"this replica holds its {slots.per_replica} sockets; retry "
            "(NOC_WS_MAX_SOCKETS_PER_REPLICA)",
        )
        return
    try:
        await _open(ctx, ws)
    finally:
        slots.release()


async def _open(ctx: AppContext, ws: WebSocket) -> None:
    """Authenticate, take the user's slot, then serve the socket."""
    slots = ctx.realtime.slots
    try:
        caller, resume_from, auth_id = await _authenticate(ctx, ws)
        visible = caller.scope.filter_client_ids(list(caller.directory.clients))  # by name
        if not await ctx.realtime.pump.wait_ready(READY_TIMEOUT_S):
            raise Refused(p.CLOSE_TRY_AGAIN, "event stream unavailable; retry")
    except Refused as err:
        await _close(ws, err.code, err.reason)
        return
    except WebSocketDisconnect:
        return
    except Exception:  # noqa: BLE001 - e.g. the database: close with 1011, never hang
        log.exception("websocket handshake failed")
        await _close(ws, p.CLOSE_INTERNAL, "internal error")
        return
    if not slots.take_user(caller.user_id):
        log.warning("websocket refused: user %s holds %d sockets", caller.user_id, slots.per_user)
        await _close(
            ws,
            p.CLOSE_TOO_MANY,
            f"this user holds {slots.per_user} sockets on this replica; close one "
            "(NOC_WS_MAX_SOCKETS_PER_USER)",
        )
        return
    try:
        await _run(ctx, ws, caller, visible, resume_from, auth_id)
    finally:
        slots.release_user(caller.user_id)


async def _authenticate(ctx: AppContext, ws: WebSocket) -> tuple[Caller, int | None, object]:
    """The caller, the resume point and the auth message's id."""
    resume_from = _resume_param(ws)
    token, auth_id = bearer_token(ws), None
    if token is None:
        timeout = ctx.settings.ws_auth_timeout_s
        try:
            text = await asyncio.wait_for(ws.receive_text(), timeout)
        except TimeoutError:
            raise Refused(p.CLOSE_TIMEOUT, f"no auth message within {timeout:g} s") from None
        except KeyError:  # a binary frame
            raise Refused(p.CLOSE_BAD_REQUEST, "send JSON text") from None
        try:
            msg = p.parse(text)
        except p.BadMessage as err:
            raise Refused(p.CLOSE_BAD_REQUEST, f"bad auth message: {err.message}") from None
        if not isinstance(msg, p.Auth):
            raise Refused(p.CLOSE_UNAUTHENTICATED, 'authenticate first: {"type": "auth", ...}')
        token, auth_id = msg.token, msg.id
        if msg.resume_from is not None:
            resume_from = msg.resume_from
    try:
        caller = await authenticate(ctx, ws, token)
    except Unauthenticated as err:
        raise Refused(p.CLOSE_UNAUTHENTICATED, err.message) from None
    if not caller.principal.has(Capability.VIEW):
        await deny(ctx, caller, Capability.VIEW.value, "websocket", PATH)
        raise Refused(p.CLOSE_FORBIDDEN, f"missing capability {Capability.VIEW.value}")
    return caller, resume_from, auth_id


def _resume_param(ws: WebSocket) -> int | None:
    raw = ws.query_params.get("resume_from")
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
        raise Refused(p.CLOSE_BAD_REQUEST, "resume_from must be a sequence number")
    return int(raw)


async def _run(
    ctx: AppContext,
    ws: WebSocket,
    caller: Caller,
    visible: list[str],
    resume_from: int | None,
    auth_id: object,
) -> None:
    rt, settings = ctx.realtime, ctx.settings
    conn = Connection(
        ws,
        tenant_id=caller.tenant_id,
        sees_pii=caller.sees_pii,
        event_filter=EventFilter(caller.scope),
        queue_size=settings.ws_send_queue_size,
        batch=ws.query_params.get("batch") in ("1", "true"),
    )
    session = Session(ctx, caller, conn, visible, rt.limiter)
    rt.dispatcher.add(conn)
    conn.start()
    try:
        try:
            latest = await ctx.noc.last_seq(caller.tenant_id)
            conn.send(
                p.reply(
                    "connected",
                    auth_id,
                    user_id=caller.user_id,
                    tenant_id=caller.tenant_id,
                    clients=visible,
                    seq=latest,
                    replica=rt.replica_id,
                    pii=caller.sees_pii,
                    capabilities=sorted(c.value for c in Capability if caller.principal.has(c)),
                )
            )
            if resume_from is None:
                conn.open(latest)
            else:
                found = await ctx.noc.replay(caller.tenant_id, resume_from)
                replayed = [EncodedEvent(e) for e in found["events"]]
                conn.open(resume_from, replayed, bool(found["resync"]), latest)
        except Unavailable as err:
            log.warning("websocket: hub unavailable: %s", type(err).__name__)
            conn.close(p.CLOSE_TRY_AGAIN, "event stream unavailable; retry")
        except Exception:  # noqa: BLE001 - close with 1011, never leak the writer
            log.exception("websocket connect failed")
            conn.close(p.CLOSE_INTERNAL, "internal error")
        await conn.serve(lambda: _read(ws, conn, session, settings.ws_idle_timeout_s))
    finally:
        rt.dispatcher.remove(conn)


async def _read(ws: WebSocket, conn: Connection, session: Session, idle_s: float) -> None:
    """The client's frames, one at a time, until it goes away, sends no
    heartbeat for ``idle_s`` (other messages do not count: a heartbeat is
    where the server measures how far behind the client is, so a client that
    never reads is closed whatever else it sends) or its rights end (checked
    between frames and while idle)."""
    while True:
        left = idle_s - (time.monotonic() - session.heartbeat_at)
        if left <= 0:
            conn.close(p.CLOSE_TIMEOUT, f"no heartbeat for {idle_s:g} s; send heartbeat")
            return
        try:
            message = await asyncio.wait_for(
                ws.receive(), min(left, session.ctx.settings.ws_token_recheck_s)
            )
        except TimeoutError:
            if not await session.still_authorized():
                return
            continue
        if message["type"] == "websocket.disconnect":
            conn.disconnected()
            return
        if not await session.still_authorized():
            return
        await session.handle(message.get("text"))


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    try:
        await ws.close(code=code, reason=reason[:120])
    except Exception as err:  # noqa: BLE001 - the client may be gone already
        log.debug("close failed: %s", type(err).__name__)
