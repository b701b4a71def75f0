"""ClientAggregator actor (``noc:aggregator:<client_id>``): a dedicated host
for one client's ``ClientRuntime`` (``noc_actors.runtime``).

Owns: one runtime, built in the constructor with the process's real
collaborators — the SQL store on the actor's engine, the hub gateway, the
timer gateway behind a ``BufferedTimer`` (far deadlines sent once a second,
not per commit), the Redis invalidator, the system clock, one metrics object.
Every method converts one call; the runtime holds the client's state, its
lock, its single write path and its loops (clock rules, 5-minute snapshot).

Hard state (database): alerts, live entity state, windows, policies, batch
answers, snapshots — a returned call means committed. Soft state: everything
in the runtime, rebuilt from the database on start and after any failure.
Idempotent calls: ``status``, ``ready``, ``reload``, ``set_backlog``,
``escalate_all_due`` (fencing token), ``sweep``, ``take_snapshot``, and ingest with
a ``batch_key``. Ingest without a key and transitions are not retried by Ray
(``max_task_retries=0``: a retry could count a repeat twice).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import ray

from noc_actors.actors.metrics import AggregatorMetrics
from noc_actors.actors.peers import HubPeer, TimerPeer
from noc_actors.actors.process import ActorProcess
from noc_actors.actors.read_cache import RedisInvalidator
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import BackpressureLevel
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.events import AnyEvent
from noc_actors.runtime import ClientRuntime, RuntimeOptions, RuntimeStatus, TransitionResult
from noc_actors.runtime.timer_buffer import BufferedTimer
from noc_actors.settings import Settings
from noc_actors.store.client_store import SqlClientStore


class AggregatorStatus(RuntimeStatus):
    pid: int
    restarted: bool


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class ClientAggregator:
    """Ray actor around one ``ClientRuntime``; see the module docstring."""

    def __init__(self, tenant_id: str, client_id: str, settings: Settings) -> None:
        self.proc = ActorProcess.start(settings)
        ns = settings.ray_namespace
        self.runtime = ClientRuntime(
            tenant_id,
            client_id,
            defaults=settings.policy,
            store=SqlClientStore(self.proc.engine, settings.policy),
            hub=HubPeer(ns),
            timer=BufferedTimer(TimerPeer(ns), self.proc.clock),
            invalidator=RedisInvalidator(settings.redis_url),
            clock=self.proc.clock,
            metrics=AggregatorMetrics(),
            options=RuntimeOptions(settings.clock_rules_interval_s, settings.snapshot_interval_s),
        )

    async def ready(self) -> bool:
        return await self.runtime.ready()

    async def reload(self) -> bool:
        return await self.runtime.reload()

    async def ingest_alerts(
        self, drafts: Sequence[AlertDraft], batch_key: str | None = None
    ) -> IngestReport:
        return await self.runtime.ingest_alerts(drafts, batch_key)

    async def ingest_events(
        self, events: Sequence[AnyEvent], batch_key: str | None = None
    ) -> IngestReport:
        return await self.runtime.ingest_events(events, batch_key)

    async def resolve_keys(self, keys: Sequence[str], by: str | None = None) -> list[str]:
        return await self.runtime.resolve_keys(keys, by)

    async def tick(self) -> IngestReport:
        return await self.runtime.tick()

    async def transition(
        self, action: str, alert_ids: Sequence[str], user_id: str, **ctx: str | None
    ) -> TransitionResult:
        """``ctx``: assignee, notes, source_ip, correlation_id."""
        return await self.runtime.transition(action, alert_ids, user_id, **ctx)

    async def escalate_all_due(self, deadlines: Sequence[Deadline]) -> list[bool]:
        return await self.runtime.escalate_all_due(deadlines)

    async def set_backlog(self, others: int, forced: bool) -> None:
        self.runtime.set_backlog(others, forced)

    async def sweep(self, level: BackpressureLevel, limit: int) -> int:
        return await self.runtime.sweep(level, limit)

    async def take_snapshot(self) -> dict[str, Any] | None:
        return await self.runtime.take_snapshot()

    async def status(self) -> AggregatorStatus:
        return {**self.runtime.status(), "pid": os.getpid(), "restarted": self.proc.restarted}
