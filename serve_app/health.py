"""Health, in two depths.

- **Liveness** (``liveness``, public): ``{"status", "failing", "at"}`` —
  which components fail, by name, and nothing else (no ids, no counts, no
  error texts). Cheap: ``SELECT 1``, a cache ping, the supervisor's last
  watch (no actor is pinged for it), the timer's status and this replica;
  computed at most every ``LIVENESS_TTL_S`` per replica, concurrent probes
  sharing one computation.
- **Details** (``gather_health``, for a token with ``noc:configure`` — scoped
  to its tenant and visible clients — or the operator key, everything): every
  component as one typed document (``HealthBody``): the database and its
  alert queues, the read cache, the actors and their periodic jobs, the
  escalation timer's lag, the backpressure levels and this replica (its hub
  subscription, sockets and ingest queue). ``/metrics`` renders it for
  Prometheus (``serve_app.metrics_text``).

Status: ``healthy``; ``degraded`` when a component fails but the replica can
serve (Redis down: the cache falls back; an actor restarting; a late job) —
HTTP 200, a load balancer must keep the replica; ``unavailable`` when it
cannot (the database is unreachable) — HTTP 503.

Every check runs at once, each bounded by ``CHECK_TIMEOUT_S``; one that fails
or times out becomes ``{"ok": false, "error": ...}`` and names itself in
``failing`` — health always answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypedDict, TypeVar, final

from sqlalchemy import text

from noc_actors.actors.status import SupervisorHealth, TimerStatus
from noc_actors.runtime.loops import LoopStatus
from noc_actors.store.repos import reports
from serve_app.context import AppContext
from serve_app.ws.realtime import RealtimeStatus

CHECK_TIMEOUT_S = 3.0
CAN_SERVE_WITHOUT: frozenset[str] = frozenset(
    {"cache", "actors", "timer", "backpressure", "replica"}
)
"""Components whose failure leaves the replica able to serve (degraded, 200);
the database is not among them (503)."""
TIMER_BEHIND_S = 5.0
"""A deadline waiting this long past due makes the timer unhealthy."""
T = TypeVar("T")


@final
class Failed(TypedDict):
    """A component that could not be checked."""

    ok: bool
    error: str


@final
class QueueDepths(TypedDict):
    new_alerts: int
    unacknowledged_critical: int
    backlog_older_than_1h: int


@final
class DatabaseHealth(TypedDict):
    ok: bool
    latency_ms: float
    queues: QueueDepths


@final
class CacheHealth(TypedDict):
    ok: bool
    kind: Literal["redis", "in-process"]


@final
class ActorLine(TypedDict):
    name: str
    kind: str
    client_id: str | None
    clients: list[str]
    state: str
    restarts: int
    last_error: str | None


@final
class ActorsHealth(TypedDict):
    ok: bool
    actors: list[ActorLine]
    jobs: list[LoopStatus]


@final
class TimerHealth(TypedDict):
    ok: bool
    """No deadline has been waiting past its due time for more than
    ``TIMER_BEHIND_S`` (the timer keeps up now; a restart that fired
    deadlines due during its outage, late, does not count against it)."""
    pending: int
    fired: int
    failures: int
    last_lag_s: float | None
    max_lag_s: float
    recent_lag_p50_s: float | None
    recent_lag_max_s: float | None
    oldest_overdue_s: float
    armed: bool
    next_due_at: str | None


@final
class BackpressureHealth(TypedDict):
    ok: bool
    levels: dict[str, str]
    """Tenants above NORMAL."""


@final
class IngestQueue(TypedDict):
    depth: int
    capacity: int
    refused: int


@final
class ReplicaHealth(RealtimeStatus):
    ok: bool
    ingest_queue: IngestQueue


Part = (
    DatabaseHealth
    | CacheHealth
    | ActorsHealth
    | TimerHealth
    | BackpressureHealth
    | ReplicaHealth
    | Failed
)


@final
class Components(TypedDict):
    database: DatabaseHealth | Failed
    cache: CacheHealth | Failed
    actors: ActorsHealth | Failed
    timer: TimerHealth | Failed
    backpressure: BackpressureHealth | Failed
    replica: ReplicaHealth | Failed


Status = Literal["healthy", "degraded", "unavailable"]


@final
class HealthBody(TypedDict):
    status: Status
    failing: list[str]
    components: Components
    at: str


@final
class Liveness(TypedDict):
    """The public answer: which components fail, by name only."""

    status: Status
    failing: list[str]
    at: str


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads the details: one tenant's configurer (its visible clients)
    or the platform operator (``tenant_id`` None: everything)."""

    tenant_id: str | None
    client_ids: frozenset[str] | None
    """Clients the reader may see; None: every client."""

    def sees(self, client_id: str | None) -> bool:
        return client_id is None or self.client_ids is None or client_id in self.client_ids


