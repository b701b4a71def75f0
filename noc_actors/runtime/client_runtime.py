"""``ClientRuntime``: one client's aggregate, hostable by any process.

Owns: the client's ``ClientAggregate`` (the pure core), the asyncio lock that
serialises every operation on it, its write path ``_run``, and its periodic
loops (clock rules, metric snapshot). ``ingest_together`` is the one other
way in: a host's ingest batches for many clients at once, under each
runtime's lock, in one transaction (a request spread over many quiet
clients would otherwise pay a lock pass, a queue and a commit per client).
Everything else comes in through ``ports``: the store, the hub, the timer,
the read-cache invalidator, the clock and the metrics sink. Nothing here
assumes it is alone in its process — no module state, no process-wide
objects of its own — so a host may run one runtime (a dedicated aggregator
actor) or many (a pool).

Hard state (in the store): the client's alerts and their escalation fences,
its live entity state, ingest batch answers, snapshots, and the configuration
the store loads (policy, windows, contacts). Every operation — ingest,
transitions, escalations, sweeps, snapshots — goes through ``_run`` (or
``ingest_together``) under the lock and is committed in one transaction
before it answers: a returned call means stored.
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
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.backpressure import TenantBacklog
from noc_actors.domain.book import new_uuid
from noc_actors.domain.changes import Changes, IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, BackpressureLevel
from noc_actors.domain.errors import DomainError, InvalidTransition, NotFound, NotHosted
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.events import AnyEvent
from noc_actors.domain.incident import Incident
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.transitions import ACTIONS, apply_transition
from noc_actors.runtime.effects import CommitEffects, quietly
from noc_actors.runtime.group_commit import GroupCommit, Pending
from noc_actors.runtime.load import LoadMeter
from noc_actors.runtime.loops import LoopStatus, PeriodicLoop
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

log = logging.getLogger(__name__)

Op = Callable[[ClientAggregate, datetime], Changes]


@dataclass(frozen=True, slots=True)
class Applied:
    """Operations applied to a core, not yet stored: each one's changes,
    all of them merged, the commit (None: nothing to store) and the core's
    CPU seconds."""

    results: list[Changes]
    merged: Changes
    commit: Commit | None
    cpu: float


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
        self._heartbeat_wake: asyncio.TimerHandle | None = None
        self._heartbeat_at: datetime | None = None
        self._heartbeat_task: asyncio.Future[None] | None = None

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
            loaded.context,
            loaded.open_alerts,
            loaded.recent,
            loaded.live_state,
            loaded.incidents,
            loaded.inhibited,
        )
        self.core, self._loaded = core, True
        self.effects.loaded(deadlines, core.book)
        self.load_seconds = time.perf_counter() - started
        if self.options.run_loops:
            self.start()
            self._heartbeat_at = None  # a new core: watch its heartbeats afresh
            self._watch_heartbeats()

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
        if self._heartbeat_wake is not None:
            self._heartbeat_wake.cancel()
            self._heartbeat_wake, self._heartbeat_at = None, None

    def _watch_heartbeats(self) -> None:
        """Wake at the earliest heartbeat timeout (the clock tick would be
        late by up to its interval): a missed heartbeat is raised at once."""
        if not self.options.run_loops or self._closed or not self._loaded:
            return
        due = self.core.next_heartbeat_due()
        if due == self._heartbeat_at:
            return
        if self._heartbeat_wake is not None:
            self._heartbeat_wake.cancel()
            self._heartbeat_wake = None
        self._heartbeat_at = due
        if due is not None:
            delay = max(0.0, (due - self.clock.now()).total_seconds()) + 0.01
            self._heartbeat_wake = asyncio.get_running_loop().call_later(
                delay, self._start_heartbeat_check
            )

    def _start_heartbeat_check(self) -> None:
        self._heartbeat_task = asyncio.ensure_future(self._heartbeats_due())  # kept: not GC'd

    async def _heartbeats_due(self) -> None:
        self._heartbeat_wake, self._heartbeat_at = None, None
        try:
            await self._run(lambda core, now: core.check_heartbeats(now))
        except Exception as err:  # noqa: BLE001 - the clock loop checks again
            log.warning("client %s: heartbeat check failed: %s", self.client_id, err)
            return
        self._watch_heartbeats()

    async def close(self, host: str) -> None:
        """Leave this host: refuse new writes (``NotHosted``, so callers go
        to the client's next host), stop the loops, and return once every
        write accepted before is committed and answered."""
        self._closed, self._host = True, host
        await self.stop()
        await self._writes.drain()
        async with self._lock:  # an ingest taken together with other clients'
            pass

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
        try:
            applied = self._changes([p.job for p in group], now)
            if applied.commit is not None:
                await self.store.commit(applied.commit)
        except Exception:
            self._loaded = False
            raise
        await self._committed(applied, time.perf_counter() - started)
        for pending, changes in zip(group, applied.results, strict=True):
            pending.resolve(changes)

    def _changes(self, jobs: Sequence[Job], now: datetime) -> Applied:
        """Apply ``jobs`` to the core and say what to store (with the batch
        answers, and claiming the escalation levels they fire). The core has
        run ahead of the store when this returns: the caller commits, or
        forgets (``_loaded = False``) when the commit fails."""
        cpu = time.thread_time()
        results = [job.op(self.core, now) for job in jobs]
        cpu = time.thread_time() - cpu  # the core's own work, not the commit's I/O
        merged = results[0]
        if len(results) > 1:
            merged = Changes()
            for changes in results:
                merged.merge(changes)
        batches = tuple(
            (j.batch_key, c.report()) for j, c in zip(jobs, results, strict=True) if j.batch_key
        )
        commit = None
        if not merged.empty or batches:
            state = self.core.state.to_dict() if merged.state_changed else None
            commit = Commit(
                self.tenant_id, self.client_id, now, merged, batches, tuple(merged.claims), state
            )
        return Applied(results, merged, commit, cpu)

    async def _committed(self, applied: Applied, took: float) -> None:
        """After the commit: the load meter and the effects."""
        self._metered(applied, took, time.monotonic())
        await self.effects.committed(applied.merged, self.core.book, took)
        if applied.merged.state_changed:
            self._watch_heartbeats()

    def _committed_bumped(self, applied: Applied, took: float, at: float) -> None:
        """``_committed`` when the caller has bumped the read cache itself
        (for many clients at once); ``at``: ``time.monotonic()``."""
        self._metered(applied, took, at)
        self.effects.committed_bumped(applied.merged, self.core.book)
        if applied.merged.state_changed:
            self._watch_heartbeats()

    def _metered(self, applied: Applied, took: float, at: float) -> None:
        items = sum(len(c.ingest.items) for c in applied.results)
        self.meter.record(at, items, took, applied.cpu)

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

    def _ready_now(self) -> bool:
        """Free for an operation taken together with other clients'
        (``ingest_together``): loaded, still here, nothing queued or running."""
        return self._loaded and not self._closed and not self._lock.locked() and self._writes.idle

    async def _replay(self, batch_key: str) -> IngestReport | None:
        stored = await self.store.stored_batch(self.client_id, batch_key)
        if stored is not None:
            stored["replayed"] = True
        return stored

    async def resolve_keys(self, keys: Sequence[str], by: str | None = None) -> list[str]:
        """Resolve open alerts by dedup key (an integration said 'resolved');
        returns the keys whose alert resolved (a flapping one stays open)."""

        def op(core: ClientAggregate, now: datetime) -> Changes:
            return core.resolve_keys(keys, by, now)

        changed = (await self._run(op)).updated.values()
        return [a.dedup_key for a in changed if a.status is AlertStatus.RESOLVED]

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
        shelve_minutes: float | None = None,
    ) -> TransitionResult:
        """Acknowledge / assign / escalate / resolve alerts of this client
        (``domain.transitions``). An id missing from the book is explained:
        closed (``InvalidTransition``, 409) or not this client's (``NotFound``)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        errors: dict[str, DomainError] = {}
        extra: dict[str, Any] = {
            "assignee": assignee,
            "notes": notes,
            "source_ip": source_ip,
            "user_agent": user_agent,
            "shelve_minutes": shelve_minutes,
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

    async def incident_changed(self, incident: Incident) -> None:
        """An operator created or changed one of this client's incidents
        (the API stored it): the incident rule sees it from the next
        operation on. Before the client is loaded there is nothing to tell:
        the load reads it."""
        async with self._lock:
            if self._loaded:
                self.core.incident_changed(incident)

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
            "jobs": self.jobs(),
            "load": self.meter.figures(time.monotonic()),
        }

    def jobs(self) -> list[LoopStatus]:
        """The runtime's loops (clock rules, snapshots): all a host's health
        needs, without the load figures ``status`` computes."""
        return [self.clock_loop.status(), self.snapshot_loop.status()]


IngestCall = tuple[ClientRuntime, str, Sequence[Any]]
"""``(runtime, "alerts" | "events", items)`` for ``ingest_together``."""


def _ingest_op(kind: str, items: Sequence[Any]) -> Op:
    if kind == "alerts":
        return lambda core, now: core.ingest_alerts(items, now)
    if kind == "events":
        return lambda core, now: core.ingest_events(items, now)
    raise ValueError(f"unknown ingest kind {kind!r}")


async def ingest_together(
    calls: Sequence[IngestCall],
    commit_many: Callable[[Sequence[Commit]], Awaitable[None]],
    invalidator: Invalidator,
    metrics: MetricsSink,
) -> list[IngestReport | Exception]:
    """Ingest batches of several clients of one host as one operation: each
    runtime's lock taken, each core applied, one transaction for every
    client's commit (``commit_many``), one read-cache bump for all, then
    each runtime's effects — instead of a queue, a lock pass, a commit and
    a bump per client. A request spread over many quiet clients costs about
    what it costs on a few busy ones.

    Per call its report or its error, in order. A client that is busy
    (something queued or running), not loaded or leaving takes its own
    write path (``_run``) after the others, as does a second call for a
    client already in the group, so each client's operations keep their
    order. If the shared transaction fails, nothing of it was stored: every
    client of it forgets its memory and each call is applied again on its
    own path (which reloads first), so one client's refusal fails only its
    own call. Without batch keys (those go through ``ingest_alerts``)."""
    answers: list[IngestReport | Exception | None] = [None] * len(calls)
    together: list[tuple[int, ClientRuntime, Op]] = []
    alone: list[tuple[int, ClientRuntime, Op]] = []
    taken: set[int] = set()
    for i, (runtime, kind, items) in enumerate(calls):
        op = _ingest_op(kind, items)
        if id(runtime) not in taken and runtime._ready_now():
            taken.add(id(runtime))
            together.append((i, runtime, op))
        else:
            alone.append((i, runtime, op))
    retry = await _apply_together(together, commit_many, invalidator, metrics, answers)

    async def own_path(i: int, runtime: ClientRuntime, op: Op) -> None:
        try:
            answers[i] = (await runtime._run(op)).report()
        except Exception as err:  # noqa: BLE001 - answered to its own caller
            answers[i] = err

    await asyncio.gather(*(own_path(*call) for call in (*retry, *alone)))
    return [a if a is not None else RuntimeError("no answer") for a in answers]


async def _apply_together(
    together: list[tuple[int, ClientRuntime, Op]],
    commit_many: Callable[[Sequence[Commit]], Awaitable[None]],
    invalidator: Invalidator,
    metrics: MetricsSink,
    answers: list[IngestReport | Exception | None],
) -> list[tuple[int, ClientRuntime, Op]]:
    """The shared part of ``ingest_together``: answers what it stored, and
    returns the calls to apply again alone (its transaction failed)."""
    held: list[ClientRuntime] = []
    applied: list[tuple[int, ClientRuntime, Applied]] = []
    if not together:
        return []
    now = together[0][1].clock.now()  # one transaction, one instant (a host's clock)
    try:
        for i, runtime, op in together:
            await runtime._lock.acquire()  # free (checked just before): no wait
            held.append(runtime)
            try:
                applied.append((i, runtime, runtime._changes([Job(op)], now)))
            except Exception as err:  # noqa: BLE001 - this client's own error
                runtime._loaded = False
                answers[i] = err
        commits = [a.commit for _, _, a in applied if a.commit is not None]
        started = time.perf_counter()
        try:
            if commits:
                await commit_many(commits)
        except BaseException as err:
            for _, runtime, _ in applied:  # memory ran ahead: reload
                runtime._loaded = False
            if not isinstance(err, Exception):  # cancelled mid-commit
                raise
            log.info("%d clients' ingest failed together (%s); one by one", len(commits), err)
            failed = {i for i, _, _ in applied}
            return [call for call in together if call[0] in failed]
        took = time.perf_counter() - started
        changed = [
            (runtime.tenant_id, runtime.client_id)
            for _, runtime, a in applied
            if CommitEffects.stales_reads(a.merged)
        ]
        if changed:
            await quietly(invalidator.bump_many(changed))
        metrics.commit_seconds(took)
        at = time.monotonic()
        for i, runtime, a in applied:
            runtime._committed_bumped(a, took, at)
            answers[i] = a.results[0].report()
        return []
    finally:
        for runtime in held:
            runtime._lock.release()
