"""What a ``ClientRuntime`` talks to, as small protocols (one or two methods
each, like Alertmanager's ``Muter`` and ``Notifier``), with the plain values
and errors that cross them (defined in ``noc_actors.domain.commit``, below the
storage layer that implements ``ClientStore``; re-exported here).

A host builds the real collaborators once per process (a SQL store on one
engine, the hub and timer gateways, the Redis invalidator, the system clock,
one metrics object) and hands the same ones to every runtime it hosts; every
call names its tenant and client. Implementations: ``memory_store`` and
``clock`` here, ``noc_actors.store.client_store`` (SQL) and
``noc_actors.actors.peers`` (Ray) outside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol

from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.commit import (
    ClaimLost,
    Commit,
    DuplicateBatch,
    LoadedClient,
    StoreConflict,
)
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.hub_events import HubEvent

__all__ = [
    "ClaimLost",
    "ClientStore",
    "Clock",
    "Commit",
    "CounterName",
    "DuplicateBatch",
    "HubPort",
    "Invalidator",
    "LoadedClient",
    "MetricsSink",
    "StoreConflict",
    "Tags",
    "TimerPort",
]

Tags = Mapping[str, str]
CounterName = Literal["ingested", "created", "folded", "suppressed", "escalated"]


class ClientStore(Protocol):
    """Where a client's hard state lives."""

    async def load(self, tenant_id: str, client_id: str, now: datetime) -> LoadedClient:
        """The client's context, open alerts, recent alerts and live state
        (``NotFound`` for an unknown tenant or client)."""
        ...

    async def commit(self, commit: Commit) -> None:
        """Store ``commit`` in one transaction (see ``Commit``)."""
        ...

    async def stored_batch(self, client_id: str, batch_key: str) -> IngestReport | None:
        """The answer stored with an ingest batch, or None."""
        ...

    async def alerts(self, tenant_id: str, alert_ids: Sequence[str]) -> list[Alert]:
        """The tenant's alerts among ``alert_ids``, of any status."""
        ...


class HubPort(Protocol):
    """The broadcast hub: fire and forget (a missed event shows as a gap)."""

    def publish(self, events: Sequence[HubEvent]) -> None: ...


class TimerPort(Protocol):
    """The escalation timer: fire and forget (it rebuilds from the store)."""

    def arm(self, deadlines: Sequence[Deadline]) -> None: ...

    def cancel(self, alert_ids: Sequence[str]) -> None: ...


class Invalidator(Protocol):
    """The read cache: bump a client's version after a committed alert
    change. Best effort — the runtime logs and ignores its failures."""

    async def bump(self, tenant_id: str, client_id: str) -> None: ...

    async def bump_many(self, clients: Sequence[tuple[str, str]]) -> None:
        """``bump`` for each ``(tenant_id, client_id)``, in one round trip."""
        ...


class Clock(Protocol):
    """Where a runtime gets ``now`` (aware UTC)."""

    def now(self) -> datetime: ...


class MetricsSink(Protocol):
    """One per process, shared by every runtime; counts and gauges carry the
    runtime's ``tenant`` and ``client`` tags."""

    def count(self, name: CounterName, n: int, tags: Tags) -> None: ...

    def open_alerts(self, by_severity: Mapping[str, int], tags: Tags) -> None: ...

    def commit_seconds(self, seconds: float) -> None:
        """One commit of the process: a client's operation, or the joint
        ingest of many clients (``ingest_together``) — how long applying
        and storing it took. Per client, the runtime's load meter keeps
        its own batch times."""
        ...
