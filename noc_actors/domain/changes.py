"""What one operation on a client's aggregate changed (``Changes``), shaped for
one batched write, and the typed answer of an ingest batch (``IngestReport``)
that crosses Ray, is stored with idempotent batches and becomes the HTTP answer.
The hub events an operation publishes are built by ``noc_actors.domain.hub_events``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from noc_actors.domain.alert import Alert
from noc_actors.domain.audit import SYSTEM_ACTOR, AuditEntry
from noc_actors.domain.book import IngestResult, Outcome
from noc_actors.domain.enums import AlertStatus, AuditAction
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.hub_events import HubEvent, alert_event, incident_event
from noc_actors.domain.incident_rule import IncidentChange
from noc_actors.domain.snapshot import MetricSnapshot


class ItemReport(TypedDict):
    """What happened to item ``index`` of an ingest batch (or, for platform
    events, to the n-th alert the rules raised)."""

    index: int
    outcome: str
    """``created``, ``folded`` or ``suppressed`` (``noc_actors.domain.book.Outcome``)."""
    alert_id: str
    dedup_key: str
    reason: str | None


class IngestReport(TypedDict):
    """The answer of one ingest batch of one client: per item, and totals."""

    items: list[ItemReport]
    created: int
    folded: int
    suppressed: int
    resolved: int
    replayed: NotRequired[bool]
    """True when this is the stored answer of a batch applied before (same
    ``batch_key``): nothing was applied again."""


@dataclass(slots=True)
class Changes:
    """Effects of one aggregator operation, shaped for one batched write."""

    ingest: IngestResult = field(default_factory=IngestResult)
    updated: dict[str, Alert] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    arm: list[Deadline] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)
    events: list[HubEvent] = field(default_factory=list)
    state_changed: bool = False
    snapshot: MetricSnapshot | None = None
    """A metric snapshot to store (one row per client and window start)."""
    claims: list[Deadline] = field(default_factory=list)
    """Escalation levels these changes fire: each must be claimed in the
    database (the fencing token) in the transaction that stores them."""
    incidents: list[IncidentChange] = field(default_factory=list)
    """Incidents the correlation rule opened, or alerts it linked to one."""

    def merge(self, other: Changes) -> None:
        """Fold ``other`` (a later operation) into this one."""
        self.ingest.items.extend(other.ingest.items)
        for alert in other.ingest.inserted:
            self.ingest.insert(alert)
        for alert in other.ingest.folded.values():
            self.ingest.touch(alert)
        self.ingest.flapped.update(other.ingest.flapped)
        self.updated.update(other.updated)
        self.audit.extend(other.audit)
        self.arm.extend(other.arm)
        self.cancel.extend(other.cancel)
        self.events.extend(other.events)
        self.state_changed = self.state_changed or other.state_changed
        self.snapshot = other.snapshot or self.snapshot
        self.claims.extend(other.claims)
        self.incidents.extend(other.incidents)

    def record(
        self,
        alert: Alert,
        action: str,
        actor: str,
        audit_action: AuditAction,
        now: datetime,
        meta: dict[str, Any] | None = None,
        source_ip: str | None = None,
        correlation_id: str | None = None,
        push: bool = True,
        user_agent: str | None = None,
    ) -> None:
        """A transition of ``alert``: store it, push ``alert_updated`` (unless
        ``push`` is False: its ``alert_new`` shows the state), audit it, and
        cancel its escalation once it no longer awaits an ack."""
        self.updated[alert.id] = alert
        if push:
            self.events.append(alert_event("alert_updated", alert, action))
        self.audit.append(
            AuditEntry(
                tenant_id=alert.tenant_id,
                actor_id=actor,
                action=audit_action,
                entity_type="alert",
                entity_id=alert.id,
                at=now,
                metadata=meta or {},
                source_ip=source_ip,
                user_agent=user_agent,
                correlation_id=correlation_id,
            )
        )
        if not alert.awaiting_ack:
            self.cancel.append(alert.id)

    def record_incident(self, change: IncidentChange, now: datetime) -> None:
        """The rule opened an incident (``incident_new``, audited as created
        by the system) or linked alerts to its open one (``incident_updated``
        with action ``link``, audited with the alerts)."""
        incident = change.incident
        self.incidents.append(change)
        if change.created:
            action = AuditAction.INCIDENT_CREATE
            meta: dict[str, Any] = {
                "alert_ids": list(change.added),
                "severity": incident.severity.value,
                "priority": incident.priority,
                "client_id": incident.client_id,
                "rule": incident.source,
            }
            self.events.append(incident_event("incident_new", incident, "create"))
        else:
            action = AuditAction.INCIDENT_LINK
            meta = {"alert_ids": list(change.added), "rule": incident.source}
            added = list(change.added)
            self.events.append(incident_event("incident_updated", incident, "link", added))
        self.audit.append(
            AuditEntry(
                tenant_id=incident.tenant_id,
                actor_id=SYSTEM_ACTOR,
                action=action,
                entity_type="incident",
                entity_id=incident.id,
                at=now,
                metadata=meta,
            )
        )

    @property
    def empty(self) -> bool:
        return not (
            self.ingest.inserted
            or self.ingest.folded
            or self.updated
            or self.audit
            or self.state_changed
            or self.snapshot is not None
            or self.incidents
        )

    def report(self) -> IngestReport:
        """The ingest answer: per item, plus created / folded / suppressed
        totals and how many alerts this operation resolved."""
        ingest = self.ingest
        counts = ingest.tally()
        return {
            "items": [
                {
                    "index": i.index,
                    "outcome": i.outcome.value,
                    "alert_id": i.alert_id,
                    "dedup_key": i.dedup_key,
                    "reason": i.reason,
                }
                for i in ingest.items
            ],
            "created": counts[Outcome.CREATED],
            "folded": counts[Outcome.FOLDED],
            "suppressed": counts[Outcome.SUPPRESSED],
            "resolved": sum(1 for a in self.updated.values() if a.status is AlertStatus.RESOLVED),
        }
