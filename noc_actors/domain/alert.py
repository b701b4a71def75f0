"""The alert and its status machine (SPEC section 3).

NEW -> ACKNOWLEDGED -> ASSIGNED -> RESOLVED, plus ESCALATED (an unacknowledged
alert past its deadline) and SUPPRESSED (shed by backpressure or maintenance).
Every transition takes ``now``; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from noc_actors.domain.enums import OPEN_STATUSES, AlertStatus, Severity
from noc_actors.domain.errors import InvalidTransition

_CLOSED = (AlertStatus.RESOLVED, AlertStatus.SUPPRESSED)
FLAP_FIRING = "firing"
FLAP_RESOLVED = "resolved"


@dataclass(slots=True)
class Alert:
    """One alert. ``dedup_key`` folds repeats; ``correlation_id`` groups kin."""

    id: str
    tenant_id: str
    client_id: str
    alert_type: str
    severity: Severity
    message: str
    dedup_key: str
    first_seen: datetime
    last_seen: datetime
    site_id: str | None = None
    status: AlertStatus = AlertStatus.NEW
    entity_type: str | None = None
    entity_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    suppressed_count: int = 0
    source: str = "platform"
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    assigned_at: datetime | None = None
    assigned_to: str | None = None
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    escalation_level: int = 0
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_notes: str | None = None
    suppression_reason: str | None = None
    flapping: str | None = None
    """While its dedup key keeps resolving and re-opening (``domain.flapping``)
    one alert holds the cycles: ``firing`` (opened last) or ``resolved``
    (its source said resolved last; it stays open until the key settles).
    Not escalated by the timer while flapping; None otherwise."""
    flap_count: int = 0
    """How many times its key opened in the flap (kept after it settles)."""
    shelved_until: datetime | None = None
    """An operator shelved it until then: hidden from the default board and
    not escalated before (``shelve``)."""
    shelved_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def time_to_ack(self) -> float | None:
        """Seconds from first_seen to acknowledgement."""
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.first_seen).total_seconds()

    @property
    def time_to_resolve(self) -> float | None:
        """Seconds from first_seen to resolution."""
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.first_seen).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        # Hand-rolled: dataclasses.asdict deep-copies and dominated ingest time.
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["metadata"] = dict(self.metadata)
        d["time_to_ack"] = self.time_to_ack
        d["time_to_resolve"] = self.time_to_resolve
        return d

    def to_json(self) -> dict[str, Any]:
        """``to_dict`` with plain JSON types (ISO-8601 times, enum values)."""
        d = self.to_dict()
        for name in _TIME_FIELDS:
            value = d[name]
            if value is not None:
                d[name] = value.isoformat()
        d["severity"] = self.severity.value
        d["status"] = self.status.value
        return d

    # --- transitions -----------------------------------------------------

    def _refuse_if_closed(self, action: str) -> None:
        if self.status in _CLOSED:
            raise InvalidTransition(self.id, self.status, action)

    def fold(self, now: datetime) -> None:
        """A repeat of this (open) alert arrived: count it, bump last_seen."""
        if not self.is_open:
            raise InvalidTransition(self.id, self.status, "fold")
        self.suppressed_count += 1
        if now > self.last_seen:
            self.last_seen = now

    def acknowledge(self, user_id: str, now: datetime) -> None:
        self._refuse_if_closed("acknowledge")
        if self.acknowledged_at is not None and self.status != AlertStatus.ESCALATED:
            raise InvalidTransition(self.id, self.status, "acknowledge")
        self.status = AlertStatus.ACKNOWLEDGED
        self.acknowledged_at = now
        self.acknowledged_by = user_id

    def assign(self, assignee: str, now: datetime, by: str | None = None) -> None:
        self._refuse_if_closed("assign")
        if self.acknowledged_at is None:
            # Assigning implies someone has looked at it.
            self.acknowledged_at = now
            self.acknowledged_by = by or assignee
        self.status = AlertStatus.ASSIGNED
        self.assigned_at = now
        self.assigned_to = assignee

    def escalate(self, target: str | None, now: datetime) -> int:
        """Raise the escalation level by one; returns the new level.

        Manual escalation is allowed from any open status; the timer only
        escalates alerts that are still unacknowledged (see ``escalation``)."""
        self._refuse_if_closed("escalate")
        self.status = AlertStatus.ESCALATED
        self.escalation_level += 1
        self.escalated_at = now
        self.escalated_to = target
        return self.escalation_level

    def resolve(self, user_id: str | None, now: datetime, notes: str | None = None) -> None:
        self._refuse_if_closed("resolve")
        self.status = AlertStatus.RESOLVED
        self.resolved_at = now
        self.resolved_by = user_id
        self.resolution_notes = notes

    def shelve(self, user_id: str, until: datetime, now: datetime) -> None:
        """Hide it and hold its escalation until ``until`` (a new shelf
        replaces the old one)."""
        self._refuse_if_closed("shelve")
        if until <= now:
            raise InvalidTransition(self.id, self.status, "shelve into the past")
        self.shelved_until, self.shelved_by = until, user_id

    def unshelve(self) -> None:
        """Back on the board (the shelf expired, or an operator took it off)."""
        self.shelved_until = self.shelved_by = None

    def shelved(self, now: datetime) -> bool:
        return self.shelved_until is not None and now < self.shelved_until

    def suppress(self, reason: str) -> None:
        """Shed this alert (maintenance or backpressure): kept, never pushed."""
        self._refuse_if_closed("suppress")
        self.status = AlertStatus.SUPPRESSED
        self.suppression_reason = reason

    @property
    def awaiting_ack(self) -> bool:
        """True while nobody has acknowledged it (NEW or escalated without ack)."""
        return self.status in (AlertStatus.NEW, AlertStatus.ESCALATED) and (
            self.acknowledged_at is None
        )


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Alert))
_TIME_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Alert) if "datetime" in str(f.type))


SEVERITY_FROM_TEXT: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "error": Severity.HIGH,
    "high": Severity.HIGH,
    "major": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "minor": Severity.LOW,
    "low": Severity.LOW,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
}


def parse_severity(text: str | None, default: Severity) -> Severity:
    """Map a monitoring tool's severity word onto ours; unknown words -> default."""
    if not text:
        return default
    upper = text.strip().upper()
    if upper in Severity.__members__:
        return Severity(upper)
    return SEVERITY_FROM_TEXT.get(text.strip().lower(), default)
