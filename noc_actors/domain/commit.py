"""What crosses between a client runtime and the store that holds its hard
state: the state a runtime rebuilds from (``LoadedClient``), one operation's
changes to store in one transaction (``Commit``), and how a store refuses a
commit (``StoreConflict``, ``DuplicateBatch``, ``ClaimLost``). Plain values, so
the storage layer implements the runtime's ``ClientStore`` protocol
(``noc_actors.runtime.ports``) without importing the runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import Changes, IngestReport
from noc_actors.domain.context import ClientContext
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.incident import Incident


@dataclass(frozen=True, slots=True)
class LoadedClient:
    """Everything a runtime rebuilds its core from."""

    context: ClientContext
    open_alerts: list[Alert]
    recent: list[Alert] = field(default_factory=list)
    """Alerts of any status first seen within the correlation window."""
    live_state: dict[str, Any] | None = None
    incidents: list[Incident] = field(default_factory=list)
    """The client's open incidents, with their alert ids."""
    inhibited: list[Alert] = field(default_factory=list)
    """SUPPRESSED rows an open alert of the client inhibits (``inhibited by
    <id>``), to hold again until their source closes."""


@dataclass(frozen=True, slots=True)
class Commit:
    """The changes of one or more operations (a group commit), to store in ONE
    transaction, all or nothing.

    Each of ``batches`` = (key, answer) stores an ingest answer under its key
    (a key stored before raises ``DuplicateBatch``). Each of ``claims`` claims
    escalation level ``claim.level`` of ``claim.alert_id`` first (the fencing
    token: it succeeds once per alert and level, and only while the alert
    awaits acknowledgement); if one cannot be claimed nothing is stored and
    ``ClaimLost`` is raised. ``live_state`` replaces the client's saved live
    state."""

    tenant_id: str
    client_id: str
    now: datetime
    changes: Changes
    batches: tuple[tuple[str, IngestReport], ...] = ()
    claims: tuple[Deadline, ...] = ()
    live_state: dict[str, Any] | None = None


class StoreConflict(Exception):
    """The store refused a write that breaks one of its rules (a second open
    alert for a dedup key, a duplicate id): nothing was stored."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)


class DuplicateBatch(StoreConflict):
    """An ingest batch with this key was already stored (a concurrent retry)."""

    def __init__(self, batch_key: str) -> None:
        self.batch_key = batch_key
        super().__init__(f"ingest batch {batch_key!r} is already stored")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.batch_key,))


class ClaimLost(Exception):
    """Someone else already claimed this escalation level (or the alert no
    longer awaits acknowledgement): nothing was stored."""

    def __init__(self, alert_id: str, level: int) -> None:
        self.alert_id = alert_id
        self.level = level
        super().__init__(f"escalation level {level} of alert {alert_id} was already claimed")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.alert_id, self.level))
