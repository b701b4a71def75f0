"""What each client message does, for one authenticated socket.

Every message gets its own correlation id (in ``error`` frames, audit rows
and the aggregator's audit of an acknowledgement), counts against the user's
rate limit (over it: ``error`` ``rate_limited``, the message is dropped) and
is checked against the user's capabilities and scope like the REST API: an
unknown client or alert is ``not_found``; one outside the scope, or a missing
capability, is ``forbidden`` and written to the audit log as
UNAUTHORIZED_ACCESS."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from noc_actors.domain.enums import Capability
from noc_actors.domain.errors import NotFound
from noc_actors.store.repos import alert_queries, clients, snapshots
from serve_app.auth import deny, require, reresolve
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.errors import INTERNAL, answer_for
from serve_app.queries import snapshot_view
from serve_app.scoping import public
from serve_app.ws import protocol as p
from serve_app.ws.connection import Connection
from serve_app.ws.fanout import EncodedEvent
from serve_app.ws.ratelimit import RateLimiter, retry_after

log = logging.getLogger(__name__)


class Session:
    """One authenticated socket's conversation: owns its caller, the clients
    it may see, and the handling of each client message."""

    def __init__(
        self,
        ctx: AppContext,
        caller: Caller,
        conn: Connection,
        visible: list[str],
        limiter: RateLimiter,
    ) -> None:
        self.ctx = ctx
        self.caller = caller
        self.conn = conn
        self.visible = visible
        self.limiter = limiter
        self.token_checked = time.monotonic()
        self.heartbeat_at = time.monotonic()
        """When the client last sent a heartbeat (the connection's start at
        first): only heartbeats keep a socket open, and each is where the
        server measures how far behind the client is."""
        self.epoch: int | None = None
        """The access epoch the socket's rights were last read at (None: at
        authentication, before any re-check)."""

    async def still_authorized(self) -> bool:
        """Check the socket's rights again, at most every ``ws_token_recheck_s``
        (issue 11 item 1). Cheap while nothing changed: one read of the access
        epoch (shared by the replica's requests). When the epoch moved — a
        token revoked, a user's capabilities or scope changed, a client or
        site added — the token is resolved again: revoked or expired closes
        the socket (4401); without ``noc:view`` now, 4403; otherwise the
        socket takes the new rights at once (pushes filtered by the new scope
        and masked per ``noc:view_pii``, ``acknowledge_alert`` checked against
        the new capabilities) and the client is told with ``access_changed``.
        A database error keeps the socket (it is re-checked on the next beat)."""
        now = time.monotonic()
        if now - self.token_checked < self.ctx.settings.ws_token_recheck_s:
            return True
        self.token_checked = now
        at = datetime.now(UTC)
        expires = self.caller.expires_at
        try:
            epoch = await self.ctx.epochs.get()
            if epoch == self.epoch and (expires is None or expires > at):
                return True
            async with self.ctx.engine.connect() as db:
                fresh = await reresolve(db, self.caller, at)
        except Exception as err:  # noqa: BLE001 - keep the socket on a transient error
            log.warning("websocket access re-check failed: %s", type(err).__name__)
            return True
        if fresh is None:
            self.conn.close(p.CLOSE_UNAUTHENTICATED, "token revoked or expired")
            return False
        self.epoch = epoch
        if not fresh.principal.has(Capability.VIEW):
            await deny(self.ctx, fresh, Capability.VIEW.value, "websocket", "/ws/noc/dashboard")
            self.conn.close(p.CLOSE_FORBIDDEN, "noc:view was withdrawn")
            return False
        changed = (fresh.principal, fresh.scope) != (self.caller.principal, self.caller.scope)
        self.caller = fresh
        visible = fresh.scope.filter_client_ids(list(fresh.directory.clients))
        if changed or visible != self.visible:
            self.visible = visible
            self.conn.retarget(fresh.sees_pii, fresh.scope)
            self.conn.send(
                p.reply(
                    "access_changed",
                    None,
                    clients=self.conn.filter.subscribed(visible),
                    pii=fresh.sees_pii,
                    capabilities=sorted(c.value for c in Capability if fresh.principal.has(c)),
                )
            )
        return True

    async def handle(self, text: str | None) -> None:
        """One client frame (None: a binary frame)."""
        cid = uuid.uuid4().hex
        if not await self.limiter.allow(self.caller.user_id):
            self.conn.send(
                p.error(
                    "rate_limited",
                    f"more than {self.limiter.limit} messages a minute",
                    cid,
                    p.peek_id(text or ""),
                    retry_after_s=retry_after(time.time()),
                )
            )
            return
        try:
            if text is None:
                raise p.BadMessage("binary frames are not supported; send JSON text")
            msg = p.parse(text)
        except p.BadMessage as err:
            self.conn.send(p.error_frame(err, cid, err.message_id))
            return
        caller = dataclasses.replace(self.caller, correlation_id=cid)
        try:
            await self._dispatch(msg, caller)
        except Exception as err:  # noqa: BLE001 - every error becomes an error frame
            if answer_for(err) is INTERNAL:
                log.exception("websocket %s failed (correlation id %s)", msg.type, cid)
            self.conn.send(p.error_frame(err, cid, msg.id, request=msg.type))

    async def _dispatch(self, msg: p.ClientMessage, caller: Caller) -> None:
        match msg:
            case p.Heartbeat():
                self.heartbeat_at = time.monotonic()
                if self.conn.confirm(msg.last_seq):
                    self.conn.send(p.reply("heartbeat_ack", msg.id, seq=self.conn.gate.floor))
            case p.SubscribeClient() | p.UnsubscribeClient():
                await self._subscription(msg, caller)
            case p.AcknowledgeAlert():
                await self._acknowledge(msg, caller)
            case p.RequestMetrics():
                await self._metrics(msg, caller)
            case p.Resume():
                await self.resume(msg.after_seq, msg.id)
            case p.Auth():
                raise p.BadMessage("already authenticated", msg.id)

    async def resume(self, after_seq: int, message_id: Any = None) -> None:
        """Replay the tenant's events after ``after_seq`` (scope-filtered), in
        order and without duplicates against the live stream, or resync."""
        if not self.conn.gate.hold():
            self.conn.send(p.reply("resync", reason="resume_after_live_events"))
            return
        tenant = self.caller.tenant_id
        try:
            latest = await self.ctx.noc.last_seq(tenant)
            found = await self.ctx.noc.replay(tenant, after_seq)
        except BaseException:
            self.conn.open(self.conn.gate.floor, resync=True, reason="replay_unavailable")
            raise
        replayed = [EncodedEvent(e) for e in found["events"]]
        n = self.conn.open(after_seq, replayed, bool(found["resync"]), latest)
        self.conn.send(p.reply("resumed", message_id, after_seq=after_seq, replayed=n))

    async def _client_in_scope(self, client_id: str, caller: Caller, what: str) -> None:
        """404 for no such client of the tenant, audited 403 outside the scope."""
        if client_id in self.visible:
            return
        async with self.ctx.engine.connect() as db:
            row = await clients.get_client(db, tenant_id=caller.tenant_id, client_id=client_id)
        if row is None:
            raise NotFound("client", client_id)
        raise await deny(self.ctx, caller, what, "client", client_id)

    async def _subscription(
        self, msg: p.SubscribeClient | p.UnsubscribeClient, caller: Caller
    ) -> None:
        await self._client_in_scope(msg.client_id, caller, "scope")
        if isinstance(msg, p.SubscribeClient):
            self.conn.filter.unsubscribed.discard(msg.client_id)
            kind = "subscribed"
        else:
            self.conn.filter.unsubscribed.add(msg.client_id)
            kind = "unsubscribed"
        self.conn.send(
            p.reply(
                kind,
                msg.id,
                client_id=msg.client_id,
                clients=self.conn.filter.subscribed(self.visible),
            )
        )

    async def _acknowledge(self, msg: p.AcknowledgeAlert, caller: Caller) -> None:
        await require(self.ctx, caller, Capability.ACK_ALERTS)
        async with self.ctx.engine.connect() as db:
            alert = await alert_queries.get_alert(
                db, tenant_id=caller.tenant_id, alert_id=msg.alert_id
            )
        if alert is None:
            raise NotFound("alert", msg.alert_id)
        if not caller.scope.allows_alert(alert.tenant_id, alert.client_id, alert.site_id):
            raise await deny(self.ctx, caller, "scope", "alert", msg.alert_id)
        done = await self.ctx.noc.acknowledge(
            caller.tenant_id,
            alert.client_id,
            msg.alert_id,
            caller.user_id,
            notes=msg.notes,
            source_ip=caller.source_ip,
            correlation_id=caller.correlation_id,
            user_agent=caller.user_agent,
        )
        self.conn.send(
            p.reply(
                "alert_acknowledged",
                msg.id,
                alert=public(caller, done),
                correlation_id=caller.correlation_id,
            )
        )

    async def _metrics(self, msg: p.RequestMetrics, caller: Caller) -> None:
        """The latest snapshot of one visible client, or of every visible
        client (none for a site-only user: snapshots are client-wide)."""
        if msg.client_id is not None:
            await self._client_in_scope(msg.client_id, caller, "scope")
            if caller.scope.sites is not None:
                raise await deny(self.ctx, caller, "scope", "client", msg.client_id)
            ids = [msg.client_id]
        else:
            ids = [] if caller.scope.sites is not None else self.visible
        latest: dict[str, dict[str, Any]] = {}
        if ids:
            async with self.ctx.engine.connect() as db:
                latest = await snapshots.latest_snapshots(
                    db, tenant_id=caller.tenant_id, client_ids=ids
                )
        items = [
            {"client_id": cid, **(snapshot_view(row) or {})}
            for cid in ids
            if (row := latest.get(cid)) is not None
        ]
        self.conn.send(public(caller, p.reply("metrics_update", msg.id, items=items)))
