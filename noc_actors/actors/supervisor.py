"""Supervisor actor (``noc:supervisor``): starts, places and watches every
other actor.

Owns: the directory client_id -> tenant_id, the placement of each client in
a host (a pool ``noc:pool:<n>`` holding up to ``Settings.pool_size``
clients, or a dedicated ``noc:aggregator:<client_id>``), the host handles,
and what it has seen of each child (state, restarts, last answer).
Hard state: the placement directory (``client_placement``: a client placed
once stays in its host across restarts of the supervisor or the host); clients
come from the database, children are named detached actors found again with
``get_if_exists``. Starting twice is a no-op.
Soft state: the directory, restart counts.
Idempotent calls: all (``start`` included).

Periodic jobs: the watch loop (ping children, recreate dead ones and give a
restarted host its clients again; place and start clients created since the
last tick) and the daily snapshot archive at ``archive_hour_utc`` (02:00 by
default).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, GetTimeoutError, RayActorError

from noc_actors.actors import names
from noc_actors.actors.backpressure import BackpressureController
from noc_actors.actors.host import ClientHost
from noc_actors.actors.hub import BroadcastHub
from noc_actors.actors.notifier import Notifier
from noc_actors.actors.process import ActorProcess, actor_class
from noc_actors.actors.roles import Role, role_options, role_resource
from noc_actors.actors.status import ChildView, SupervisorHealth
from noc_actors.actors.timer import EscalationTimer
from noc_actors.domain.errors import InvalidInput, NotFound, Unavailable
from noc_actors.runtime.load import suggestion
from noc_actors.runtime.loops import PeriodicLoop, seconds_until
from noc_actors.settings import Settings
from noc_actors.store.repos import batches, clients, placement, snapshots

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 5.0
HOST_KINDS = ("pool", "aggregator")
MOVE_WAIT_S = 30.0
"""How long a call for a moving client waits for the move before 503."""
HOST_START_S = 60.0
"""How long a move waits for its new host's process to start."""
BATCH_KEY_TTL = timedelta(days=1)  # how long an Idempotency-Key is remembered