OPERATOR = Reader(None, None)


def status_of(failing: list[str]) -> Status:
    """``unavailable`` when the replica cannot serve, ``degraded`` when a
    part it can do without fails."""
    if not failing:
        return "healthy"
    return "degraded" if set(failing) <= CAN_SERVE_WITHOUT else "unavailable"


def http_status(status: Status) -> int:
    return 503 if status == "unavailable" else 200


async def _database(ctx: AppContext, reader: Reader) -> DatabaseHealth:
    started = time.perf_counter()
    scope = {} if reader.tenant_id is None else {"tenant_id": reader.tenant_id}
    clients = None if reader.client_ids is None else sorted(reader.client_ids)
    async with ctx.engine.connect() as db:
        depths = await reports.queue_depths(db, now=datetime.now(UTC), client_ids=clients, **scope)
    latency = round((time.perf_counter() - started) * 1000, 1)
    queues: QueueDepths = {
        "new_alerts": depths.new_alerts,
        "unacknowledged_critical": depths.unacknowledged_critical,
        "backlog_older_than_1h": depths.backlog_older_than_1h,
    }
    return {"ok": True, "latency_ms": latency, "queues": queues}


async def _database_reachable(ctx: AppContext) -> bool:
    async with ctx.engine.connect() as db:
        await db.execute(text("SELECT 1"))
    return True


async def _cache(ctx: AppContext) -> CacheHealth:
    kind: Literal["redis", "in-process"] = "redis" if ctx.settings.redis_url else "in-process"
    return {"ok": await ctx.cache.ping(), "kind": kind}


def _actors_seen_by(health: SupervisorHealth, reader: Reader) -> ActorsHealth:
    """The supervisor's view, cut to what the reader may see: a dedicated
    host of a client it may not see is left out, a pool lists only its
    visible clients, a client's job (``<client>/<job>``) shows only if the
    client is visible."""
    lines: list[ActorLine] = [
        {
            "name": a["name"],
            "kind": a["kind"],
            "client_id": a["client_id"],
            "clients": [c for c in a["clients"] if reader.sees(c)],
            "state": a["state"],
            "restarts": a["restarts"],
            "last_error": a["last_error"],
        }
        for a in health["actors"]
        if reader.sees(a["client_id"])
    ]
    jobs = [j for j in health["jobs"] if reader.sees(_job_client(j["name"]))]
    return {"ok": health["ok"], "actors": lines, "jobs": jobs}


def _job_client(job: str) -> str | None:
    return job.split("/", 1)[0] if "/" in job else None


async def _actors(ctx: AppContext, reader: Reader) -> ActorsHealth:
    return _actors_seen_by(await ctx.noc.health(ping=False), reader)


def actors_ok(actors: ActorsHealth | SupervisorHealth, database_ok: bool) -> bool:
    """Every actor alive and no periodic job late — but while the database
    is unreachable the jobs that need it (the notifier's look, the
    backpressure check, clock rules) are late *because of it*: health then
    names the database, not the actors (the details still list the late
    jobs, and a dead actor still counts)."""
    if database_ok:
        return actors["ok"]
    return all(a["state"] == "ALIVE" for a in actors["actors"])


def timer_ok(status: TimerStatus) -> bool:
    """Whether the timer keeps up now: it has re-armed the pending
    escalations from the database, and no deadline has waited past due for
    ``TIMER_BEHIND_S``. Not the lag of its last firing — after a restart it
    fires what fell due during its outage, late by the outage, and then has
    nothing to fire for minutes."""
    return status["armed"] and status["oldest_overdue_s"] < TIMER_BEHIND_S


