"""One gateway per peer (STYLE 2): the only places that call ``.remote()`` on
another NOC actor. Handles are looked up by name lazily and looked up again
after a failure, so a restarted peer is found without restarting the caller."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import ray

from noc_actors.actors import names
from noc_actors.domain.escalation import Deadline

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

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
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
        return await self.handle().aggregator_for.remote(client_id)
