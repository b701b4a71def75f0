"""``ClientRuntime``: one client's aggregate, hostable by any process.

Owns: the client's ``ClientAggregate`` (the pure core), the asyncio lock that
serialises every operation on it, its single write path ``_run``, and its
periodic loops (clock rules, metric snapshot). Everything else comes in
through ``ports``: the store, the hub, the timer, the read-cache invalidator,
the clock and the metrics sink. Nothing here assumes it is alone in its
process — no module state, no process-wide objects of its own — so a host may
run one runtime (a dedicated aggregator actor) or many (a pool).

Hard state (in the store): the client's alerts and their escalation fences,
its live entity state, ingest batch answers, snapshots, and the configuration
the store loads (policy, windows, contacts). Every operation — ingest,
transitions, escalations, sweeps, snapshots — goes through ``_run`` and is
committed in one transaction before it answers: a returned call means stored.
After any failure the core is rebuilt from the store on the next call, so
memory never runs ahead of what is stored.
Soft state (rebuilt by ``_load``): the core's indexes, correlation memory and
suppressed-row memory; the tenant backlog pushed by the backpressure
controller (kept across reloads, re-pushed by the controller).

Idempotent calls (a host may retry them): ``status``, ``ready``, ``reload``,
``set_backlog``, ``escalate_due`` (the fencing token), ``sweep`` and
``take_snapshot`` (harmless to repeat), and ingest with a ``batch_key`` (the
answer is stored with the batch and replayed). Ingest without a key,
``resolve_keys`` and ``transition`` are not: a retry could count twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.backpressure import TenantBacklog
from noc_actors.domain.book import new_uuid
from noc_actors.domain.changes import Changes, IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import BackpressureLevel
from noc_actors.domain.errors import DomainError, InvalidTransition, NotFound, NotHosted
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.events import AnyEvent
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.transitions import ACTIONS, apply_transition
from noc_actors.runtime.effects import CommitEffects
from noc_actors.runtime.group_commit import GroupCommit, Pending
from noc_actors.runtime.load import LoadMeter
from noc_actors.runtime.loops import PeriodicLoop
from noc_actors.runtime.ports import (
    ClaimLost,
    ClientStore,
    Clock,
    Commit,
    DuplicateBatch,
    HubPort,
    Invalidator,
    MetricsSink,
    TimerPort,
)
from noc_actors.runtime.types import RuntimeOptions, RuntimeStatus, TransitionResult

Op = Callable[[ClientAggregate, datetime], Changes]


@dataclass(frozen=True, slots=True)
class Job:
    """One operation on the core, as the write path queues it."""

    op: Op
    batch_key: str | None = None


class ClientRuntime:
    """One client's core, lock, write path and loops; see the module docstring."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        defaults: TenantPolicy,
        store: ClientStore,
        hub: HubPort,
        timer: TimerPort,
        invalidator: Invalidator,
        clock: Clock,
        metrics: MetricsSink,
        options: RuntimeOptions | None = None,
        new_id: Callable[[], str] = new_uuid,
    ) -> None:
        self.tenant_id, self.client_id = tenant_id, client_id
        self.store, self.clock = store, clock
        self.options = options = options or RuntimeOptions()
        self.effects = CommitEffects(
            tenant_id, client_id, hub=hub, timer=timer, invalidator=invalidator, metrics=metrics
        )
        self._new_id = new_id
        self.core = ClientAggregate(tenant_id, client_id, defaults, new_id)
        self.started_at = clock.now().timestamp()
        self.load_seconds: float | None = None
        self.meter = LoadMeter(since=time.monotonic())
        self._loaded = False
        self._closed = False
        self._host = ""
        self._lock = asyncio.Lock()
        self._writes: GroupCommit[Job, Changes] = GroupCommit(
            self._apply, self._lock, self._forget, options.max_group
        )
        # Clock rules run as soon as the client is loaded (a restart may have
        # skipped some), then every interval.
        self.clock_loop = PeriodicLoop(
            "clock-rules", options.clock_rules_interval_s, self.tick, first_delay_s=0.0
        )
        self.snapshot_loop = PeriodicLoop(
            "snapshot", options.snapshot_interval_s, self.take_snapshot
        )

    @property
    def loaded(self) -> bool:
        return self._loaded

    # --- loading and loops ----------------------------------------------------------

    async def _load(self) -> None:
        """Rebuild the core from the store and re-arm its deadlines."""
        started = time.perf_counter()
        loaded = await self.store.load(self.tenant_id, self.client_id, self.clock.now())
        core = ClientAggregate(self.tenant_id, self.client_id, loaded.context.policy, self._new_id)
        core.backlog = self.core.backlog
        deadlines = core.restore(
            loaded.context, loaded.open_alerts, loaded.recent, loaded.live_state
        )
        self.core, self._loaded = core, True
        self.effects.loaded(deadlines, core.book)
        self.load_seconds = time.perf_counter() - started
        if self.options.run_loops:
            self.start()

    async def ready(self) -> bool:
        async with self._lock:
            if not self._loaded:
                await self._load()
        return True

    async def reload(self) -> bool:
        """Re-read policy, windows, contacts and alerts (after a config change)."""
        async with self._lock:
            await self._load()
        return True

    def start(self) -> None:
        """Start the periodic loops (idempotent; needs a running event loop)."""
        self.clock_loop.start()
        self.snapshot_loop.start()

    async def stop(self) -> None:
        await self.clock_loop.stop()
        await self.snapshot_loop.stop()

    async def close(self, host: str) -> None:
        """Leave this host: refuse new writes (``NotHosted``, so callers go
        to the client's next host), stop the loops, and return once every
        write accepted before is committed and answered."""
        self._closed, self._host = True, host
        await self.stop()
        await self._writes.drain()

    # --- the one write path ---------------------------------------------------------

    async def _run(self, op: Op, *, batch_key: str | None = None) -> Changes:
        """Apply ``op`` to the core and commit its changes (with the batch
        answer, and claiming the escalation levels they fire) — together with whatever other
        operations are pending, in one transaction (``group_commit``); then
        tell the timer, the hub, the read cache and the metrics. On any
        failure the runtime reloads before its next operation."""
        if self._closed:  # checked with no await before the submit: nothing slips in
            raise NotHosted(self._host, self.client_id)
        return await self._writes.submit(Job(op, batch_key))

    async def _apply(self, group: list[Pending[Job, Changes]]) -> None:
        """One transaction for the whole group, all or nothing; then answer."""
        if not self._loaded:
            await self._load()
        now = self.clock.now()
        started = time.perf_counter()
        cpu = time.thread_time()
        try:
            results = [p.job.op(self.core, now) for p in group]
            cpu = time.thread_time() - cpu  # the core's own work, not the commit's I/O
            merged = results[0]
            if len(results) > 1:
                merged = Changes()
                for changes in results:
                    merged.merge(changes)
            jobs = [p.job for p in group]
            batches = tuple(
                (j.batch_key, c.report()) for j, c in zip(jobs, results, strict=True) if j.batch_key
            )
            claims = tuple(merged.claims)
            if not merged.empty or batches:
                state = self.core.state.to_dict() if merged.state_changed else None
                await self.store.commit(
                    Commit(self.tenant_id, self.client_id, now, merged, batches, claims, state)
                )
        except Exception:
            self._loaded = False
            raise
        took = time.perf_counter() - started
        items = sum(len(c.ingest.items) for c in results)
        self.meter.record(time.monotonic(), items, took, cpu)
        await self.effects.committed(merged, self.core.book, took)
        for pending, changes in zip(group, results, strict=True):
            pending.resolve(changes)

    def _forget(self) -> None:
        self._loaded = False

    # --- ingest ---------------------------------------------------------------------

    async def ingest_alerts(
        self, drafts: Sequence[AlertDraft], batch_key: str | None = None
    ) -> IngestReport:
        """One batch of alert drafts: one commit."""
        return await self._ingest(lambda core, now: core.ingest_alerts(drafts, now), batch_key)

    async def ingest_events(
        self, events: Sequence[AnyEvent], batch_key: str | None = None
    ) -> IngestReport:
        """One batch of platform events through the rules: one commit."""
        return await self._ingest(lambda core, now: core.ingest_events(events, now), batch_key)

    async def _ingest(self, op: Op, batch_key: str | None) -> IngestReport:
        """With a ``batch_key`` at most once: the answer is stored with the
        batch, and a retry gets it back with ``"replayed": True``."""
        if batch_key is None:
            return (await self._run(op)).report()
        stored = await self._replay(batch_key)
        if stored is not None:
            return stored
        try:
            return (await self._run(op, batch_key=batch_key)).report()
        except DuplicateBatch:
            stored = await self._replay(batch_key)  # a concurrent retry won
            if stored is None:
                raise
            return stored

    async def _replay(self, batch_key: str) -> IngestReport | None:
        stored = await self.store.stored_batch(self.client_id, batch_key)
        if stored is not None:
            stored["replayed"] = True
        return stored

    async def resolve_keys(self, keys: Sequence[str], by: str | None = None) -> list[str]:
        """Resolve open alerts by dedup key (an integration said 'resolved');
        returns the keys that had an open alert."""

        def op(core: ClientAggregate, now: datetime) -> Changes:
            found = (core.book.open_for_key(k) for k in dict.fromkeys(keys))
            return core.resolve([a.id for a in found if a], by, now, "resolved by source")

        return [a.dedup_key for a in (await self._run(op)).updated.values()]

    async def tick(self) -> IngestReport:
        """Clock-driven rules (also run by the periodic loop)."""
        return (await self._run(lambda core, now: core.tick(now))).report()

    # --- transitions ----------------------------------------------------------------

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
        user_agent: str | None = None,
    ) -> TransitionResult:
        """Acknowledge / assign / escalate / resolve alerts of this client
        (``domain.transitions``). An id missing from the book is explained:
        closed (``InvalidTransition``, 409) or not this client's (``NotFound``)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        errors: dict[str, DomainError] = {}
        extra = {
            "assignee": assignee,
            "notes": notes,
            "source_ip": source_ip,
            "user_agent": user_agent,
        }

        def op(core: ClientAggregate, now: datetime) -> Changes:
            changes, refused = apply_transition(
                core, action, alert_ids, user_id, now, correlation_id=correlation_id, **extra
            )
            errors.update(refused)
            return changes

        changes = await self._run(op)
        missing = [aid for aid, err in errors.items() if isinstance(err, NotFound)]
        if missing:
            for alert in await self.store.alerts(self.tenant_id, missing):
                if alert.client_id == self.client_id:
                    errors[alert.id] = InvalidTransition(alert.id, alert.status.value, action)
        return {"done": [a.to_json() for a in changes.updated.values()], "errors": errors}

    async def escalate_due(self, deadline: Deadline) -> bool:
        """The timer's call at a deadline: True only if it fired now. The core
        says whether it is stale; the store claims the level (fencing token)
        in the escalation's own transaction, and a lost claim (an earlier
        incarnation fired it) reloads this runtime."""
        return (await self.escalate_all_due([deadline]))[0]

    async def escalate_all_due(self, deadlines: Sequence[Deadline]) -> list[bool]:
        """Many due deadlines of this client in one operation (one transaction
        claiming every level that fires); per deadline, whether it fired now.
        If any claim is lost, each deadline is tried on its own after a
        reload, so the others still fire, each exactly once."""
        try:
            changes = await self._run(lambda core, now: core.escalate_all_due(deadlines, now))
        except ClaimLost:
            if len(deadlines) == 1:
                return [False]
            return [await self.escalate_due(d) for d in deadlines]
        fired = {(d.alert_id, d.level) for d in changes.claims}
        answers = [(d.alert_id, d.level) in fired for d in deadlines]
        self.effects.escalated(sum(answers))
        return answers

    # --- backpressure and snapshots -------------------------------------------------

    def set_backlog(self, others: int, forced: bool) -> None:
        """The controller's view of the tenant: NEW INFO/LOW alerts of the
        other clients, and whether the tenant is held at CRITICAL."""
        self.core.backlog = TenantBacklog(others, forced)

    async def sweep(self, level: BackpressureLevel, limit: int) -> int:
        """Suppress up to ``limit`` stale NEW INFO alerts, oldest first."""
        changes = await self._run(lambda core, now: core.sweep_due(now, level, limit))
        return len(changes.updated)

    async def take_snapshot(self) -> dict[str, Any] | None:
        """Store and publish the snapshot of the last interval; None when the
        client is disabled or under full maintenance."""
        interval = timedelta(seconds=self.options.snapshot_interval_s)
        changes = await self._run(lambda core, now: core.take_snapshot(now, interval))
        return None if changes.snapshot is None else changes.snapshot.to_dict()

    def status(self) -> RuntimeStatus:
        return {
            "kind": "aggregator",
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "loaded": self._loaded,
            "enabled": self.core.enabled,
            "open_alerts": len(self.core.book),
            "shed_info": self.core.shedding(),
            "new_info_low": self.core.new_info_low(),
            "started_at": self.started_at,
            "load_seconds": self.load_seconds,
            "jobs": [self.clock_loop.status(), self.snapshot_loop.status()],
            "load": self.meter.figures(time.monotonic()),
        }