@dataclass
class Child:
    name: str
    kind: str
    handle: Any
    state: str = "PENDING"
    restarts: int = 0
    started_at: float | None = None
    last_ok: float | None = None
    last_error: str | None = None
    details: dict[str, Any] | None = None
    anywhere: bool = False
    """A host started without its role's resource (``_rehome``)."""

    def view(self, clients: list[str]) -> ChildView:
        return {
            "name": self.name,
            "kind": self.kind,
            "client_id": clients[0] if self.kind == "aggregator" and clients else None,
            "clients": clients,
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
        self.host_of_: dict[str, str] = {}
        self.children: dict[str, Child] = {}
        self._start_lock = asyncio.Lock()
        self._agg_lock = asyncio.Lock()
        self._hosting: dict[str, asyncio.Task[None]] = {}
        """Clients handed to a host that has not said it runs them yet: a
        caller that finds them placed waits for that, not only for the
        placement (a new dedicated host takes seconds to start)."""
        self.resource_of_: dict[str, str] = {}
        """Dedicated clients pinned to a Ray resource of the operator's."""
        self._moving: dict[str, asyncio.Event] = {}
        """Clients being moved: their route waits for the move to end."""
        self._retiring: dict[str, float] = {}
        """Dedicated hosts emptied by a move -> when to stop them (they refuse
        meanwhile, so a gateway's stale route is retried, not failed)."""
        self._started = False
        self.watch_loop = PeriodicLoop(
            "supervisor-watch", settings.supervisor_watch_interval_s, self.watch, first_delay_s=0.0
        )
        self.archive_loop = PeriodicLoop(
            "snapshot-archive",
            lambda: seconds_until(self.settings.archive_hour_utc, self.proc.clock.now()),
            self.archive,
        )
        self._stopped = False
        # Ray runs an async actor's constructor in its event loop: a
        # supervisor (re)started by Ray starts the system itself — its watch
        # is what recreates dead actors — not on the first call that names it.
        self._boot = asyncio.get_running_loop().create_task(self._start_until_started())

    async def _start_until_started(self) -> None:
        """``start``, tried again (1 s, 2 s, … at most 30 s apart) until it
        succeeds — the database may be down when the supervisor starts."""
        delay = 1.0
        while not self._started and not self._stopped:
            try:
                await self.start()
            except Exception as err:  # noqa: BLE001 - keep trying until it starts
                log.warning("NOC did not start, retrying in %.0fs: %r", delay, err)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    # --- starting ---------------------------------------------------------------

    def _create(
        self,
        cls: type,
        name: str,
        role: Role,
        *args: Any,
        resource: str | None = None,
        anywhere: bool = False,
    ) -> Any:
        """The named, detached actor ``name`` of ``cls`` (found if it exists),
        on a node its ``role`` (or the pinned ``resource``) may run on; with
        ``anywhere``, on any node (its role's nodes are gone)."""
        options = {"name": name, "namespace": self.ns, "lifetime": "detached"}
        options |= role_options(self.settings, role, resource)
        if anywhere:
            options.pop("resources", None)
        return actor_class(cls).options(**options, get_if_exists=True).remote(*args)

    def _singleton(self, kind: str) -> Any:
        s = self.settings
        if kind == "hub":
            return self._create(
                BroadcastHub, names.BROADCAST_HUB, "head", s.hub_ring_size, s.hub_ring_size
            )
        if kind == "timer":
            return self._create(EscalationTimer, names.ESCALATION_TIMER, "head", s)
        if kind == "notifier":
            return self._create(Notifier, names.NOTIFIER, "head", s)
        return self._create(BackpressureController, names.BACKPRESSURE, "head", s)

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
            ("notifier", names.NOTIFIER),
        ):
            self.children[name] = Child(name, kind, self._singleton(kind))
        await asyncio.gather(*(c.handle.ready.remote() for c in self.children.values()))
        for name in list(self.children):
            self._answered(name)
        async with self.engine.connect() as conn:
            enabled = await placement.enabled_clients(conn)
        by_host = await self._place(enabled)
        await asyncio.gather(
            *(self._host(name).handle.host.remote(clients) for name, clients in by_host.items())
        )
        for name in by_host:
            self._answered(name)
        self.watch_loop.start()
        self.archive_loop.start()
        log.info(
            "NOC started: %d clients in %d hosts in %.1fs",
            len(enabled),
            len(by_host),
            time.perf_counter() - began,
        )

    # --- placement ------------------------------------------------------------------

    async def _place(self, found: list[placement.Placed]) -> dict[str, list[tuple[str, str]]]:
        """Put each client in its host: where the placement directory says,
        or (not placed yet) its own actor if it is dedicated, else the first
        pool with room — and write that down before any host runs it.
        Returns ``host name -> [(client_id, tenant_id)]``."""
        counts = Counter(self.host_of_.values())
        counts.update(p.host for p in found if p.host and p.client_id not in self.host_of_)
        chosen: dict[str, str] = {}
        for p in found:
            host = self.host_of_.get(p.client_id) or p.host
            if host is None:
                host = self._choose(p, counts)
                counts[host] += 1
                chosen[p.client_id] = host
            self.host_of_[p.client_id] = host
            self.directory_[p.client_id] = p.tenant_id
            if p.resource:
                self.resource_of_[p.client_id] = p.resource
        if chosen:
            async with self.engine.begin() as conn:
                for client_id, host in chosen.items():
                    await placement.set_host(conn, client_id=client_id, host=host)
        by_host: dict[str, list[tuple[str, str]]] = {}
        for p in found:
            by_host.setdefault(self.host_of_[p.client_id], []).append((p.client_id, p.tenant_id))
        return by_host

    def _choose(self, p: placement.Placed, counts: Counter[str]) -> str:
        if (p.placement or self.settings.placement) == "dedicated":
            return names.aggregator_name(p.client_id)
        n = 0
        while counts[names.pool_name(n)] >= self.settings.pool_size:
            n += 1
        return names.pool_name(n)

    def _host(self, name: str, resource: str | None = None) -> Child:
        """The child of host ``name``, its actor created (or found) first
        (pinned to ``resource``, else to its client's resource if any)."""
        child = self.children.get(name)
        if child is None:
            kind = "aggregator" if name.startswith(names.AGGREGATOR_PREFIX) else "pool"
            role: Role = "dedicated" if kind == "aggregator" else "pool"
            pinned = resource or self._pinned(name)
            handle = self._create(ClientHost, name, role, name, self.settings, resource=pinned)
            child = Child(name, kind, handle)
            self.children[name] = child
        return child

    async def _start_host(self, name: str, resource: str | None) -> None:
        """Create host ``name`` and wait until its process answers; stopped
        again (and ``Unavailable``) when it does not within ``HOST_START_S``
        (no node with room for it)."""
        child = self._host(name, resource)
        try:
            await asyncio.wait_for(child.handle.status.remote(), HOST_START_S)
        except Exception as err:
            self._stop_host(name)
            detail = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            raise Unavailable(name, f"did not start: {detail}") from err
        self._answered(name)

    def _answered(self, name: str) -> None:
        """A child just answered a call: alive, without waiting for the next
        watch (health would call a host created a moment ago PENDING)."""
        child = self.children.get(name)
        if child is not None:
            child.state, child.last_ok = "ALIVE", time.time()

    def _pinned(self, host: str) -> str | None:
        """The resource a dedicated host's client is pinned to, if any."""
        if not host.startswith(names.AGGREGATOR_PREFIX):
            return None
        return self.resource_of_.get(host.removeprefix(names.AGGREGATOR_PREFIX))

    def _hosted(self, name: str) -> list[tuple[str, str]]:
        """``(client_id, tenant_id)`` of the clients placed in host ``name``."""
        return [(c, self.directory_[c]) for c, h in self.host_of_.items() if h == name]

    async def aggregator_for(self, client_id: str) -> Any:
        """The host of an enabled client, which runs it (placed and started on
        first demand; while the client moves, once the move is over)."""
        if not self._started:
            await self.start()
        moving = self._moving.get(client_id)
        if moving is not None:
            try:
                await asyncio.wait_for(moving.wait(), MOVE_WAIT_S)
            except TimeoutError:
                raise Unavailable(names.SUPERVISOR, f"client {client_id!r} is moving") from None
        host = self.host_of_.get(client_id)
        if host is not None:
            return await self._hosted_by(client_id, host)
        async with self._agg_lock:
            host = self.host_of_.get(client_id)
            if host is not None:
                return await self._hosted_by(client_id, host)
            async with self.engine.connect() as conn:
                row = await clients.get_client_any_tenant(conn, client_id=client_id)
                if row is None:
                    raise NotFound("client", client_id)
                if not row["enabled"]:
                    raise InvalidInput("client_id", f"client {client_id!r} is disabled")
                asked, placed, pinned = await placement.placement_of(conn, client_id=client_id)
            found = placement.Placed(client_id, row["tenant_id"], asked, placed, pinned)
            (name, hosted), *_ = (await self._place([found])).items()
            handle = self._host(name).handle
            hosting = self._start_hosting(name, hosted)
        await asyncio.shield(hosting)
        return handle

    def _start_hosting(self, name: str, hosted: list[Any]) -> asyncio.Task[None]:
        """Hand ``hosted`` to the host ``name``; the task ends when it runs
        them (``aggregator_for`` callers of those clients wait for it)."""

        async def host() -> None:
            await self._host(name).handle.host.remote(hosted)
            self._answered(name)

        task = asyncio.get_running_loop().create_task(host())
        for entry in hosted:
            self._hosting[entry[0]] = task

        def done(_: asyncio.Task[None]) -> None:
            for entry in hosted:
                if self._hosting.get(entry[0]) is task:
                    del self._hosting[entry[0]]
            if not task.cancelled() and (err := task.exception()) is not None:
                log.warning("%s could not start %d clients: %s", name, len(hosted), err)

        task.add_done_callback(done)
        return task

    async def _hosted_by(self, client_id: str, host: str) -> Any:
        """The handle of ``host`` once it runs ``client_id`` (at once, unless
        it was handed the client a moment ago and has not answered yet)."""
        pending = self._hosting.get(client_id)
        if pending is not None:
            await asyncio.shield(pending)
        return self._host(host).handle

    async def open_client(self, client_id: str) -> float:
        """Place and start a new (or newly enabled) client now and wait until
        it has loaded, so its first request does not wait; returns the
        seconds it took (0 if it ran)."""
        began = time.perf_counter()
        await self.aggregator_for(client_id)
        return time.perf_counter() - began

    async def discover(self) -> int:
        """Place and start the enabled clients created since the last look
        (by the CLI while Ray was unreachable, by SQL, by a restore), and stop
        the clients disabled since; returns how many were started. Part of
        every watch tick."""
        async with self.engine.connect() as conn:
            enabled = await placement.enabled_clients(conn)
        await self._release({p.client_id for p in enabled})
        new = [p for p in enabled if p.client_id not in self.host_of_]
        if not new:
            return 0
        async with self._agg_lock:
            new = [p for p in new if p.client_id not in self.host_of_]
            started = []
            for name, hosted in (await self._place(new)).items():
                log.info("starting %d new clients in %s", len(hosted), name)
                started.append(self._start_hosting(name, hosted))
        # loaded before the tick ends; a slow host finishes on its own (the
        # tasks go on: callers of those clients wait for them)
        _, slow = await asyncio.wait(started, timeout=PING_TIMEOUT_S) if started else ((), ())
        if slow:
            log.warning("new clients are still starting in %d hosts", len(slow))
        return len(new)

    async def _release(self, enabled: set[str]) -> None:
        """Tell each host to stop the clients it runs that are no longer
        enabled (their placement stays, for when they are enabled again)."""
        gone: dict[str, list[str]] = {}
        async with self._agg_lock:
            for client_id in [c for c in self.host_of_ if c not in enabled]:
                gone.setdefault(self.host_of_.pop(client_id), []).append(client_id)
                self.directory_.pop(client_id, None)
        for name, client_ids in gone.items():
            log.info("stopping %d disabled clients in %s", len(client_ids), name)
            self._host(name).handle.release.remote(client_ids)

    # --- moving a client --------------------------------------------------------

    async def move(
        self, client_id: str, placement_: str, resource: str | None = None
    ) -> dict[str, Any]:
        """Put a running client in another host: ``pooled`` (the first pool
        with room) or ``dedicated`` (its own actor). The old host refuses new
        calls for it and commits what it accepted; the directory is
        rewritten; the new host loads the client from the database (as after
        a restart: alerts, live state, deadlines re-armed). A new host (a
        dedicated actor, a new pool) is started before the client stops, so
        the pause is the hand-over, not a process start. Calls for the
        client wait meanwhile (their route waits, then goes to the new host).
        A dedicated host left empty is stopped. ``resource`` pins a
        dedicated client to the nodes offering that Ray resource (refused
        when no live node offers it). Returns where from and to, and how long
        the client could not be called."""
        if placement_ not in ("pooled", "dedicated"):
            raise InvalidInput("placement", "pooled or dedicated")
        if resource is not None:
            if placement_ != "dedicated":
                raise InvalidInput("resource", "only a dedicated client is pinned to a resource")
            if resource not in ray.cluster_resources():
                raise InvalidInput("resource", f"no node of the cluster offers {resource!r}")
        await self.aggregator_for(client_id)  # placed and running (NotFound, disabled: raised)
        async with self._agg_lock:
            old = self.host_of_[client_id]
            tenant_id = self.directory_[client_id]
            counts = Counter(h for c, h in self.host_of_.items() if c != client_id)
            new = self._choose(placement.Placed(client_id, tenant_id, placement_, None), counts)
            if new == old and resource == self.resource_of_.get(client_id):
                async with self.engine.begin() as conn:
                    await placement.set_placement(
                        conn, client_id=client_id, placement=placement_, resource=resource
                    )
                return {
                    "client_id": client_id,
                    "from": old,
                    "to": new,
                    "moved": False,
                    "paused_s": 0.0,
                }
            if new != old and new not in self.children:
                # A host that does not run yet (a dedicated actor, a new
                # pool) starts before the client stops: the client pauses
                # for the hand-over only, not for a process start.
                await self._start_host(new, resource)
            done = self._moving[client_id] = asyncio.Event()
            began = time.perf_counter()
            pinned_before = self.resource_of_.get(client_id)
            try:
                await self._let_go(old, client_id)
                if new == old:  # re-pinned: the same host's name, another actor
                    self._stop_host(old)
                    await self._gone(old)
                async with self.engine.begin() as conn:
                    await placement.set_placement(
                        conn, client_id=client_id, placement=placement_, resource=resource
                    )
                    await placement.set_host(conn, client_id=client_id, host=new)
                self.host_of_[client_id] = new
                if resource:
                    self.resource_of_[client_id] = resource
                else:
                    self.resource_of_.pop(client_id, None)
                await self._host(new).handle.host.remote([(client_id, tenant_id)])
                self._answered(new)
            except BaseException:
                # Back where it was: the directory still says so unless the
                # commit above went through, and then the new host loads it on
                # its first call.
                if self.host_of_[client_id] == old and pinned_before:
                    self.resource_of_[client_id] = pinned_before
                self._host(self.host_of_[client_id]).handle.host.remote([(client_id, tenant_id)])
                if new.startswith(names.AGGREGATOR_PREFIX) and new not in self.host_of_.values():
                    self._retiring[new] = time.monotonic() + self.settings.host_retire_s
                raise
            finally:
                del self._moving[client_id]
                done.set()
            paused = time.perf_counter() - began
            self._retiring.pop(new, None)
            if old.startswith(names.AGGREGATOR_PREFIX) and old not in self.host_of_.values():
                self._retiring[old] = time.monotonic() + self.settings.host_retire_s
        log.info("moved client %s from %s to %s in %.2fs", client_id, old, new, paused)
        return {
            "client_id": client_id,
            "from": old,
            "to": new,
            "moved": True,
            "paused_s": round(paused, 3),
        }

    async def _let_go(self, name: str, client_id: str) -> None:
        """Have host ``name`` stop running ``client_id`` before it moves. A
        host that cannot be reached for a moment (its process died and Ray
        is restarting it, or this process still holds its old address) is
        asked again until ``HOST_START_S``: releasing is idempotent, and
        moving on without it could leave the client with two writers. A host
        dead for good runs nothing, so it has nothing to release."""
        deadline = time.monotonic() + HOST_START_S
        while True:
            try:
                await self._host(name).handle.release.remote([client_id])
                return
            except ActorDiedError:
                log.warning("moving %s: its host %s is dead", client_id, name)
                return
            except ActorUnavailableError as err:
                if time.monotonic() > deadline:
                    raise
                log.info("moving %s: %s unreachable, asking again (%s)", client_id, name, err)
                await asyncio.sleep(0.25)

    async def load(self) -> list[dict[str, Any]]:
        """Every running client's load (its host's meter), with its placement
        and the suggestion for it: ``dedicate`` a pooled client at or above
        ``NOC_DEDICATE_ITEMS_PER_MIN`` items a minute, ``pool`` a dedicated
        one below a tenth of that. Busiest first."""
        hosts = [c for c in self.children.values() if c.kind in HOST_KINDS]
        answers = await asyncio.gather(
            *(asyncio.wait_for(c.handle.load.remote(), PING_TIMEOUT_S) for c in hosts),
            return_exceptions=True,
        )
        rows: list[dict[str, Any]] = []
        for child, answer in zip(hosts, answers, strict=True):
            if isinstance(answer, BaseException):
                log.warning("no load from %s: %r", child.name, answer)
                continue
            for row in answer:
                if self.host_of_.get(row["client_id"]) != child.name:
                    continue  # leaving (a move under way)
                placed = "dedicated" if child.kind == "aggregator" else "pooled"
                rows.append(
                    {
                        **row,
                        "placement": placed,
                        "suggestion": suggestion(
                            placed, row["items_per_min"], self.settings.dedicate_items_per_min
                        ),
                    }
                )
        return sorted(rows, key=lambda r: (-r["items_per_min"], r["client_id"]))

    def _retire(self) -> list[str]:
        """Stop the emptied dedicated hosts whose time has come (watch)."""
        now = time.monotonic()
        due = [n for n, at in self._retiring.items() if at <= now]
        for name in due:
            del self._retiring[name]
            if name not in self.host_of_.values():
                self._stop_host(name)
                log.info("stopped %s: no client left after a move", name)
        return due

    def _stop_host(self, name: str) -> None:
        """Stop a host for good; popped first, so the watch does not recreate it."""
        child = self.children.pop(name, None)
        if child is not None:
            ray.kill(child.handle, no_restart=True)

    async def _gone(self, name: str, timeout_s: float = 10.0) -> None:
        """Wait until Ray has let go of the name of a stopped actor."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                ray.get_actor(name, namespace=self.ns)
            except ValueError:
                return
            await asyncio.sleep(0.1)
        raise Unavailable(name, "still stopping")

    async def route(self, client_id: str) -> tuple[str, Any]:
        """(tenant_id, host handle) of a client, for the gateway."""
        handle = await self.aggregator_for(client_id)
        return self.directory_[client_id], handle

    def directory(self) -> dict[str, str]:
        return dict(self.directory_)

    def routes(self) -> dict[str, tuple[str, str]]:
        """``client -> (tenant_id, host name)`` of every placed client but
        those moving (their calls ask ``route``, which waits for the move):
        a gateway's whole routing table in one call."""
        return {
            c: (self.directory_[c], h)
            for c, h in self.host_of_.items()
            if c not in self._moving and c in self.directory_
        }

    # --- watching -----------------------------------------------------------------

    async def watch(self) -> None:
        """Ping every child; recreate the dead ones; count restarts; start
        the aggregators of clients enabled since the last tick."""
        self._retire()
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
            if child.kind in HOST_KINDS:
                await self._rehome(child)
            return
        if child.started_at is not None and info.get("started_at") != child.started_at:
            child.restarts += 1
        child.started_at = info.get("started_at")
        child.state, child.last_ok, child.details = "ALIVE", time.time(), info
        if child.kind in HOST_KINDS:  # a restarted host runs its clients again
            missing = [
                c
                for c in self._hosted(child.name)
                # a moving client has left its old host on purpose: hosting it
                # there again would give it two hosts
                if c[0] not in info["clients"] and c[0] not in self._moving
            ]
            if missing:
                child.handle.host.remote(missing)

    async def _rehome(self, child: Child) -> None:
        """A host that cannot come back where its role puts it: its resource
        is offered by no live node (the last pool or dedicated node is
        gone). With ``NOC_LOST_HOST=anywhere`` it is started again without
        the resource, on any node with room, and loads its clients there (it
        stays there until it next restarts or its clients move); with
        ``wait`` it stays pending until such a node joins."""
        if self.settings.lost_host != "anywhere" or child.anywhere:
            return
        role: Role = "dedicated" if child.kind == "aggregator" else "pool"
        needs = self._pinned(child.name) or role_resource(self.settings, role)
        if needs is None or needs in ray.cluster_resources():
            return  # Ray restarts it on a node offering the resource
        log.warning("no live node offers %s: starting %s on any node", needs, child.name)
        ray.kill(child.handle, no_restart=True)
        try:
            await self._gone(child.name)
        except Unavailable as err:  # the next watch finds it dead and recreates it
            log.warning("%s", err)
            return
        if self.children.get(child.name) is not child:
            return  # stopped on purpose meanwhile
        child.handle = self._create(
            ClientHost, child.name, role, child.name, self.settings, anywhere=True
        )
        child.anywhere, child.started_at = True, None
        child.restarts += 1
        child.handle.host.remote(self._hosted(child.name))

    def _recreate(self, child: Child) -> None:
        if self.children.get(child.name) is not child:
            return  # stopped on purpose meanwhile (an emptied dedicated host)
        log.warning("recreating dead actor %s", child.name)
        child.restarts += 1
        child.started_at, child.anywhere = None, False  # its role's resource again
        if child.kind in HOST_KINDS:
            role: Role = "dedicated" if child.kind == "aggregator" else "pool"
            child.handle = self._create(
                ClientHost,
                child.name,
                role,
                child.name,
                self.settings,
                resource=self._pinned(child.name),
            )
            # Make it load its clients now, not on their first requests.
            child.handle.host.remote(self._hosted(child.name))
        else:
            child.handle = self._singleton(child.kind)
            child.handle.ready.remote()

    async def health(self, ping: bool = True) -> SupervisorHealth:
        """Report every child: pinged now, or (``ping`` False) as the last
        watch saw it."""
        if not self._started:
            await self.start()
        if ping:
            await self.watch()
        views = [c.view([i for i, _ in self._hosted(c.name)]) for c in self.children.values()]
        jobs = [self.watch_loop.status(), self.archive_loop.status()]
        for view in views:  # the children's own loops (a host: its clients' late ones)
            jobs.extend(view["details"].get("jobs", []))
        return {
            "ok": all(v["state"] == "ALIVE" for v in views) and not any(j["late"] for j in jobs),
            "actors": sorted(views, key=lambda v: (v["kind"] != "hub", v["kind"], v["name"])),
            "jobs": jobs,
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
        self.host_of_.clear()
        self._started = False
        self._stopped = True
        await self.watch_loop.stop()
        await self.archive_loop.stop()
        return n
