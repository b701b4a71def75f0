"""The Python client API of the actor system — the only way the Serve app,
the CLI and tests talk to the NOC actors.

``start_system(settings)`` starts (or finds) the supervisor and every actor;
``NocClient`` routes each call to the actor that owns the data: ingest and
alert transitions to the host running the client's aggregate (single
writer; a pool of many clients or a dedicated actor — the caller never
sees which), one actor call per batch, and one per host for the calls of
one event-loop turn (``host_calls``).

Errors: domain errors raised in an actor (``InvalidTransition``,
``NotFound``, ``InvalidInput``) arrive as those types; an actor that is
dead or restarting raises ``Unavailable`` (HTTP 503: retry later).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Final, Literal

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, RayError

from noc_actors.actors import names
from noc_actors.actors.host import AggregatorStatus
from noc_actors.actors.host_calls import HostCalls
from noc_actors.actors.peers import HubPeer
from noc_actors.actors.process import actor_class
from noc_actors.actors.roles import role_options
from noc_actors.actors.status import SupervisorHealth, TimerStatus
from noc_actors.actors.supervisor import Supervisor
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.errors import (
    DomainError,
    NotFound,
    NotHosted,
    StorageUnavailable,
    Unavailable,
)
from noc_actors.domain.events import AnyEvent
from noc_actors.domain.hub_events import HubEvent, ReplayAnswer, StreamItem
from noc_actors.domain.incident import Incident
from noc_actors.runtime.types import TransitionResult
from noc_actors.settings import Settings

IngestKind = Literal["alerts", "events"]
IngestBatch = tuple[str, str, Sequence[Any], str | None]
"""``(tenant_id, client_id, items, batch_key)`` of ``NocClient.ingest_many``."""
_INGEST_METHODS: Final[dict[str, str]] = {"alerts": "ingest_alerts", "events": "ingest_events"}
_NOT_ANSWERED: Final = RuntimeError("no answer")


def start_system(settings: Settings, timeout_s: float = 120) -> NocClient:
    """Start every actor (a no-op when already running) and return a client.
    Needs ``ray.init`` first; blocks until the actors are ready."""
    sup = (
        actor_class(Supervisor)
        .options(
            name=names.SUPERVISOR,
            namespace=settings.ray_namespace,
            lifetime="detached",
            get_if_exists=True,
            **role_options(settings, "head"),
        )
        .remote(settings)
    )
    ray.get(sup.start.remote(), timeout=timeout_s)
    return NocClient(settings.ray_namespace, settings.route_ttl_s)


def stop_system(namespace: str = names.NAMESPACE) -> int:
    """Kill every NOC actor of the namespace; returns how many were stopped."""
    try:
        sup = ray.get_actor(names.SUPERVISOR, namespace=namespace)
    except ValueError:
        return 0
    n = int(ray.get(sup.stop.remote(), timeout=60))
    ray.kill(sup, no_restart=True)
    return n + 1


class NocClient:
    """Routes calls to the NOC actors of one Ray namespace. Cheap to create;
    caches host handles and forgets them after a failure."""

    def __init__(self, namespace: str = names.NAMESPACE, route_ttl_s: float = 5.0) -> None:
        self.namespace = namespace
        self.route_ttl_s = route_ttl_s
        self._supervisor: Any = None
        self._table: dict[str, tuple[str, str]] = {}
        """client -> (tenant, host name): the supervisor's routing table, all
        of it asked again every ``route_ttl_s`` (one call, however many
        clients; a moved client's old host retires after longer)."""
        self._table_at = -float("inf")
        self._refreshing: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
        self._direct: dict[str, tuple[str, Any, float]] = {}
        """client -> (tenant, host handle, when asked): clients routed one by
        one (new, moving, or whose host failed a call), for ``route_ttl_s``."""
        self._hosts: dict[str, Any] = {}
        """host name -> its actor handle."""
        self._hub = HubPeer(namespace)
        self._calls = HostCalls()

    def supervisor(self) -> Any:
        if self._supervisor is None:
            try:
                self._supervisor = ray.get_actor(names.SUPERVISOR, namespace=self.namespace)
            except ValueError as err:
                raise Unavailable(names.SUPERVISOR, "the NOC is not running") from err
        return self._supervisor

    def _actor(self, name: str) -> Any:
        try:
            return ray.get_actor(name, namespace=self.namespace)
        except ValueError as err:
            raise Unavailable(name, "not running") from err

    async def _ask(self, name: str, method: str, *args: Any) -> Any:
        """Call a singleton actor; any Ray failure (dead, restarting, crashed
        inside) arrives as ``Unavailable``, so callers never see Ray's errors."""
        try:
            return await getattr(self._actor(name), method).remote(*args)
        except RayError as err:
            if isinstance(err, DomainError):
                raise
            raise Unavailable(name, _first_line(err)) from err

    async def _route(self, tenant_id: str, client_id: str) -> Any:
        now = time.monotonic()
        direct = self._direct.get(client_id)
        if direct is not None and now - direct[2] <= self.route_ttl_s:
            owner, handle = direct[0], direct[1]
        else:
            if now - self._table_at > self.route_ttl_s:
                await self._refresh_table()
            entry = self._table.get(client_id)
            if entry is None:  # not placed yet, or moving: ask for this one
                owner, handle = await self._ask_route(client_id)
                self._direct[client_id] = (owner, handle, time.monotonic())
            else:
                owner, host = entry
                self._direct.pop(client_id, None)
                handle = self._hosts.get(host)
                if handle is None:
                    try:
                        handle = self._host_handle(host)
                    except Unavailable:
                        # Placed a moment ago: its host's actor is not
                        # registered under its name yet (or is being
                        # recreated). The supervisor answers once it runs
                        # the client.
                        owner, handle = await self._ask_route(client_id)
                        self._direct[client_id] = (owner, handle, time.monotonic())
        if owner != tenant_id:
            raise NotFound("client", client_id)
        return handle

    async def _ask_route(self, client_id: str) -> tuple[str, Any]:
        try:
            owner, handle = await self.supervisor().route.remote(client_id)
        except RayActorError as err:
            self._supervisor = None
            raise Unavailable(names.SUPERVISOR, str(err).splitlines()[0]) from err
        return owner, handle

    def _host_handle(self, host: str) -> Any:
        self._hosts[host] = handle = self._actor(host)
        return handle

    async def _refresh_table(self) -> None:
        """The routing table asked again — once for every caller waiting on
        it in this event loop."""
        loop = asyncio.get_running_loop()
        if self._refreshing is None or self._refreshing[0] is not loop:
            self._refreshing = (loop, loop.create_task(self._fetch_table()))
        task = self._refreshing[1]
        try:
            await asyncio.shield(task)
        finally:
            if task.done() and self._refreshing is not None and self._refreshing[1] is task:
                self._refreshing = None

    async def _fetch_table(self) -> None:
        try:
            table = await self.supervisor().routes.remote()
        except RayActorError as err:
            self._supervisor = None
            raise Unavailable(names.SUPERVISOR, str(err).splitlines()[0]) from err
        self._table, self._table_at = dict(table), time.monotonic()

    def _forget(self, client_id: str) -> None:
        """Route this client one by one from now on until the next table
        (its host failed or refused a call)."""
        self._direct.pop(client_id, None)
        entry = self._table.pop(client_id, None)
        if entry is not None:
            self._hosts.pop(entry[1], None)

    async def _call(
        self, tenant_id: str, client_id: str, method: str, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return await self._call_once(tenant_id, client_id, method, *args, **kwargs)
        except NotHosted:
            # The client moved (or is moving): nothing was applied where the
            # call went. Its route now waits for the move; go there once.
            return await self._call_once(tenant_id, client_id, method, *args, **kwargs)

    async def _call_once(
        self, tenant_id: str, client_id: str, method: str, *args: Any, **kwargs: Any
    ) -> Any:
        handle = await self._route(tenant_id, client_id)
        answer = await self._calls.submit(handle, method, client_id, args, kwargs)
        return self._answered(client_id, answer)

    def _answered(self, client_id: str, answer: tuple[bool, Any]) -> Any:
        """A host's answer for ``client_id``: its value, or its error raised —
        a dead or restarting host as ``Unavailable`` (its route forgotten)."""
        ok, value = answer
        if ok:
            return value
        if isinstance(value, ActorDiedError | ActorUnavailableError | RayActorError):
            self._forget(client_id)
            raise Unavailable(
                f"the host of client {client_id}", str(value).splitlines()[0] if str(value) else ""
            ) from value
        if isinstance(value, Unavailable) and not isinstance(value, StorageUnavailable):
            self._forget(client_id)  # e.g. the host no longer runs this client: route again
        raise value

    # --- ingest -------------------------------------------------------------------

    async def ingest_alerts(
        self,
        tenant_id: str,
        client_id: str,
        drafts: Sequence[AlertDraft],
        batch_key: str | None = None,
    ) -> IngestReport:
        """One batch of alerts of one client: one actor call, one transaction.
        With a ``batch_key`` the batch is applied at most once: a retry with
        the same key gets the first answer back (``"replayed": True``)."""
        report: IngestReport = await self._call(
            tenant_id, client_id, "ingest_alerts", list(drafts), batch_key
        )
        return report

    async def ingest_events(
        self,
        tenant_id: str,
        client_id: str,
        events: Sequence[AnyEvent],
        batch_key: str | None = None,
    ) -> IngestReport:
        """One batch of platform events of one client (``batch_key``: as above)."""
        report: IngestReport = await self._call(
            tenant_id, client_id, "ingest_events", list(events), batch_key
        )
        return report

    async def ingest_many(
        self, kind: IngestKind, batches: Sequence[IngestBatch]
    ) -> list[IngestReport | Exception]:
        """Batches of many clients at once (``kind``: ``alerts`` or
        ``events``; each batch ``(tenant_id, client_id, items, batch_key)``),
        one actor message per host — what ``ingest_alerts`` /
        ``ingest_events`` called for each client concurrently would do,
        without a coroutine and a task per client. Per batch, in order, its
        report or the error that call would have raised."""
        method = _INGEST_METHODS[kind]
        out: list[IngestReport | Exception] = []
        sent: list[tuple[int, asyncio.Future[tuple[bool, Any]]]] = []
        for i, (tenant_id, client_id, items, key) in enumerate(batches):
            try:
                handle = await self._route(tenant_id, client_id)
            except Exception as err:  # noqa: BLE001 - this batch's own answer
                out.append(err)
                continue
            out.append(_NOT_ANSWERED)
            sent.append((i, self._calls.submit(handle, method, client_id, (list(items), key))))
        for i, answer in sent:
            tenant_id, client_id, items, key = batches[i]
            try:
                out[i] = self._answered(client_id, await answer)
            except NotHosted:  # moved: nothing was applied there; once more, as _call does
                try:
                    out[i] = await self._call_once(tenant_id, client_id, method, list(items), key)
                except Exception as err:  # noqa: BLE001 - this batch's own answer
                    out[i] = err
            except Exception as err:  # noqa: BLE001 - this batch's own answer
                out[i] = err
        return out

    async def resolve_keys(
        self, tenant_id: str, client_id: str, keys: Sequence[str], by: str | None = None
    ) -> list[str]:
        """Resolve the open alerts of these dedup keys; the keys that had one."""
        resolved: list[str] = await self._call(tenant_id, client_id, "resolve_keys", list(keys), by)
        return resolved

    # --- transitions --------------------------------------------------------------

    async def transition(
        self,
        tenant_id: str,
        client_id: str,
        action: str,
        alert_ids: Sequence[str],
        user_id: str,
        **ctx: Any,
    ) -> TransitionResult:
        """acknowledge / assign / escalate / resolve through the owning
        aggregator: ``{"done": [...], "errors": {id: DomainError}}``."""
        result: TransitionResult = await self._call(
            tenant_id, client_id, "transition", action, list(alert_ids), user_id, **ctx
        )
        return result

    async def acknowledge(
        self, tenant_id: str, client_id: str, alert_id: str, user_id: str, **ctx: Any
    ) -> dict[str, Any]:
        """Acknowledge one alert; raises its error (409/404) instead of listing it."""
        return self._single(
            await self.transition(tenant_id, client_id, "acknowledge", [alert_id], user_id, **ctx),
            alert_id,
        )

    async def resolve(
        self, tenant_id: str, client_id: str, alert_id: str, user_id: str, **ctx: Any
    ) -> dict[str, Any]:
        return self._single(
            await self.transition(tenant_id, client_id, "resolve", [alert_id], user_id, **ctx),
            alert_id,
        )

    @staticmethod
    def _single(result: TransitionResult, alert_id: str) -> dict[str, Any]:
        if alert_id in result["errors"]:
            raise result["errors"][alert_id]
        return result["done"][0]

    # --- maintenance, config, snapshots -------------------------------------------

    async def reload_client(self, tenant_id: str, client_id: str) -> None:
        """Policy, windows or contacts changed: the aggregator re-reads them."""
        await self._call(tenant_id, client_id, "reload")

    async def incident_changed(self, incident: Incident) -> None:
        """An operator created or changed an incident (stored already): its
        client's incident rule takes it into account from now on."""
        await self._call(incident.tenant_id, incident.client_id, "incident_changed", incident)

    async def tick(self, tenant_id: str, client_id: str) -> IngestReport:
        """Run the clock rules now (the periodic loop does this on its own)."""
        report: IngestReport = await self._call(tenant_id, client_id, "tick")
        return report

    async def take_snapshot(self, tenant_id: str, client_id: str) -> dict[str, Any] | None:
        """Take and store the client's snapshot now: its metrics, or None
        (disabled, or under full maintenance)."""
        metrics: dict[str, Any] | None = await self._call(tenant_id, client_id, "take_snapshot")
        return metrics

    async def aggregator_status(self, tenant_id: str, client_id: str) -> AggregatorStatus:
        status: AggregatorStatus = await self._call(tenant_id, client_id, "status")
        return status

    # --- system -------------------------------------------------------------------

    async def health(self, ping: bool = True) -> SupervisorHealth:
        """Every actor as the supervisor sees it: pinged now, or (``ping``
        False: cheap) as its last watch saw it, at most a watch interval ago."""
        health: SupervisorHealth = await self._ask(names.SUPERVISOR, "health", ping)
        return health

    async def place(
        self, tenant_id: str, client_id: str, placement: str, resource: str | None = None
    ) -> dict[str, Any]:
        """Move a running client of ``tenant_id`` to a ``pooled`` or
        ``dedicated`` host — a dedicated one on the nodes offering
        ``resource`` if given (its calls wait meanwhile; nothing is lost or
        applied twice); where from and to, and the seconds it was paused."""
        await self._route(tenant_id, client_id)  # NotFound for another tenant's
        moved: dict[str, Any] = await self._ask(
            names.SUPERVISOR, "move", client_id, placement, resource
        )
        self._forget(client_id)
        return moved

    async def load(self) -> list[dict[str, Any]]:
        """Every running client's load and the suggestion for it (operators:
        ``noc status --load``), busiest first."""
        return list(await self._ask(names.SUPERVISOR, "load"))

    async def open_client(self, client_id: str) -> float:
        """Start a new or newly enabled client's aggregator now (so its first
        request does not wait for a process); seconds it took, 0 if it ran."""
        return float(await self._ask(names.SUPERVISOR, "open_client", client_id))

    async def backpressure_levels(self) -> dict[str, str]:
        return dict(await self._ask(names.BACKPRESSURE, "levels"))

    async def report_queue(self, replica_id: str, depth: int, capacity: int) -> dict[str, str]:
        """Report a replica's ingest queue; the tenants' backpressure levels back."""
        return dict(
            await self._ask(names.BACKPRESSURE, "report_queue", replica_id, depth, capacity)
        )

    async def timer_status(self) -> TimerStatus:
        status: TimerStatus = await self._ask(names.ESCALATION_TIMER, "status")
        return status

    # --- events -------------------------------------------------------------------

    async def replay(self, tenant_id: str, after_seq: int) -> ReplayAnswer:
        """The tenant's events after ``after_seq`` still in the hub's ring."""
        answer: ReplayAnswer = await self._ask(names.BROADCAST_HUB, "replay", tenant_id, after_seq)
        return answer

    async def last_seq(self, tenant_id: str) -> int:
        """The tenant's latest event sequence number at the hub."""
        return int(await self._ask(names.BROADCAST_HUB, "last_seq", tenant_id))

    def publish(self, events: list[HubEvent]) -> None:
        """Push events to every dashboard (fire and forget: a hub that is
        restarting misses them, and its subscribers see the gap)."""
        self._hub.publish(events)

    async def subscribe(
        self, subscriber_id: str | None = None, retry_s: float = 0.5
    ) -> AsyncIterator[list[StreamItem]]:
        """Batches of hub events, forever. When the hub restarts the
        subscription is made again; the first batch of every subscription is
        ``[{"type": "subscribed", ...}]`` and sequence numbers jump, so the
        consumer can detect the gap (and ask ``replay`` or resync)."""
        sid = subscriber_id or f"sub-{uuid.uuid4().hex[:8]}"
        while True:
            try:
                gen = self._actor(names.BROADCAST_HUB).subscribe.remote(sid)
                async for ref in gen:
                    yield await ref
            except (RayActorError, Unavailable):
                await asyncio.sleep(retry_s)
            except asyncio.CancelledError:
                raise


def _first_line(err: BaseException) -> str:
    text = str(err)
    return text.splitlines()[0] if text else type(err).__name__
