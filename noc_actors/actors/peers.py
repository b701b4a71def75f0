"""One gateway per peer (STYLE 2): the only places that call ``.remote()`` on
another NOC actor. Handles are looked up by name lazily and looked up again
after a failure, so a restarted peer is found without restarting the caller.

``HubPeer`` and ``TimerPeer`` are the ``HubPort`` and ``TimerPort`` of client
runtimes; ``AggregatorsPeer`` is how the timer and the backpressure
controller reach the clients' aggregates (in the hosts the supervisor names;
the calls of one event-loop turn for one host leave in one message)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import ray

from noc_actors.actors import names
from noc_actors.actors.host_calls import HostCalls
from noc_actors.domain.enums import BackpressureLevel
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.hub_events import HubEvent

log = logging.getLogger(__name__)


class Peer:
    """A named actor in the NOC namespace, looked up on first use."""

    def __init__(self, name: str, namespace: str) -> None:
        self.name = name
        self.namespace = namespace
        self._handle: Any = None

    def handle(self) -> Any:
        if self._handle is None:
            self._handle = ray.get_actor(self.name, namespace=self.namespace)
        return self._handle

    def reset(self) -> None:
        self._handle = None

    def fire(self, method: str, *args: Any) -> None:
        """Call without waiting (the peer rebuilds from the database if it
        misses this call while restarting)."""
        try:
            getattr(self.handle(), method).remote(*args)
        except Exception as err:  # noqa: BLE001 - peer missing or restarting
            self.reset()
            log.warning("could not reach %s.%s: %s", self.name, method, err)


class HubPeer(Peer):
    def __init__(self, namespace: str) -> None:
        super().__init__(names.BROADCAST_HUB, namespace)

    def publish(self, events: Sequence[HubEvent]) -> None:
        if events:
            self.fire("publish", list(events))


class TimerPeer(Peer):
    def __init__(self, namespace: str) -> None:
        super().__init__(names.ESCALATION_TIMER, namespace)

    def arm(self, deadlines: Sequence[Deadline]) -> None:
        if deadlines:
            self.fire("arm", list(deadlines))

    def cancel(self, alert_ids: Sequence[str]) -> None:
        if alert_ids:
            self.fire("cancel", list(alert_ids))


class SupervisorPeer(Peer):
    def __init__(self, namespace: str) -> None:
        super().__init__(names.SUPERVISOR, namespace)

    async def aggregator(self, client_id: str) -> Any:
        """The host that runs the client (its calls name the client first)."""
        return await self.handle().aggregator_for.remote(client_id)

    async def directory(self) -> dict[str, str]:
        """client_id -> tenant_id of every aggregator it runs."""
        return dict(await self.handle().directory.remote())


class AggregatorsPeer:
    """Every client's aggregate, in the host the supervisor names (which it
    starts on first demand). A handle is forgotten after any failure, so the next
    call routes again (the aggregator may have been recreated). Failures are
    raised: the caller decides whether to retry."""

    def __init__(self, namespace: str) -> None:
        self.supervisor = SupervisorPeer(namespace)
        self._handles: dict[str, Any] = {}
        self._calls = HostCalls()

    async def _call(self, client_id: str, method: str, *args: Any) -> Any:
        try:
            handle = self._handles.get(client_id)
            if handle is None:
                handle = await self.supervisor.aggregator(client_id)
                self._handles[client_id] = handle
            return await self._calls.call(handle, method, client_id, args)
        except Exception:
            self._handles.pop(client_id, None)
            self.supervisor.reset()
            raise

    async def escalate_all_due(self, client_id: str, deadlines: Sequence[Deadline]) -> list[bool]:
        """One call for a client's due deadlines; per deadline, whether it fired."""
        return [bool(b) for b in await self._call(client_id, "escalate_all_due", list(deadlines))]

    async def set_backlog(self, client_id: str, others: int, forced: bool) -> None:
        await self._call(client_id, "set_backlog", others, forced)

    async def sweep(self, client_id: str, level: BackpressureLevel, limit: int) -> int:
        """How many stale NEW INFO alerts the client suppressed."""
        return int(await self._call(client_id, "sweep", level, limit))

    async def directory(self) -> dict[str, str]:
        """client_id -> tenant_id of every running aggregator."""
        try:
            return await self.supervisor.directory()
        except Exception:
            self.supervisor.reset()
            raise
