"""BackpressureController actor (``noc:backpressure``).

Owns: the backpressure level per tenant (``LevelTracker``) and the ingest
queue depths reported by the Serve replicas.
Every ``backpressure_check_interval_s`` it counts NEW INFO/LOW alerts per
tenant, decides the level, publishes a ``backpressure`` event on a change,
and tells each aggregator how many NEW INFO/LOW alerts the *other* clients
of its tenant hold: the aggregator adds its own live count and sheds new
INFO alerts exactly at the threshold. Every ``backpressure_sweep_interval_s``
(1 minute) it tells the aggregators of every tenant above NORMAL to sweep:
each moves its own NEW INFO alerts older than the sweep age to SUPPRESSED,
oldest first (``backpressure.sweep_candidates``), at most ``SWEEP_PAGE`` a run.

Hard state: none (levels are derived from the alerts table).
Soft state: levels, queue reports. Idempotent calls: all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import ray

from noc_actors.actors.metrics import BackpressureMetrics
from noc_actors.actors.peers import AggregatorsPeer, HubPeer
from noc_actors.actors.process import ActorProcess
from noc_actors.domain.backpressure import LevelChange, LevelTracker
from noc_actors.domain.enums import BackpressureLevel
from noc_actors.domain.policy import TenantPolicy
from noc_actors.runtime.loops import PeriodicLoop
from noc_actors.settings import Settings
from noc_actors.store.outage import storage_outage
from noc_actors.store.repos import alert_queries, tenants
from noc_actors.store.tenancy import tenant_policy

log = logging.getLogger(__name__)

LEVEL_NUMBER = {
    BackpressureLevel.NORMAL: 0,
    BackpressureLevel.ELEVATED: 1,
    BackpressureLevel.CRITICAL: 2,
}
QUEUE_REPORT_TTL_S = 30.0
SWEEP_PAGE = 1000  # alerts one aggregator suppresses per sweep run, at most
REPUSH_S = 30.0


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class BackpressureController:
    """Ray actor around ``LevelTracker``; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.proc = ActorProcess.start(settings)
        self.tracker = LevelTracker()
        self.hub = HubPeer(settings.ray_namespace)
        self.aggregators = AggregatorsPeer(settings.ray_namespace)
        self.metrics = BackpressureMetrics()
        self.policies: dict[str, TenantPolicy] = {}
        self.queues: dict[str, tuple[int, int, float]] = {}
        self.swept_total = 0
        self.tenant_failures: dict[str, int] = {}
        """Checks that skipped a tenant (its stored policy no longer valid, …)."""
        # client -> ((others, forced), when pushed); re-pushed now and then so
        # a restarted aggregator (which starts with an empty view) catches up.
        self.pushed: dict[str, tuple[tuple[int, bool], float]] = {}
        self.check_loop = PeriodicLoop(
            "backpressure-check", settings.backpressure_check_interval_s, self.check
        )
        self.sweep_loop = PeriodicLoop(
            "backpressure-sweep", settings.backpressure_sweep_interval_s, self.sweep
        )
        # Ray runs an async actor's constructor in its event loop: the loops
        # start here, so a restarted controller checks and sweeps at once.
        self.check_loop.start()
        self.sweep_loop.start()

    async def ready(self) -> bool:
        self.check_loop.start()
        self.sweep_loop.start()
        return True

    def report_queue(self, replica_id: str, depth: int, capacity: int) -> dict[str, str]:
        """A Serve replica reports its ingest queue; answers the tenants' levels
        (those above NORMAL), so one call per beat serves the admission check."""
        self.queues[replica_id] = (depth, capacity, time.time())
        self.metrics.queue_depth.set(sum(d for d, _, _ in self._fresh_queues()))
        return self.levels()

    def _fresh_queues(self) -> list[tuple[int, int, float]]:
        cutoff = time.time() - QUEUE_REPORT_TTL_S
        return [q for q in self.queues.values() if q[2] >= cutoff]

    def _queue_full(self) -> bool:
        return any(depth >= capacity for depth, capacity, _ in self._fresh_queues())

    async def check(self) -> list[dict[str, Any]]:
        """Count, decide, announce level changes, and tell each aggregator
        the rest of its tenant's backlog (so it sheds exactly)."""
        now = self.proc.clock.now()
        per_client: dict[str, dict[str, int]] = {}
        async with self.proc.engine.connect() as conn:
            found = await tenants.list_tenants(conn)
        for tenant in found:  # one tenant's failure is its own (issue 11 item 4)
            tid = tenant["id"]
            try:
                async with self.proc.engine.connect() as conn:
                    self.policies[tid] = await tenant_policy(conn, tid, self.proc.settings.policy)
                    per_client[tid] = await alert_queries.count_new_info_low_by_client(
                        conn, tenant_id=tid
                    )
            except Exception as err:
                if storage_outage(err):
                    raise  # the database, not the tenant: the loop counts it
                self.tenant_failures[tid] = self.tenant_failures.get(tid, 0) + 1
                log.warning("backpressure check skipped tenant %s: %r", tid, err)
        counts = {tid: sum(by.values()) for tid, by in per_client.items()}
        changes = self.tracker.observe_all(
            counts,
            self._queue_full(),
            now,
            lambda t: self._policy(t).backpressure_threshold,
        )
        for tid, n in counts.items():
            self.metrics.new_info_low.set(n, tags={"tenant": tid})
            self.metrics.level.set(LEVEL_NUMBER[self.tracker.level(tid)], tags={"tenant": tid})
        for change in changes:
            self._announce(change)
        await self._push_backlogs(per_client)
        return [c.to_dict() for c in changes]

    async def _push_backlogs(self, per_client: dict[str, dict[str, int]]) -> None:
        """``set_backlog(others, forced)`` to every aggregator whose view changed."""
        views: dict[str, tuple[int, bool]] = {}
        for cid, tid in (await self.aggregators.directory()).items():
            by = per_client.get(tid, {})
            view = (
                sum(by.values()) - by.get(cid, 0),
                self.tracker.level(tid) is BackpressureLevel.CRITICAL,
            )
            last = self.pushed.get(cid)
            if last is None or last[0] != view or time.time() - last[1] >= REPUSH_S:
                views[cid] = view
        results = await asyncio.gather(
            *(self.aggregators.set_backlog(cid, *view) for cid, view in views.items()),
            return_exceptions=True,
        )
        for (cid, view), result in zip(views.items(), results, strict=True):
            if isinstance(result, BaseException):  # retried on the next check
                self.pushed.pop(cid, None)
                log.warning("could not tell %s its backlog: %s", cid, result)
            else:
                self.pushed[cid] = (view, time.time())

    def _policy(self, tenant_id: str) -> TenantPolicy:
        return self.policies.get(tenant_id, self.proc.settings.policy)

    def _announce(self, change: LevelChange) -> None:
        log.warning(
            "backpressure %s: %s -> %s (%d NEW INFO/LOW)",
            change.tenant_id,
            change.previous,
            change.level,
            change.new_info_low_count,
        )
        self.hub.publish([change.event()])

    async def sweep(self) -> int:
        """Tell the aggregators of every tenant above NORMAL to sweep (each
        picks its own stale NEW INFO alerts, oldest first)."""
        levels = self.tracker.snapshot()
        if not levels:
            return 0
        clients = [
            (cid, tid) for cid, tid in (await self.aggregators.directory()).items() if tid in levels
        ]
        results = await asyncio.gather(
            *(self.aggregators.sweep(cid, levels[tid], SWEEP_PAGE) for cid, tid in clients),
            return_exceptions=True,
        )
        moved = 0
        for (_, tid), n in zip(clients, results, strict=True):
            if isinstance(n, int) and n:
                moved += n
                self.metrics.swept.inc(n, tags={"tenant": tid})
        self.swept_total += moved
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:  # counted by the loop's guard; the next run sweeps again
            raise failed[0]
        return moved

    def level(self, tenant_id: str) -> BackpressureLevel:
        return self.tracker.level(tenant_id)

    def levels(self) -> dict[str, str]:
        return {t: lv.value for t, lv in self.tracker.snapshot().items()}

    def status(self) -> dict[str, Any]:
        return {
            "kind": "backpressure",
            "levels": self.levels(),
            "counts": {t: self.tracker.count(t) for t in self.policies},
            "queue_full": self._queue_full(),
            "swept_total": self.swept_total,
            "tenant_failures": dict(self.tenant_failures),
            "started_at": self.proc.started_at,
            "restarted": self.proc.restarted,
            "jobs": [self.check_loop.status(), self.sweep_loop.status()],
        }
