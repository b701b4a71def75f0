"""Health of every component, as one typed document (``HealthBody``): the
database and its alert queues, the read cache, the actors and their jobs, the
escalation timer's lag, the backpressure levels and this replica (its hub
subscription, sockets and ingest queue). ``/api/noc/health`` answers it and
``/metrics`` renders it for Prometheus (``serve_app.metrics_text``).

Every check runs at once, each bounded by ``CHECK_TIMEOUT_S``; one that fails
or times out becomes ``{"ok": false, "error": ...}`` and names itself in
``failing`` — health always answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Literal, TypedDict, TypeVar, final

from noc_actors.actors.status import TimerStatus
from noc_actors.runtime.loops import LoopStatus
from noc_actors.store.repos import reports
from serve_app.context import AppContext
from serve_app.ws.realtime import RealtimeStatus

CHECK_TIMEOUT_S = 3.0
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


@final
class HealthBody(TypedDict):
    status: Literal["healthy", "degraded"]
    failing: list[str]
    components: Components
    at: str


async def _database(ctx: AppContext) -> DatabaseHealth:
    started = time.perf_counter()
    async with ctx.engine.connect() as db:
        depths = await reports.queue_depths(db, now=datetime.now(UTC))
    latency = round((time.perf_counter() - started) * 1000, 1)
    queues: QueueDepths = {
        "new_alerts": depths.new_alerts,
        "unacknowledged_critical": depths.unacknowledged_critical,
        "backlog_older_than_1h": depths.backlog_older_than_1h,
    }
    return {"ok": True, "latency_ms": latency, "queues": queues}


async def _cache(ctx: AppContext) -> CacheHealth:
    kind: Literal["redis", "in-process"] = "redis" if ctx.settings.redis_url else "in-process"
    return {"ok": await ctx.cache.ping(), "kind": kind}


async def _actors(ctx: AppContext) -> ActorsHealth:
    health = await ctx.noc.health()
    lines: list[ActorLine] = [
        {
            "name": a["name"],
            "kind": a["kind"],
            "client_id": a["client_id"],
            "clients": a["clients"],
            "state": a["state"],
            "restarts": a["restarts"],
            "last_error": a["last_error"],
        }
        for a in health["actors"]
    ]
    return {"ok": health["ok"], "actors": lines, "jobs": health["jobs"]}


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


async def _backpressure(ctx: AppContext) -> BackpressureHealth:
    return {"ok": True, "levels": await ctx.noc.backpressure_levels()}


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


async def gather_health(ctx: AppContext) -> HealthBody:
    database, cache, actors, timer, backpressure, replica = await asyncio.gather(
        _guard(_database(ctx)),
        _guard(_cache(ctx)),
        _guard(_actors(ctx)),
        _guard(_timer(ctx)),
        _guard(_backpressure(ctx)),
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
        "status": "degraded" if failing else "healthy",
        "failing": failing,
        "components": components,
        "at": datetime.now(UTC).isoformat(),
    }
