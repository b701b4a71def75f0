"""ClientAggregator actor (``noc:aggregator:<client_id>``): one per client.

Owns: the client's open alerts (by dedup key), its live entity state
(tickets, work orders, devices, attendance), its maintenance windows,
escalation contacts and backpressure flag — the ``ClientAggregate`` core.
It is the single writer of its client's alerts.

Hard state (database): alerts, live entity state, windows, policies. Every
operation commits in one transaction before it answers, so a returned call
means the change is stored. Soft state (rebuilt on start by ``_load``): the
in-memory indexes, the correlation memory, the suppressed-row memory.

Idempotent calls: ``status``, ``snapshot``, ``reload``, and ingest with a
``batch_key`` (its answer is stored in ``ingest_batches`` in the batch's own
transaction). Ingest without a key and transitions are not retried by Ray (a
retry could count a repeat twice); the caller decides. ``escalate_due`` is
idempotent through the fencing token.

Periodic jobs: clock rules (SLA breach, overdue work orders, silent devices,
missing punch-ins) and the 5-minute metric snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import ray
from sqlalchemy.exc import IntegrityError

from noc_actors import cache_keys
from noc_actors.actors.loops import PeriodicLoop
from noc_actors.actors.metrics import AggregatorMetrics
from noc_actors.actors.peers import HubPeer, TimerPeer
from noc_actors.actors.process import was_restarted
from noc_actors.actors.tenancy import load_client_context
from noc_actors.domain.aggregate import Changes, ClientAggregate
from noc_actors.domain.backpressure import TenantBacklog
from noc_actors.domain.book import Outcome
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus
from noc_actors.domain.errors import InvalidTransition, NotFound
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.events import AnyEvent
from noc_actors.logs import install_redaction
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine
from noc_actors.store.repos import alert_queries, alerts, audit, batches, live_state, snapshots

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class ClientAggregator:
    """Ray actor around ``ClientAggregate``; see the module docstring."""

    def __init__(self, tenant_id: str, client_id: str, settings: Settings) -> None:
        install_redaction()
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.redis = _redis(settings.redis_url)
        self.core = ClientAggregate(tenant_id, client_id, settings.policy)
        self.hub = HubPeer(settings.ray_namespace)
        self.timer = TimerPeer(settings.ray_namespace)
        self.metrics = AggregatorMetrics()
        self.tags = {"tenant": tenant_id, "client": client_id}
        self.enabled = True
        self.started_at = time.time()
        self.restarted = was_restarted()
        self.loaded_at: float | None = None
        self.load_seconds: float | None = None
        self._lock = asyncio.Lock()
        self._loaded = False
        self.clock_loop = PeriodicLoop("clock-rules", settings.clock_rules_interval_s, self.tick)
        self.snapshot_loop = PeriodicLoop(
            "snapshot", settings.snapshot_interval_s, self.take_snapshot
        )

    # --- loading ----------------------------------------------------------------

    async def _ensure_loaded(self) -> None:
        if not self._loaded:
            await self._load()

    async def _load(self) -> None:
        """Rebuild the core from the database and re-arm its deadlines."""
        started = time.perf_counter()
        now = utcnow()
        async with self.engine.connect() as conn:
            ctx = await load_client_context(
                conn, self.tenant_id, self.client_id, self.settings.policy, now
            )
            open_alerts = await alert_queries.load_open_alerts(
                conn, tenant_id=self.tenant_id, client_id=self.client_id
            )
            recent = await alert_queries.list_recent_alerts(
                conn,
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                since=now - ctx.policy.correlation_window,
            )
            saved_state = await live_state.load_live_state(
                conn, client_id=self.client_id, tenant_id=self.tenant_id
            )
        core = ClientAggregate(self.tenant_id, self.client_id, ctx.policy)
        core.escalation, core.contacts = ctx.escalation, ctx.contacts
        core.backlog = self.core.backlog
        deadlines = core.load(open_alerts, recent, saved_state, ctx.windows)
        for site_id, fence in ctx.geofences.items():
            core.state.set_geofence(site_id, *fence)
        self.core = core
        self.enabled = ctx.enabled
        self._loaded = True
        self.timer.arm(deadlines)
        self._gauge_open()
        self.loaded_at = time.time()
        self.load_seconds = time.perf_counter() - started
        self.clock_loop.start()
        self.snapshot_loop.start()

    async def ready(self) -> bool:
        async with self._lock:
            await self._ensure_loaded()
        return True

    async def reload(self) -> bool:
        """Re-read policy, windows, contacts and alerts (after a config change)."""
        async with self._lock:
            await self._load()
        return True

    # --- the one write path -------------------------------------------------------

    async def _run(
        self, op: Callable[[datetime], Changes], batch_key: str | None = None
    ) -> Changes:
        """Apply ``op`` to the core and persist its changes in one transaction.

        On any failure the core is rebuilt from the database, so memory never
        runs ahead of what is stored."""
        async with self._lock:
            await self._ensure_loaded()
            now = utcnow()
            started = time.perf_counter()
            try:
                changes = op(now)
                if not changes.empty or batch_key is not None:
                    await self._persist(changes, now, batch_key)
            except Exception:
                self._loaded = False
                raise
            self._after_commit(changes)
            await self._invalidate(changes)
            self.metrics.batch_seconds.observe(time.perf_counter() - started, tags=self.tags)
            return changes

    async def _persist(self, changes: Changes, now: datetime, batch_key: str | None) -> None:
        async with self.engine.begin() as conn:
            if batch_key is not None:
                await batches.save_batch(
                    conn,
                    tenant_id=self.tenant_id,
                    client_id=self.client_id,
                    batch_key=batch_key,
                    report=self._report(changes),
                    now=now,
                )
            # Updates first: a resolved alert frees its dedup key for a new one.
            await alerts.update_alerts(conn, list(changes.updated.values()))
            await alerts.insert_alerts(conn, changes.ingest.inserted)
            await alerts.apply_folds(conn, list(changes.ingest.folded.values()))
            await audit.append_audit(conn, changes.audit)
            if changes.state_changed:
                await live_state.save_live_state(
                    conn,
                    tenant_id=self.tenant_id,
                    client_id=self.client_id,
                    state=self.core.state.to_dict(),
                    now=now,
                )

    async def _invalidate(self, changes: Changes) -> None:
        """Bump this client's version in Redis so no cached read (overview,
        dashboard) outlives a committed alert change. Best effort: the
        entries' TTLs bound staleness if Redis is down."""
        if self.redis is None:
            return
        if not (changes.ingest.inserted or changes.ingest.folded or changes.updated):
            return
        try:
            await self.redis.incr(cache_keys.version_key(self.tenant_id, self.client_id))
        except Exception as err:  # noqa: BLE001 - the cache must never fail a write
            log.warning("could not invalidate the read cache: %s", err)

    def _after_commit(self, changes: Changes) -> None:
        self.timer.cancel(changes.cancel)
        self.timer.arm(changes.arm)
        self.hub.publish(changes.events)
        items = changes.ingest.items
        if items:
            self.metrics.ingested.inc(len(items), tags=self.tags)
            for outcome, counter in (
                (Outcome.CREATED, self.metrics.created),
                (Outcome.FOLDED, self.metrics.folded),
                (Outcome.SUPPRESSED, self.metrics.suppressed),
            ):
                n = changes.ingest.count(outcome)
                if n:
                    counter.inc(n, tags=self.tags)
        if items or changes.updated:
            self._gauge_open()

    def _gauge_open(self) -> None:
        counts = {s: 0 for s in ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")}
        for a in self.core.book.open_alerts():
            counts[a.severity.value] += 1
        for sev, n in counts.items():
            self.metrics.open_alerts.set(n, tags={**self.tags, "severity": sev})

    @staticmethod
    def _report(changes: Changes) -> dict[str, Any]:
        return {
            "items": [
                {
                    "index": i.index,
                    "outcome": i.outcome.value,
                    "alert_id": i.alert_id,
                    "dedup_key": i.dedup_key,
                    "reason": i.reason,
                }
                for i in changes.ingest.items
            ],
            "created": changes.ingest.count(Outcome.CREATED),
            "folded": changes.ingest.count(Outcome.FOLDED),
            "suppressed": changes.ingest.count(Outcome.SUPPRESSED),
            "resolved": sum(
                1 for a in changes.updated.values() if a.status is AlertStatus.RESOLVED
            ),
        }

    # --- ingest -------------------------------------------------------------------

    async def ingest_alerts(
        self, drafts: Sequence[AlertDraft], batch_key: str | None = None
    ) -> dict[str, Any]:
        """One batch of alert drafts: one call, one transaction."""
        return await self._ingest(lambda now: self.core.ingest_alerts(drafts, now), batch_key)

    async def ingest_events(
        self, events: Sequence[AnyEvent], batch_key: str | None = None
    ) -> dict[str, Any]:
        """One batch of platform events through the rules."""
        return await self._ingest(lambda now: self.core.ingest_events(events, now), batch_key)

    async def _ingest(
        self, op: Callable[[datetime], Changes], batch_key: str | None
    ) -> dict[str, Any]:
        """Apply a batch; with a ``batch_key`` at most once: the answer is
        stored with the batch, and a retry gets it back (``replayed``)."""
        if batch_key is None:
            return self._report(await self._run(op))
        stored = await self._stored_batch(batch_key)
        if stored is not None:
            return stored
        try:
            return self._report(await self._run(op, batch_key))
        except IntegrityError:
            stored = await self._stored_batch(batch_key)  # a concurrent retry won
            if stored is None:
                raise
            return stored

    async def _stored_batch(self, batch_key: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            stored = await batches.get_batch(conn, client_id=self.client_id, batch_key=batch_key)
        return None if stored is None else {**stored, "replayed": True}

    async def resolve_keys(self, keys: Sequence[str], by: str | None = None) -> list[str]:
        """Resolve open alerts by dedup key (an integration said 'resolved');
        returns the keys that had an open alert."""

        def op(now: datetime) -> Changes:
            ids = [a.id for k in keys if (a := self.core.book.open_for_key(k)) is not None]
            return self.core.resolve(ids, by, now, "resolved by source")

        changes = await self._run(op)
        return [a.dedup_key for a in changes.updated.values()]

    async def tick(self) -> dict[str, Any]:
        """Clock-driven rules (also run by the periodic loop)."""
        return self._report(await self._run(self.core.tick))

    # --- transitions --------------------------------------------------------------

    async def transition(
        self,
        action: str,
        alert_ids: Sequence[str],
        user_id: str,
        *,
        assignee: str | None = None,
        notes: str | None = None,
        source_ip: str | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """Acknowledge / assign / escalate / resolve alerts of this client.

        Returns ``{"done": [alert...], "errors": {alert_id: error}}``: each
        alert succeeds or fails on its own, the successes are committed."""
        if action not in ("acknowledge", "assign", "escalate", "resolve"):
            raise ValueError(f"unknown action {action!r}")
        ctx = {"source_ip": source_ip, "correlation_id": correlation_id}
        errors: dict[str, Exception] = {}

        def one(aid: str, now: datetime) -> Changes:
            if action == "acknowledge":
                return self.core.acknowledge([aid], user_id, now, **ctx)
            if action == "assign":
                return self.core.assign([aid], assignee or user_id, user_id, now, **ctx)
            if action == "escalate":
                return self.core.escalate([aid], user_id, now, **ctx)
            return self.core.resolve([aid], user_id, now, notes, **ctx)

        def op(now: datetime) -> Changes:
            total = Changes()
            for aid in dict.fromkeys(alert_ids):
                try:
                    total.merge(one(aid, now))
                except (InvalidTransition, NotFound) as err:
                    errors[aid] = err
            return total

        changes = await self._run(op)
        await self._explain_missing(errors, action)
        return {
            "done": [a.to_json() for a in changes.updated.values()],
            "errors": errors,
        }

    async def _explain_missing(self, errors: dict[str, Exception], action: str) -> None:
        """An id not in the book is either closed (409) or not ours (404)."""
        missing = [aid for aid, e in errors.items() if isinstance(e, NotFound)]
        if not missing:
            return
        async with self.engine.connect() as conn:
            rows = await alert_queries.get_alerts(conn, tenant_id=self.tenant_id, alert_ids=missing)
        for alert in rows:
            if alert.client_id == self.client_id:
                errors[alert.id] = InvalidTransition(alert.id, alert.status.value, action)

    async def escalate_due(self, deadline: Deadline) -> bool:
        """The timer's call at a deadline. Claims the level in the database
        (fencing token) and escalates in the same transaction; True if it
        fired, False if it was stale, acknowledged or already fired."""
        async with self._lock:
            await self._ensure_loaded()
            alert = self.core.book.open_for_id(deadline.alert_id)
            if alert is None or not alert.awaiting_ack:
                return False
            if alert.escalation_level != deadline.level - 1:
                return False
            now = utcnow()
            try:
                async with self.engine.begin() as conn:
                    claimed = await alerts.claim_escalation(
                        conn, alert_id=alert.id, level=deadline.level, tenant_id=self.tenant_id
                    )
                    if not claimed:
                        changes = None
                    else:
                        changes = self.core.escalate_due(deadline, now)
                        await alerts.update_alerts(conn, list(changes.updated.values()))
                        await audit.append_audit(conn, changes.audit)
            except Exception:
                self._loaded = False
                raise
            if changes is None:
                # Someone else fired it (an earlier incarnation): re-read.
                self._loaded = False
                return False
            self._after_commit(changes)
            await self._invalidate(changes)
            self.metrics.escalated.inc(1, tags=self.tags)
            return True

    # --- backpressure, maintenance ------------------------------------------------

    async def set_backlog(self, others: int, forced: bool) -> None:
        """The controller's view of the tenant: NEW INFO/LOW alerts of the
        other clients, and whether the tenant is held at CRITICAL."""
        self.core.backlog = TenantBacklog(others, forced)

    async def sweep(self, alert_ids: Sequence[str]) -> int:
        changes = await self._run(lambda now: self.core.sweep(alert_ids, now))
        return len(changes.updated)

    # --- snapshots ----------------------------------------------------------------

    async def take_snapshot(self) -> dict[str, Any] | None:
        """Compute and store the snapshot of the last interval; None when the
        client is disabled or under full maintenance."""
        async with self._lock:
            await self._ensure_loaded()
            now = utcnow()
            if not self.enabled or self.core.under_full_maintenance(now):
                return None
            start = now - timedelta(seconds=self.settings.snapshot_interval_s)
            snap = self.core.snapshot(start, now, now)
        metrics = snap.to_dict()
        row = {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "window_start": start,
            "window_end": now,
            "metrics": _jsonable(metrics),
        }
        async with self.engine.begin() as conn:
            await snapshots.insert_snapshots(conn, [row], now=now)
        self.hub.publish(
            [
                {
                    "type": "metrics_update",
                    "tenant_id": self.tenant_id,
                    "client_id": self.client_id,
                    "site_id": None,
                    "metrics": row["metrics"],
                }
            ]
        )
        return row["metrics"]

    # --- status -------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        return {
            "kind": "aggregator",
            "pid": os.getpid(),
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "loaded": self._loaded,
            "enabled": self.enabled,
            "open_alerts": len(self.core.book),
            "shed_info": self.core.shedding(),
            "new_info_low": self.core.new_info_low(),
            "started_at": self.started_at,
            "restarted": self.restarted,
            "load_seconds": self.load_seconds,
            "jobs": [self.clock_loop.status(), self.snapshot_loop.status()],
        }


def _redis(url: str | None) -> Any:
    if not url:
        return None
    import redis.asyncio as redis

    return redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