async def _timer(ctx: AppContext) -> TimerHealth:
    status = await ctx.noc.timer_status()
    return {
        "ok": timer_ok(status),
        "pending": status["pending"],
        "fired": status["fired"],
        "failures": status["failures"],
        "last_lag_s": status["last_lag_s"],
        "max_lag_s": status["max_lag_s"],
        "recent_lag_p50_s": status["recent_lag_p50_s"],
        "recent_lag_max_s": status["recent_lag_max_s"],
        "oldest_overdue_s": status["oldest_overdue_s"],
        "armed": status["armed"],
        "next_due_at": status["next_due_at"],
    }


async def _backpressure(ctx: AppContext, reader: Reader) -> BackpressureHealth:
    levels = await ctx.noc.backpressure_levels()
    if reader.tenant_id is not None:
        levels = {t: lv for t, lv in levels.items() if t == reader.tenant_id}
    return {"ok": True, "levels": levels}


async def _replica(ctx: AppContext) -> ReplicaHealth:
    """This replica: its hub subscription and sockets, its ingest queue.
    Degraded only when the subscription failed and is not back (while it is
    first connecting the replica is still healthy)."""
    gate, realtime = ctx.gate, ctx.realtime.status()
    pump = realtime["pump"]
    return {
        **realtime,
        "ok": pump["subscribed"] or not pump["failures"],
        "ingest_queue": {"depth": gate.depth, "capacity": gate.capacity, "refused": gate.refused},
    }


async def _guard(check: Awaitable[T]) -> T | Failed:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - health reports every failure
        detail = str(err).splitlines()[0] if str(err) else ""
        return {"ok": False, "error": f"{type(err).__name__}: {detail}"[:300]}


async def gather_health(ctx: AppContext, reader: Reader = OPERATOR) -> HealthBody:
    """Every component, as ``reader`` may see it."""
    database, cache, actors, timer, backpressure, replica = await asyncio.gather(
        _guard(_database(ctx, reader)),
        _guard(_cache(ctx)),
        _guard(_actors(ctx, reader)),
        _guard(_timer(ctx)),
        _guard(_backpressure(ctx, reader)),
        _guard(_replica(ctx)),
    )
    components: Components = {
        "database": database,
        "cache": cache,
        "actors": actors,
        "timer": timer,
        "backpressure": backpressure,
        "replica": replica,
    }
    if "actors" in actors:
        actors["ok"] = actors_ok(actors, database["ok"])
    oks = {
        "database": database["ok"],
        "cache": cache["ok"],
        "actors": actors["ok"],
        "timer": timer["ok"],
        "backpressure": backpressure["ok"],
        "replica": replica["ok"],
    }
    failing = [name for name, ok in oks.items() if not ok]
    return {
        "status": status_of(failing),
        "failing": failing,
        "components": components,
        "at": datetime.now(UTC).isoformat(),
    }


async def _ok(check: Awaitable[bool]) -> bool:
    try:
        return bool(await asyncio.wait_for(check, CHECK_TIMEOUT_S))
    except Exception:  # noqa: BLE001 - a failed check is an answer
        return False


async def _check_liveness(ctx: AppContext) -> Liveness:
    database = asyncio.ensure_future(_ok(_database_reachable(ctx)))

    async def actors() -> bool:
        health = await ctx.noc.health(ping=False)
        return actors_ok(health, await database)

    async def timer() -> bool:
        return timer_ok(await ctx.noc.timer_status())

    async def replica() -> bool:
        return (await _replica(ctx))["ok"]

    names = ("database", "cache", "actors", "timer", "replica")
    oks = await asyncio.gather(
        database, _ok(ctx.cache.ping()), _ok(actors()), _ok(timer()),
        _ok(replica()),
    )  # fmt: skip
    failing = [name for name, ok in zip(names, oks, strict=True) if not ok]
    return {"status": status_of(failing), "failing": failing, "at": datetime.now(UTC).isoformat()}


async def liveness(ctx: AppContext) -> Liveness:
    """The public answer, computed at most every ``LIVENESS_TTL_S`` on this
    replica (concurrent probes share one computation)."""
    answer: Liveness = await ctx.liveness.get(lambda: _check_liveness(ctx))
    return answer
