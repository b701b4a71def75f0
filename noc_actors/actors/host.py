"""Client hosts: the actors that run clients' ``ClientRuntime``s
(``noc_actors.runtime``). One class, two placements (the supervisor decides,
``store.repos.placement`` remembers):

- a **pool** (``noc:pool:<n>``) runs many clients in one process — most
  clients are quiet, and a process per client costs ~126 MiB and a second
  to start;
- a **dedicated** host (``noc:aggregator:<client_id>``) runs one client
  alone, for a client loud enough to want its own process.

Every client stays a single writer with its own lock, deadlines and loops
(its runtime); what the runtimes of a host share are the process's real
collaborators: one database engine, one group commit across clients
(``SharedCommits``: the commits of every client pending at once go in one
transaction), one hub gateway sending once per event-loop turn
(``SharedHub``), one timer gateway behind a ``BufferedTimer``, one Redis
invalidator, the clock, one metrics object.

Calls name their client first. ``call_many`` runs several calls (for
several clients) in one actor call — the gateway (``NocClient``) sends
everything it has for a host in one event-loop turn that way — and answers
each with its value or its error, so one client's failure is only its own.

Hard state (database): the clients' data, and which clients live here
(``client_placement``). Soft state: the runtimes. A host starts its own
work: from its constructor, its ``load-clients`` loop finds the clients the
placement directory puts here and loads them (which starts their clock rules
and snapshots), at once and every ``HOST_LOAD_INTERVAL_S`` after (a client
that failed to load — database down — is tried again), so a host Ray
restarted runs its quiet clients' periodic work without waiting for a call
(the supervisor's ping also hands it its clients, with ``host``); a call for
a client not placed here
raises ``Unavailable``, so a stale route is dropped and asked again, and a
client never has two writers.
Idempotent calls: ``status``, ``host``, ``release``, ``reload``,
``incident_changed``,
``set_backlog``, ``escalate_all_due`` (fencing token), ``sweep``,
``take_snapshot``, and ingest with a ``batch_key``. Ingest without a key and
transitions are not retried by Ray (``max_task_retries=0``: a retry could
count a repeat twice).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import time
from collections.abc import Sequence
from typing import Any, Final, TypedDict

import ray

from noc_actors.actors import names
from noc_actors.actors.metrics import AggregatorMetrics
from noc_actors.actors.peers import HubPeer, TimerPeer
from noc_actors.actors.process import ActorProcess
from noc_actors.actors.read_cache import RedisInvalidator
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import BackpressureLevel
from noc_actors.domain.errors import DomainError, NotHosted
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.events import AnyEvent
from noc_actors.domain.incident import Incident
from noc_actors.runtime import ClientRuntime, RuntimeOptions, RuntimeStatus, TransitionResult
from noc_actors.runtime.client_runtime import IngestCall, ingest_together
from noc_actors.runtime.loops import LoopStatus, PeriodicLoop
from noc_actors.runtime.shared import TRANSACTIONS, SharedCommits, SharedHub
from noc_actors.runtime.timer_buffer import BufferedTimer
from noc_actors.settings import Settings
from noc_actors.store.client_store import SqlClientStore
from noc_actors.store.outage import as_unavailable
from noc_actors.store.repos import placement

log = logging.getLogger(__name__)


class AggregatorStatus(RuntimeStatus):
    """One client's runtime, as its host reports it."""

    pid: int
    restarted: bool
    host: str


class HostStatus(TypedDict):
    """A host as the supervisor sees it (its ping)."""

    kind: str
    """``pool`` or ``aggregator`` (dedicated)."""
    name: str
    clients: list[str]
    loaded: int
    """Clients whose state is in memory."""
    open_alerts: int
    """Open alerts of the loaded clients, together."""
    transactions: int
    """Shared transactions tried since start (commits grouped across clients)."""
    commits: int
    hub_messages: int
    pid: int
    started_at: float
    restarted: bool
    jobs: list[LoopStatus]
    """The host's own loop, and its clients' late loops (named
    ``<client_id>/<job>``)."""


HOST_LOAD_INTERVAL_S: Final = 5.0
"""How often a host looks for placed clients that are not loaded yet."""

