"""Supervisor actor (``noc:supervisor``): starts and watches every other actor.

Owns: the directory client_id -> tenant_id and the aggregator handles, and
what it has seen of each child (state, restarts, last answer).
Hard state: none — clients come from the database, children are named
detached actors found again with ``get_if_exists``. Starting twice is a no-op.
Soft state: the directory, restart counts.
Idempotent calls: all (``start`` included).

Periodic jobs: the watch loop (ping children, recreate dead ones; a restarted
child reloads its own state from the database) and the daily snapshot
archive at ``archive_hour_utc`` (02:00 by default).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ray
from ray.exceptions import ActorDiedError, GetTimeoutError, RayActorError

from noc_actors.actors import names
from noc_actors.actors.aggregator import ClientAggregator
from noc_actors.actors.backpressure import BackpressureController
from noc_actors.actors.hub import BroadcastHub
from noc_actors.actors.process import ActorProcess, actor_class
from noc_actors.actors.status import ChildView, SupervisorHealth
from noc_actors.actors.timer import EscalationTimer
from noc_actors.domain.errors import InvalidInput, NotFound
from noc_actors.runtime.loops import PeriodicLoop, seconds_until
from noc_actors.settings import Settings
from noc_actors.store.repos import batches, clients, snapshots

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 5.0
BATCH_KEY_TTL = timedelta(days=1)  # how long an Idempotency-Key is remembered


@dataclass
class Child:
    name: str
    kind: str
    handle: Any
    client_id: str | None = None
    state: str = "PENDING"
    restarts: int = 0
    started_at: float | None = None
    last_ok: float | None = None
    last_error: str | None = None
    details: dict[str, Any] | None = None

    def view(self) -> ChildView:
        return {
            "name": self.name,
            "kind": self.kind,
            "client_id": self.client_id,
            "state": self.state,
            "restarts": self.restarts,
            "last_ok": self.last_ok,
            "last_error": self.last_error,
            "details": self.details or {},
        }


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class Supervisor:
    """Starts, finds and watches the NOC actors; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.proc = ActorProcess.start(settings)
        self.settings = settings
        self.ns = settings.ray_namespace
        self.engine = self.proc.engine
        self.directory_: dict[str, str] = {}
        self.children: dict[str, Child] = {}
        self._start_lock = asyncio.Lock()
        self._agg_lock = asyncio.Lock()
        self._started = False
        self.watch_loop = PeriodicLoop(
            "supervisor-watch", settings.supervisor_watch_interval_s, self.watch
        )
        self.archive_loop = PeriodicLoop(
            "snapshot-archive",
            lambda: seconds_until(self.settings.archive_hour_utc, self.proc.clock.now()),
            self.archive,
        )

    # --- starting ---------------------------------------------------------------

    def _create(self, cls: type, name: str, *args: Any) -> Any:
        """The named, detached actor ``name`` of ``cls`` (found if it exists)."""
        options = {"name": name, "namespace": self.ns, "lifetime": "detached"}
        return actor_class(cls).options(**options, get_if_exists=True).remote(*args)

    def _singleton(self, kind: str) -> Any:
        s = self.settings
        if kind == "hub":
            return self._create(BroadcastHub, names.BROADCAST_HUB, s.hub_ring_size, s.hub_ring_size)
        if kind == "timer":
            return self._create(EscalationTimer, names.ESCALATION_TIMER, s)
        return self._create(BackpressureController, names.BACKPRESSURE, s)

    async def start(self) -> dict[str, Any]:
        """Start every actor (idempotent) and wait until each is ready."""
        async with self._start_lock:
            if not self._started:
                await self._start()
                self._started = True
        return {"clients": len(self.directory_), "children": len(self.children)}

    async def _start(self) -> None:
        began = time.perf_counter()
        for kind, name in (
            ("hub", names.BROADCAST_HUB),
            ("timer", names.ESCALATION_TIMER),
            ("backpressure", names.BACKPRESSURE),
        ):
            self.children[name] = Child(name, kind, self._singleton(kind))
        await asyncio.gather(*(c.handle.ready.remote() for c in self.children.values()))
        async with self.engine.connect() as conn:
            enabled = await clients.list_enabled(conn)
        for client_id, tenant_id in enabled:
            self._spawn_aggregator(client_id, tenant_id)
        await asyncio.gather(
            *(c.handle.ready.remote() for c in self.children.values() if c.kind == "aggregator")
        )
        self.watch_loop.start()
        self.archive_loop.start()
        log.info("NOC started: %d aggregators in %.1fs", len(enabled), time.perf_counter() - began)

    def _spawn_aggregator(self, client_id: str, tenant_id: str) -> Any:
        name = names.aggregator_name(client_id)
        handle = self._create(ClientAggregator, name, tenant_id, client_id, self.settings)
        self.directory_[client_id] = tenant_id
        self.children[name] = Child(name, "aggregator", handle, client_id=client_id)
        return handle

    async def aggregator_for(self, client_id: str) -> Any:
        """The aggregator of an enabled client, created on first demand."""
        if not self._started:
            await self.start()
        child = self.children.get(names.aggregator_name(client_id))
        if child is not None:
            return child.handle
        async with self._agg_lock:
            child = self.children.get(names.aggregator_name(client_id))
            if child is not None:
                return child.handle
            async with self.engine.connect() as conn:
                row = await clients.get_client_any_tenant(conn, client_id=client_id)
            if row is None:
                raise NotFound("client", client_id)
            if not row["enabled"]:
                raise InvalidInput("client_id", f"client {client_id!r} is disabled")
            handle = self._spawn_aggregator(client_id, row["tenant_id"])
        await handle.ready.remote()
        return handle

    async def open_client(self, client_id: str) -> float:
        """Start a new (or newly enabled) client's aggregator now and wait
        until it has loaded, so its first request does not wait for a
        process to start; returns the seconds it took (0 if it ran)."""
        began = time.perf_counter()
        await self.aggregator_for(client_id)
        return time.perf_counter() - began

    async def discover(self) -> int:
        """Start the aggregators of enabled clients created since the last
        look (by the CLI while Ray was unreachable, by SQL, by a restore);
        returns how many were started. Part of every watch tick."""
        async with self.engine.connect() as conn:
            enabled = await clients.list_enabled(conn)
        new = [(c, t) for c, t in enabled if names.aggregator_name(c) not in self.children]
        for client_id, tenant_id in new:
            log.info("starting the aggregator of new client %s", client_id)
            self._spawn_aggregator(client_id, tenant_id).ready.remote()
        return len(new)

    async def route(self, client_id: str) -> tuple[str, Any]:
        """(tenant_id, aggregator handle) of a client, for the gateway."""
        handle = await self.aggregator_for(client_id)
        return self.directory_[client_id], handle

    def directory(self) -> dict[str, str]:
        return dict(self.directory_)

    # --- watching -----------------------------------------------------------------

    async def watch(self) -> None:
        """Ping every child; recreate the dead ones; count restarts; start
        the aggregators of clients enabled since the last tick."""
        await asyncio.gather(*(self._ping(c) for c in list(self.children.values())))
        try:
            await self.discover()
        except Exception as err:  # noqa: BLE001 - the database may be down; next tick
            log.warning("could not look for new clients: %s", err)

    async def _ping(self, child: Child) -> None:
        try:
            info = await asyncio.wait_for(child.handle.status.remote(), PING_TIMEOUT_S)
        except ActorDiedError as err:
            child.state, child.last_error = "DEAD", str(err).splitlines()[0]
            self._recreate(child)
            return
        except (RayActorError, GetTimeoutError, TimeoutError) as err:
            child.state = "RESTARTING"
            child.last_error = (
                f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            )
            return
        if child.started_at is not None and info.get("started_at") != child.started_at:
            child.restarts += 1
        child.started_at = info.get("started_at")
        child.state, child.last_ok, child.details = "ALIVE", time.time(), info

    def _recreate(self, child: Child) -> None:
        log.warning("recreating dead actor %s", child.name)
        child.restarts += 1
        child.started_at = None
        if child.kind == "aggregator" and child.client_id is not None:
            tenant_id = self.directory_[child.client_id]
            child.handle = self._create(
                ClientAggregator, child.name, tenant_id, child.client_id, self.settings
            )
        else:
            child.handle = self._singleton(child.kind)
        # Make it load its state now, not on its first request.
        child.handle.ready.remote()

    async def health(self) -> SupervisorHealth:
        """Ping now and report every child."""
        if not self._started:
            await self.start()
        await self.watch()
        views = [c.view() for c in self.children.values()]
        return {
            "ok": all(v["state"] == "ALIVE" for v in views),
            "actors": sorted(views, key=lambda v: (v["kind"] != "hub", v["kind"], v["name"])),
            "jobs": [self.watch_loop.status(), self.archive_loop.status()],
            "supervisor": {"started_at": self.proc.started_at, "restarted": self.proc.restarted},
        }

    # --- periodic jobs ------------------------------------------------------------

    async def archive(self) -> int:
        """Move snapshots older than the retention period to the archive, and
        forget idempotent-ingest answers older than a day."""
        now = self.proc.clock.now()
        cutoff = now - timedelta(days=self.settings.snapshot_retention_days)
        async with self.engine.begin() as conn:
            moved = await snapshots.archive_older_than(conn, cutoff=cutoff)
            pruned = await batches.prune_batches(conn, before=now - BATCH_KEY_TTL)
        log.info(
            "archived %d snapshots older than %s; forgot %d ingest batch answers",
            moved,
            cutoff.isoformat(),
            pruned,
        )
        return moved

    async def stop(self) -> int:
        """Kill every child for good (``noc down``); returns how many."""
        for child in self.children.values():
            ray.kill(child.handle, no_restart=True)
        n = len(self.children)
        self.children.clear()
        self.directory_.clear()
        self._started = False
        await self.watch_loop.stop()
        await self.archive_loop.stop()
        return n
