"""EscalationTimer actor (``noc:escalation-timer``): a heap of deadlines.

Owns: the ``EscalationSchedule`` (at most one pending deadline per alert).
At a deadline it asks the owning aggregator to escalate — the aggregator owns
alert state and claims the level with the fencing token, so a deadline handed
over twice (restart, retry) still fires once.

Hard state: none of its own; pending escalations are derived from the
alerts table (open, never acknowledged) and rebuilt on every start.
Soft state: the heap, lag figures.
Idempotent calls: ``arm`` (replaces the alert's deadline), ``cancel``,
``status`` — Ray may retry them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import ray

from noc_actors.actors.metrics import TimerMetrics
from noc_actors.actors.peers import AggregatorsPeer
from noc_actors.actors.process import ActorProcess
from noc_actors.actors.status import TimerStatus
from noc_actors.domain.escalation import Deadline, EscalationSchedule, pending_deadline
from noc_actors.settings import Settings
from noc_actors.store.outage import storage_outage
from noc_actors.store.repos import alert_queries, tenants
from noc_actors.store.tenancy import tenant_policy

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=2)
REARM_RETRY_S = 30.0
"""How often a tenant whose escalations could not be re-armed is tried again."""
MAX_SLEEP_S = 1.0
RECENT_FIRINGS = 100
"""Firings whose lag `status` summarises."""


class TenantsNotArmed(RuntimeError):
    """These tenants' pending escalations could not be re-armed (the others
    were)."""

    def __init__(self, tenant_ids: list[str]) -> None:
        self.tenant_ids = tenant_ids
        super().__init__(f"escalations of {len(tenant_ids)} tenants not re-armed: {tenant_ids}")


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class EscalationTimer:
    """Ray actor around ``EscalationSchedule``: hands each due deadline to the
    aggregator that owns the alert (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.proc = ActorProcess.start(settings)
        self.schedule = EscalationSchedule()
        self.aggregators = AggregatorsPeer(settings.ray_namespace)
        self.metrics = TimerMetrics()
        self.fired = 0
        self.failures = 0
        self.last_lag_s: float | None = None
        self.max_lag_s = 0.0
        self.recent_lags: deque[float] = deque(maxlen=RECENT_FIRINGS)
        self.rebuilt = 0
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[Any]] = set()
        self.armed = False
        self.armed_tenants: set[str] = set()
        self._retry_at = 0.0
        self._arming = asyncio.Lock()
        # Ray runs an async actor's constructor in its event loop: the timer
        # starts its loop (which re-arms from the database first) here, not
        # on its first call — after a restart there may be none for a while.
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="timer")

    async def _ensure_started(self) -> None:
        """Re-arm from the database now if the loop has not done it yet
        (raises while the database is down; the loop keeps trying — a tenant
        that failed alone, every ``REARM_RETRY_S``)."""
        if self.armed or time.monotonic() < self._retry_at:
            return
        async with self._arming:
            if not self.armed:
                try:
                    await self._rebuild()
                except TenantsNotArmed:
                    self._retry_at = time.monotonic() + REARM_RETRY_S
                    raise
                except Exception:  # the database: try again soon, not every tick
                    self._retry_at = time.monotonic() + RETRY_AFTER.total_seconds()
                    raise
                self.armed = True

    async def _rebuild(self) -> None:
        """Re-arm every pending escalation from the database, tenant by
        tenant: one tenant that fails (its stored policy no longer valid)
        does not keep the others' escalations from being armed — they are
        armed at once, and the failed tenants are tried again every
        ``REARM_RETRY_S`` (the timer stays unhealthy until they are)."""
        async with self.proc.engine.connect() as conn:
            found = [t["id"] for t in await tenants.list_tenants(conn)]
        todo = [t for t in found if t not in self.armed_tenants]
        failed: list[str] = []
        for tid in todo:
            try:
                async with self.proc.engine.connect() as conn:
                    policy = await tenant_policy(conn, tid, self.proc.settings.policy)
                    pending = await alert_queries.list_pending_escalations(conn, tenant_id=tid)
            except Exception as err:
                if storage_outage(err):
                    raise
                failed.append(tid)
                log.warning("escalations of tenant %s not re-armed: %r", tid, err)
                continue
            for alert in pending:
                d = pending_deadline(alert, policy)
                if d is not None and d.alert_id not in self.schedule:
                    self.schedule.push(d)
                    self.rebuilt += 1
            self.armed_tenants.add(tid)
        self._wake.set()
        if failed:
            raise TenantsNotArmed(failed)

    async def ready(self) -> bool:
        """Re-armed from the database (raises while it is down). A tenant
        that could not be re-armed alone does not keep the system from
        starting: the loop tries it again, and health shows the timer
        unhealthy (``armed`` false) meanwhile."""
        with contextlib.suppress(TenantsNotArmed):
            await self._ensure_started()
        return True

    async def arm(self, deadlines: Sequence[Deadline]) -> int:
        """Arm (or replace) deadlines. Before the loop has re-armed from the
        database too: re-arming keeps what is here, and a deadline that is
        stale by the time it fires (acknowledged, cancelled) is refused by the
        aggregator's fencing token."""
        for d in deadlines:
            current = self.schedule.get(d.alert_id)
            if current is None or current.level <= d.level:
                self.schedule.push(d)
        self._wake.set()
        return len(self.schedule)

    async def cancel(self, alert_ids: Sequence[str]) -> int:
        return sum(self.schedule.cancel(a) for a in alert_ids)

    async def _loop(self) -> None:
        while True:
            try:
                await self._ensure_started()
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop must live
                self.failures += 1
                log.exception("escalation timer step failed")
                await asyncio.sleep(0.5)

    async def _step(self) -> None:
        now = self.proc.clock.now()
        due: dict[str, list[Deadline]] = {}
        for d in self.schedule.pop_due(now):
            lag = (now - d.due_at).total_seconds()
            self.last_lag_s = lag
            self.max_lag_s = max(self.max_lag_s, lag)
            self.recent_lags.append(lag)
            self.metrics.lag.set(lag)
            due.setdefault(d.client_id, []).append(d)
        for client_id, deadlines in due.items():  # one call per client per tick
            task = asyncio.get_running_loop().create_task(self._fire(client_id, deadlines))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        self.metrics.pending.set(len(self.schedule))
        next_at = self.schedule.next_due_at()
        delay = MAX_SLEEP_S
        if next_at is not None:
            delay = min(delay, max(0.0, (next_at - self.proc.clock.now()).total_seconds()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _fire(self, client_id: str, deadlines: list[Deadline]) -> None:
        """Hand a client's due deadlines to its aggregator in one call; on a
        failure re-arm them a little later (the fencing token keeps each
        level firing once, however often it is handed over)."""
        try:
            await self.aggregators.escalate_all_due(client_id, deadlines)
            self.fired += len(deadlines)
            self.metrics.fired.inc(len(deadlines))
        except Exception as err:  # noqa: BLE001 - retry later, the fence keeps it once
            self.failures += 1
            log.warning(
                "escalation of %d deadlines of %s failed, retrying: %s",
                len(deadlines),
                client_id,
                err,
            )
            retry_at = self.proc.clock.now() + RETRY_AFTER
            for d in deadlines:
                if d.alert_id not in self.schedule:
                    self.schedule.push(
                        Deadline(retry_at, d.alert_id, d.level, d.client_id, d.tenant_id)
                    )
            self._wake.set()

    async def status(self) -> TimerStatus:
        nxt = self.schedule.next_due_at()
        overdue = 0.0 if nxt is None else (self.proc.clock.now() - nxt).total_seconds()
        lags = sorted(self.recent_lags)
        return {
            "kind": "timer",
            "pending": len(self.schedule),
            "next_due_at": nxt.isoformat() if nxt else None,
            "fired": self.fired,
            "failures": self.failures,
            "last_lag_s": self.last_lag_s,
            "max_lag_s": self.max_lag_s,
            "recent_lag_p50_s": lags[len(lags) // 2] if lags else None,
            "recent_lag_max_s": lags[-1] if lags else None,
            "oldest_overdue_s": max(0.0, overdue),
            "rebuilt": self.rebuilt,
            "armed": self.armed,
            "started_at": self.proc.started_at,
            "restarted": self.proc.restarted,
        }