Call = tuple[str, str, tuple[Any, ...], dict[str, Any]]
"""``(method, client_id, args, kwargs)`` of ``call_many``."""
Answer = tuple[bool, Any]
"""``(True, value)`` or ``(False, error)``."""

_JOINT: Final = {"ingest_alerts": "alerts", "ingest_events": "events"}
"""Calls ``call_many`` takes together across clients, and their kind."""

CLIENT_METHODS: Final = frozenset(
    {
        "reload",
        "incident_changed",
        "ingest_alerts",
        "ingest_events",
        "resolve_keys",
        "tick",
        "transition",
        "escalate_all_due",
        "set_backlog",
        "sweep",
        "take_snapshot",
        "status",
    }
)


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0)
class ClientHost:
    """Ray actor running the runtimes of the clients placed in it; see the
    module docstring."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.kind = "aggregator" if name.startswith(names.AGGREGATOR_PREFIX) else "pool"
        self.settings = settings
        self.proc = proc = ActorProcess.start(settings)
        ns = settings.ray_namespace
        # SQLite has one writer at a time: parallel transactions only wait.
        parallel = 1 if proc.engine.dialect.name == "sqlite" else TRANSACTIONS
        self.store = SharedCommits(
            SqlClientStore(proc.engine, settings.policy), transactions=parallel
        )
        self.hub = SharedHub(HubPeer(ns))
        self.timer = BufferedTimer(TimerPeer(ns), proc.clock)
        self.invalidator = RedisInvalidator(settings.redis_url)
        self.metrics = AggregatorMetrics(name)
        self.options = RuntimeOptions(settings.clock_rules_interval_s, settings.snapshot_interval_s)
        self.runtimes: dict[str, ClientRuntime] = {}
        self.leaving: set[str] = set()
        """Clients released from here (moved or disabled): not found again in
        the placement directory until the supervisor hosts them here again."""
        self._finding = asyncio.Lock()
        self.load_loop = PeriodicLoop(
            "load-clients", HOST_LOAD_INTERVAL_S, self.load_placed, first_delay_s=0.0
        )
        # Ray runs an async actor's constructor in its event loop: the host
        # starts its own work here, not on its first call (after a restart
        # there may be no call for a long time).
        self.load_loop.start()

    def __repr__(self) -> str:
        """What Ray's dashboard shows for this actor (taken once, at start):
        its role and, for a dedicated host, its client."""
        if self.kind == "aggregator":
            return (
                f"ClientHost(dedicated, client={self.name.removeprefix(names.AGGREGATOR_PREFIX)})"
            )
        return f"ClientHost(pool, {self.name}, up to {self.settings.pool_size} clients)"

    # --- which clients live here ------------------------------------------------

    def _add(self, client_id: str, tenant_id: str) -> ClientRuntime:
        runtime = self.runtimes.get(client_id)
        if runtime is None:
            runtime = ClientRuntime(
                tenant_id,
                client_id,
                defaults=self.settings.policy,
                store=self.store,
                hub=self.hub,
                timer=self.timer,
                invalidator=self.invalidator,
                clock=self.proc.clock,
                metrics=self.metrics,
                options=self.options,
            )
            self.runtimes[client_id] = runtime
        return runtime

    async def host(self, clients: Sequence[tuple[str, str]]) -> int:
        """Run these ``(client_id, tenant_id)`` here and load them now (the
        supervisor placed them); how many were new. One client that fails to
        load does not keep the others from loading (it tries again on its
        first call)."""
        new = [c for c, _ in clients if c not in self.runtimes]
        self.leaving.difference_update(c for c, _ in clients)
        runtimes = [self._add(c, t) for c, t in clients]
        loaded = await asyncio.gather(*(r.ready() for r in runtimes), return_exceptions=True)
        for runtime, outcome in zip(runtimes, loaded, strict=True):
            if isinstance(outcome, BaseException):  # it loads again on its first call
                log.warning("client %s did not load: %r", runtime.client_id, outcome)
        return len(new)

    async def release(self, client_ids: Sequence[str]) -> int:
        """Stop running these clients (disabled, or moving to another host):
        calls for them are refused at once (``NotHosted``), their loops stop,
        and this returns once every write they accepted is committed; their
        memory goes, what they stored stays. How many were running."""
        self.leaving.update(client_ids)
        gone = [self.runtimes.pop(c) for c in client_ids if c in self.runtimes]
        await asyncio.gather(*(r.close(self.name) for r in gone))
        return len(gone)

    def _jobs(self) -> list[LoopStatus]:
        jobs = [self.load_loop.status()]
        for client_id, runtime in self.runtimes.items():
            for job in runtime.jobs():
                if job["late"]:
                    named = job.copy()
                    named["name"] = f"{client_id}/{job['name']}"
                    jobs.append(named)
        return jobs

    async def load_placed(self) -> int:
        """Find the clients placed here and load those not loaded yet (their
        loops start with the load); how many loaded. Raises when one could
        not load, so the loop counts a failure and tries again."""
        await self._find()
        self.metrics.client_load(self.load())  # Ray's gauges, tagged by host
        waiting = [r for r in self.runtimes.values() if not r.loaded]
        loaded = await asyncio.gather(*(r.ready() for r in waiting), return_exceptions=True)
        failed = [
            (runtime.client_id, outcome)
            for runtime, outcome in zip(waiting, loaded, strict=True)
            if isinstance(outcome, BaseException)
        ]
        if failed:
            raise RuntimeError(
                f"{len(failed)} of {len(waiting)} clients did not load, first "
                f"{failed[0][0]}: {failed[0][1]!r}"
            )
        return len(waiting)

    async def _find(self) -> None:
        """Host every client the placement directory puts here."""
        async with self._finding:
            async with self.proc.engine.connect() as conn:
                placed = await placement.hosted_by(conn, self.name)
            for client_id, tenant_id in placed:
                if client_id not in self.leaving:
                    self._add(client_id, tenant_id)

    async def _runtime(self, client_id: str) -> ClientRuntime:
        runtime = self.runtimes.get(client_id)
        if runtime is None:
            await self._find()  # a restarted host finds its clients again
            runtime = self.runtimes.get(client_id)
            if runtime is None:
                raise NotHosted(self.name, client_id)
        return runtime

    # --- calls for one client -----------------------------------------------------

    async def reload(self, client_id: str) -> bool:
        return await (await self._runtime(client_id)).reload()

    async def incident_changed(self, client_id: str, incident: Incident) -> None:
        await (await self._runtime(client_id)).incident_changed(incident)

    async def ingest_alerts(
        self, client_id: str, drafts: Sequence[AlertDraft], batch_key: str | None = None
    ) -> IngestReport:
        return await (await self._runtime(client_id)).ingest_alerts(drafts, batch_key)

    async def ingest_events(
        self, client_id: str, events: Sequence[AnyEvent], batch_key: str | None = None
    ) -> IngestReport:
        return await (await self._runtime(client_id)).ingest_events(events, batch_key)

    async def resolve_keys(
        self, client_id: str, keys: Sequence[str], by: str | None = None
    ) -> list[str]:
        return await (await self._runtime(client_id)).resolve_keys(keys, by)

    async def tick(self, client_id: str) -> IngestReport:
        return await (await self._runtime(client_id)).tick()

    async def transition(
        self,
        client_id: str,
        action: str,
        alert_ids: Sequence[str],
        user_id: str,
        **ctx: Any,
    ) -> TransitionResult:
        """``ctx``: assignee, notes, source_ip, correlation_id, user_agent,
        shelve_minutes."""
        runtime = await self._runtime(client_id)
        return await runtime.transition(action, alert_ids, user_id, **ctx)

    async def escalate_all_due(self, client_id: str, deadlines: Sequence[Deadline]) -> list[bool]:
        return await (await self._runtime(client_id)).escalate_all_due(deadlines)

    async def set_backlog(self, client_id: str, others: int, forced: bool) -> None:
        (await self._runtime(client_id)).set_backlog(others, forced)

    async def sweep(self, client_id: str, level: BackpressureLevel, limit: int) -> int:
        return await (await self._runtime(client_id)).sweep(level, limit)

    async def take_snapshot(self, client_id: str) -> dict[str, Any] | None:
        return await (await self._runtime(client_id)).take_snapshot()

    def load(self) -> list[dict[str, Any]]:
        """Each client's load here (``noc status --load``): open alerts and
        the runtime's meter (items a minute, core CPU, p99 batch time)."""
        return [
            {
                "client_id": client_id,
                "tenant_id": runtime.tenant_id,
                "host": self.name,
                "open_alerts": len(runtime.core.book) if runtime.loaded else None,
                **runtime.meter.figures(time.monotonic()),
            }
            for client_id, runtime in sorted(self.runtimes.items())
        ]

    async def status(self, client_id: str | None = None) -> AggregatorStatus | HostStatus:
        """One client's runtime, or (None) the host itself."""
        if client_id is not None:
            runtime = await self._runtime(client_id)
            client: AggregatorStatus = {
                **runtime.status(),
                "pid": os.getpid(),
                "restarted": self.proc.restarted,
                "host": self.name,
            }
            return client
        return {
            "kind": self.kind,
            "name": self.name,
            "clients": sorted(self.runtimes),
            "loaded": sum(1 for r in self.runtimes.values() if r.loaded),
            "open_alerts": sum(len(r.core.book) for r in self.runtimes.values() if r.loaded),
            "transactions": self.store.transactions,
            "commits": self.store.commits,
            "hub_messages": self.hub.messages,
            "pid": os.getpid(),
            "started_at": self.proc.started_at,
            "restarted": self.proc.restarted,
            "jobs": self._jobs(),
        }

    # --- many calls at once ---------------------------------------------------------

    async def call_many(self, calls: Sequence[Call]) -> list[Answer]:
        """Run the calls concurrently and answer each with its value or its
        error. Ingest batches without a batch key go through as one
        operation for all their clients (``ingest_together``: one lock pass,
        one transaction, one cache bump); every other call runs in its
        client's runtime, grouped into shared transactions."""
        answers: list[Answer | None] = [None] * len(calls)
        joint: list[tuple[int, IngestCall]] = []
        others: list[tuple[int, Call]] = []
        for i, call in enumerate(calls):
            method, client_id, args, kwargs = call
            kind = _JOINT.get(method)
            runtime = self.runtimes.get(client_id)
            if (
                kind
                and runtime is not None
                and not kwargs
                and (len(args) == 1 or args[1:] == (None,))
            ):
                joint.append((i, (runtime, kind, args[0])))
            else:
                others.append((i, call))

        async def together() -> None:
            if not joint:
                return
            reports = await ingest_together(
                [c for _, c in joint], self.store.commit_many, self.invalidator, self.metrics
            )
            for (i, _), report in zip(joint, reports, strict=True):
                answers[i] = (
                    (False, _portable(report)) if isinstance(report, Exception) else (True, report)
                )

        async def each(i: int, call: Call) -> None:
            answers[i] = await self._answer(*call)

        await asyncio.gather(together(), *(each(i, c) for i, c in others))
        return [a if a is not None else (False, RuntimeError("no answer")) for a in answers]

    async def call_one(self, call: Call) -> Answer:
        """One call, answered as ``call_many`` answers each: its value, or
        its error made portable (a database outage as ``StorageUnavailable``,
        not the driver's error wrapped by Ray, which would be a 500)."""
        return await self._answer(*call)

    async def _answer(
        self, method: str, client_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Answer:
        if method not in CLIENT_METHODS:
            return False, ValueError(f"{method!r} is not a client call")
        try:
            return True, await getattr(self, method)(client_id, *args, **kwargs)
        except Exception as err:  # noqa: BLE001 - answered to its own caller
            return False, _portable(err)


def _portable(err: Exception) -> Exception:
    """``err`` if it survives pickling (domain errors do), else a
    ``RuntimeError`` with its text — an answer must reach the caller. A
    database outage becomes ``StorageUnavailable`` (503, retry)."""
    if isinstance(err, DomainError):
        return err
    outage = as_unavailable(err)
    if outage is not None:
        return outage
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # noqa: BLE001 - any pickling failure
        log.warning("an error of %s could not be pickled: %r", type(err).__name__, err)
        return RuntimeError(f"{type(err).__name__}: {err}")
    return err
