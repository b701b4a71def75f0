"""``GET /api/noc/health``: database, actors, hub, timer lag, backpressure,
queue depths and periodic jobs — 200 when healthy, 503 naming what is not.
Unauthenticated (load balancers probe it); it reveals counts, never data."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from noc_actors.store.repos import reports
from serve_app.deps import Ctx

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 3.0


async def _database(ctx: Ctx) -> dict[str, Any]:
    started = time.perf_counter()
    async with ctx.engine.connect() as db:
        depths = await reports.queue_depths(db, now=datetime.now(UTC))
    return {
        "ok": True,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "queues": asdict(depths),
    }


async def _guard(name: str, coro: Any) -> dict[str, Any]:
    try:
        return await asyncio.wait_for(coro, CHECK_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - health reports every failure
        detail = str(err).splitlines()[0] if str(err) else ""
        return {"ok": False, "error": f"{type(err).__name__}: {detail}"[:300]}


async def _actors(ctx: Ctx) -> dict[str, Any]:
    health = await ctx.noc.health()
    return {
        "ok": health["ok"],
        "actors": [
            {k: a[k] for k in ("name", "kind", "client_id", "state", "restarts", "last_error")}
            for a in health["actors"]
        ],
        "jobs": health["jobs"],
    }


async def _timer(ctx: Ctx) -> dict[str, Any]:
    status = await ctx.noc.timer_status()
    lag = status.get("last_lag_s") or 0.0
    return {
        "ok": lag < 1.0,
        **{
            k: status[k]
            for k in ("pending", "fired", "failures", "last_lag_s", "max_lag_s", "next_due_at")
        },
    }


async def _cache(ctx: Ctx) -> dict[str, Any]:
    kind = "redis" if ctx.settings.redis_url else "in-process"
    return {"ok": await ctx.cache.ping(), "kind": kind}


async def _backpressure(ctx: Ctx) -> dict[str, Any]:
    return {"ok": True, "levels": await ctx.noc.backpressure_levels()}


async def _replica(ctx: Ctx) -> dict[str, Any]:
    """This replica: its hub subscription and sockets, its ingest queue.
    Degraded only when the subscription failed and is not back (while it is
    first connecting the replica is still healthy)."""
    gate = ctx.gate
    out: dict[str, Any] = {
        "ok": True,
        "ingest_queue": {"depth": gate.depth, "capacity": gate.capacity, "refused": gate.refused},
    }
    status = ctx.realtime.status()
    pump = status["pump"]
    out.update(status)
    out["ok"] = bool(pump["subscribed"] or not pump["failures"])
    return out


async def gather_health(ctx: Ctx) -> dict[str, Any]:
    names = ("database", "cache", "actors", "timer", "backpressure", "replica")
    results = await asyncio.gather(
        _guard("database", _database(ctx)),
        _guard("cache", _cache(ctx)),
        _guard("actors", _actors(ctx)),
        _guard("timer", _timer(ctx)),
        _guard("backpressure", _backpressure(ctx)),
        _guard("replica", _replica(ctx)),
    )
    components = dict(zip(names, results, strict=True))
    failing = [n for n, c in components.items() if not c.get("ok")]
    return {
        "status": "degraded" if failing else "healthy",
        "failing": failing,
        "components": components,
        "at": datetime.now(UTC).isoformat(),
    }


@router.get("/api/noc/health", summary="Health of every component (200 healthy, 503 degraded)")
async def health(ctx: Ctx) -> JSONResponse:
    body = await gather_health(ctx)
    return JSONResponse(body, status_code=503 if body["failing"] else 200)


LEVELS = {"NORMAL": 0, "ELEVATED": 1, "CRITICAL": 2}
Sample = tuple[dict[str, str], float]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def prometheus_text(body: dict[str, Any]) -> str:
    """The health figures in Prometheus text format (the actors' own counters
    live in Ray's metrics endpoint as ``ray_noc_*``)."""
    out: list[str] = []

    def metric(name: str, help_: str, kind: str, samples: list[Sample]) -> None:
        out.append(f"# HELP {name} {help_}")
        out.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            tags = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            out.append(f"{name}{{{tags}}} {value}" if tags else f"{name} {value}")

    comps = body["components"]
    metric(
        "noc_component_up",
        "1 when the component is healthy.",
        "gauge",
        [({"component": n}, 1.0 if c.get("ok") else 0.0) for n, c in comps.items()],
    )
    queues = comps["database"].get("queues", {})
    metric(
        "noc_queue_depth",
        "Alerts waiting: new, unacknowledged critical, NEW older than 1 h.",
        "gauge",
        [({"queue": q}, float(v)) for q, v in queues.items()],
    )
    actors = comps["actors"].get("actors", [])
    metric(
        "noc_actor_up",
        "1 when the actor answered its last ping.",
        "gauge",
        [({"actor": a["name"]}, 1.0 if a["state"] == "ALIVE" else 0.0) for a in actors],
    )
    metric(
        "noc_actor_restarts",
        "Restarts the supervisor has seen.",
        "counter",
        [({"actor": a["name"]}, float(a["restarts"])) for a in actors],
    )
    timer = comps["timer"]
    if "pending" in timer:
        metric(
            "noc_escalations_pending",
            "Deadlines in the escalation timer.",
            "gauge",
            [({}, float(timer["pending"]))],
        )
        metric(
            "noc_escalation_lag_seconds",
            "Lag of the last escalation.",
            "gauge",
            [({}, float(timer.get("last_lag_s") or 0.0))],
        )
    levels = comps["backpressure"].get("levels", {})
    metric(
        "noc_backpressure_level",
        "0 NORMAL, 1 ELEVATED, 2 CRITICAL (tenants above NORMAL).",
        "gauge",
        [({"tenant": t}, float(LEVELS.get(lv, 0))) for t, lv in levels.items()],
    )
    replica = comps["replica"]
    queue = replica.get("ingest_queue", {})
    if queue:
        metric(
            "noc_ingest_queue_items",
            "Ingest items in flight on this replica, and its capacity.",
            "gauge",
            [
                ({"kind": "depth"}, float(queue["depth"])),
                ({"kind": "capacity"}, float(queue["capacity"])),
            ],
        )
        metric(
            "noc_ingest_refused_total",
            "Ingest batches this replica refused with 503 (queue full or CRITICAL).",
            "counter",
            [({}, float(queue["refused"]))],
        )
    dispatcher = replica.get("dispatcher")
    if dispatcher:
        metric("noc_ws_sockets", "Dashboard sockets on this replica.", "gauge",
               [({}, float(dispatcher["sockets"]))])  # fmt: skip
        metric("noc_ws_events_total", "Hub events dispatched by this replica.", "counter",
               [({}, float(dispatcher["events"]))])  # fmt: skip
        metric("noc_ws_gaps_total", "Gaps in the hub stream (resync sent).", "counter",
               [({}, float(dispatcher["gaps"]))])  # fmt: skip
    return "\n".join(out) + "\n"


@router.get("/metrics", summary="Prometheus metrics of the NOC (text format)")
async def metrics(ctx: Ctx) -> PlainTextResponse:
    body = await gather_health(ctx)
    return PlainTextResponse(prometheus_text(body), media_type="text/plain; version=0.0.4")
