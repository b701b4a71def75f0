"""The notification pipeline, assembled here (Alertmanager's notify pipeline
is the model: each stage one small unit with one job).

A notice (written by the aggregator with the escalation or resolution it
tells of, in the same transaction) goes through:

1. **plan** — resolve its targets (an escalation: the target's users, or
   every tenant admin, through their contact points, and the tenant's own
   contact points, each by severity; a resolution: the contact points an
   escalation of the alert was sent to) and write one delivery per contact
   point. **Dedup** is the database's: one notice per (alert, kind, level),
   one delivery per (notice, contact point), whatever replays or restarts.
2. per delivery, when due: **load** (the contact point with its secrets
   decrypted, the alert as it is now; skipped when the contact point is gone
   or disabled, or an escalation's alert no longer awaits acknowledgement)
   → **render** (per channel, masked unless the recipient holds
   ``noc:view_pii``, with a fresh one-use acknowledge link) → **send** (the
   channel's sender, bounded by the timeout) → **record** (the attempt in the
   delivery log and the delivery's next state: sent, failed, or pending again
   after a jittered exponential backoff).

Deliveries are claimed with a lease longer than a send can take: a notifier
that dies mid-send leaves its deliveries to the next one once the lease runs
out (at least once on the wire; the ``Idempotency-Key`` makes it once in
effect). Nothing here runs inside an aggregator: a slow or dead endpoint
delays only its own deliveries."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.access import Principal
from noc_actors.domain.enums import Capability, Severity
from noc_actors.domain.notify import render
from noc_actors.domain.notify.contacts import (
    ContactPoint,
    escalation_contacts,
    resolution_contacts,
    target_users,
)
from noc_actors.domain.notify.retry import RetryPolicy
from noc_actors.domain.notify.signing import new_token, token_hash
from noc_actors.notify.channels import Channels, Sent
from noc_actors.settings import Settings
from noc_actors.store.repos import alert_queries, notifications, users
from noc_actors.store.repos._common import new_id
from noc_actors.store.secrets import SecretBox, SecretError

log = logging.getLogger(__name__)

ACK_PATH = "/api/noc/ack/"


def contact_of(row: dict[str, Any], box: SecretBox | None = None) -> ContactPoint:
    """A stored contact point; with ``box``, its secrets decrypted."""
    return ContactPoint(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        channel=row["channel"],
        config=dict(row["config"] or {}),
        user_id=row["user_id"],
        min_severity=Severity(row["min_severity"]),
        max_severity=Severity(row["max_severity"]) if row.get("max_severity") else None,
        delay_s=int(row["delay_s"]),
        send_resolved=bool(row["send_resolved"]),
        enabled=bool(row["enabled"]),
        secrets=box.open(row["secret"]) if box is not None else {},
    )


@dataclass(frozen=True, slots=True)
class Work:
    """One delivery on its way through the stages."""

    delivery: dict[str, Any]
    contact: ContactPoint | None = None
    alert: dict[str, Any] | None = None
    message: render.Message | None = None
    sent: Sent | None = None
    latency_ms: float = 0.0


class Pipeline:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        channels: Channels,
        now: Callable[[], datetime],
        count: Callable[[str, str], None] = lambda channel, outcome: None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.engine, self.settings, self.channels = engine, settings, channels
        self.now, self.count, self.draw = now, count, draw
        self.box = SecretBox(settings)
        self.retry = RetryPolicy(
            settings.notify_max_attempts, settings.notify_backoff_s, settings.notify_backoff_cap_s
        )
        self.lease_s = 2 * settings.notify_timeout_s + 5
        """Longer than any send (its timeout, plus the wait around it): a lease
        that runs out means the notifier holding it died."""

    # --- 1. plan ---------------------------------------------------------------------

    async def plan(self) -> int:
        """Plan every pending notice; how many deliveries that made."""
        made = 0
        async with self.engine.begin() as conn:
            claimed = await notifications.claim_notices(conn, now=self.now(), lease_s=self.lease_s)
        for notice in claimed:
            async with self.engine.begin() as conn:
                contacts = [
                    contact_of(r)
                    for r in await notifications.list_contacts(conn, tenant_id=notice["tenant_id"])
                ]
                if notice["kind"] == "escalation":
                    admins = [
                        u["id"]
                        for u in await users.list_admins(conn, tenant_id=notice["tenant_id"])
                    ]
                    reached = escalation_contacts(
                        contacts,
                        target_users(notice["target"], admins),
                        Severity(notice["severity"]),
                    )
                else:
                    told = await notifications.sent_contacts(conn, alert_id=notice["alert_id"])
                    reached = resolution_contacts(contacts, told)
                now = self.now()
                rows = [self._delivery(notice, c, now) for c in reached]
                await notifications.plan_notice(conn, notice=notice, planned=rows)
            made += len(rows)
        return made

    def _delivery(self, notice: dict[str, Any], c: ContactPoint, now: datetime) -> dict[str, Any]:
        delay = c.delay_s if notice["kind"] == "escalation" else 0
        return {
            "id": new_id(),
            "notice_id": notice["id"],
            "tenant_id": notice["tenant_id"],
            "alert_id": notice["alert_id"],
            "contact_id": c.id,
            "contact_name": c.name,
            "user_id": c.user_id,
            "channel": c.channel,
            "kind": notice["kind"],
            "level": notice["level"],
            "state": "pending",
            "attempts": 0,
            "next_at": now + timedelta(seconds=delay),
            "lease_until": None,
            "last_error": None,
            "created_at": now,
            "done_at": None,
        }

    async def claim_due(self, limit: int = 100) -> list[dict[str, Any]]:
        async with self.engine.begin() as conn:
            return await notifications.claim_deliveries(
                conn, now=self.now(), lease_s=self.lease_s, limit=limit
            )

    # --- 2. one delivery ---------------------------------------------------------------

    async def deliver(self, delivery: dict[str, Any]) -> str:
        """Run one claimed delivery through the stages; its outcome."""
        work: Work | str = Work(delivery)
        for stage in (self.load, self.render, self.send):
            assert isinstance(work, Work)
            work = await stage(work)
            if isinstance(work, str):  # skipped, with the reason
                await self._skip(delivery, work)
                return "skipped"
        assert isinstance(work, Work)
        return await self.record(work)

    async def load(self, work: Work) -> Work | str:
        d = work.delivery
        async with self.engine.connect() as conn:
            row = await notifications.get_contact(
                conn, tenant_id=d["tenant_id"], contact_id=d["contact_id"]
            )
            alert = await alert_queries.get_alert(
                conn, tenant_id=d["tenant_id"], alert_id=d["alert_id"]
            )
        if row is None:
            return "the contact point was deleted"
        if not row["enabled"]:
            return "the contact point is disabled"
        if alert is None:
            return "the alert is gone"
        if d["kind"] == "escalation" and not alert.awaiting_ack:
            return f"the alert is {alert.status.value} (no longer awaits acknowledgement)"
        try:
            contact = contact_of(row, self.box)
        except SecretError as err:
            return str(err)
        return replace(work, contact=contact, alert=alert.to_json())

    async def render(self, work: Work) -> Work | str:
        d, alert = work.delivery, work.alert
        assert alert is not None and work.contact is not None
        view_pii = False
        link = None
        async with self.engine.begin() as conn:
            if d["user_id"] is not None:
                user = await users.get_user(conn, tenant_id=d["tenant_id"], user_id=d["user_id"])
                if user is None:
                    return "the recipient is gone"
                view_pii = Principal(
                    user["id"],
                    d["tenant_id"],
                    is_admin=bool(user["is_admin"]),
                    capabilities=user["capabilities"] or {},
                ).has(Capability.VIEW_PII)
            if d["kind"] == "escalation":
                token = new_token()
                await notifications.add_ack_link(
                    conn,
                    token_hash=token_hash(token),
                    tenant_id=d["tenant_id"],
                    alert_id=d["alert_id"],
                    client_id=alert["client_id"],
                    user_id=d["user_id"],
                    delivery_id=d["id"],
                    expires_at=self.now() + timedelta(seconds=self.settings.ack_link_ttl_s),
                    used_at=None,
                )
                link = self.settings.public_url.rstrip("/") + ACK_PATH + token
        message = render.message(alert, d["kind"], d["level"], view_pii, link)
        return replace(work, message=message)

    async def send(self, work: Work) -> Work:
        assert work.contact is not None and work.message is not None
        began = time.perf_counter()
        sent = await self.channels.send(work.contact, work.message, work.delivery["id"])
        return replace(work, sent=sent, latency_ms=(time.perf_counter() - began) * 1000)

    async def record(self, work: Work) -> str:
        d, sent = work.delivery, work.sent
        assert sent is not None
        attempt = int(d["attempts"]) + 1
        outcome = self.retry.judge(sent.ok, sent.retryable, attempt)
        now = self.now()
        next_at = None
        if outcome == "retry":
            next_at = now + timedelta(seconds=self.retry.backoff_s(attempt, self.draw))
        state = {"sent": "sent", "failed": "failed", "retry": "pending"}[outcome]
        async with self.engine.begin() as conn:
            await notifications.record_attempt(
                conn,
                delivery=d,
                attempt=attempt,
                outcome="timeout" if sent.error == "timed out" and outcome != "sent" else outcome,
                state=state,
                status_code=sent.status_code,
                error=sent.error,
                latency_ms=work.latency_ms,
                at=now,
                next_at=next_at,
            )
        self.count(d["channel"], outcome)
        if outcome != "sent":
            log.info(
                "delivery %s to %s (%s) try %d: %s",
                d["id"],
                d["contact_name"],
                d["channel"],
                attempt,
                sent.error,
            )
        return outcome

    async def _skip(self, delivery: dict[str, Any], reason: str) -> None:
        async with self.engine.begin() as conn:
            await notifications.skip_delivery(
                conn, delivery_id=delivery["id"], reason=reason, at=self.now()
            )
        self.count(delivery["channel"], "skipped")
