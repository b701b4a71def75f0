"""Incidents (SPEC section 7): alerts grouped into one piece of work.

State machine NEW -> ACKNOWLEDGED -> ASSIGNED -> IN_PROGRESS -> RESOLVED -> CLOSED:

* acknowledge: only from NEW.
* assign: from NEW (acknowledgement is implied, as for alerts), ACKNOWLEDGED,
  ASSIGNED or IN_PROGRESS (a reassignment keeps the state and the first
  ``assigned_at``, so time_to_assign measures the first assignment).
* start: only from ASSIGNED.
* resolve: from any open state (NEW, ACKNOWLEDGED, ASSIGNED, IN_PROGRESS).
* close: only from RESOLVED.
* escalate: from any open state, one level up the escalation chain of the
  incident's client and site, as an alert's manual escalation: the level's
  target (past the chain's end, the tenant's admins); the state stays.
Anything else raises ``InvalidTransition`` (HTTP 409). Each transition has an
audit action in ``TRANSITION_AUDIT``.

Severity is the highest of the incident's alerts. The default SLA target counts
from creation: CRITICAL 4 h, HIGH 8 h, MEDIUM 24 h, LOW/INFO 72 h; the default
priority is P1 (CRITICAL), P2 (HIGH), P3 (MEDIUM), P4 (LOW/INFO).
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AuditAction, IncidentState, Severity
from noc_actors.domain.errors import InvalidInput, InvalidTransition
from noc_actors.domain.escalation import TENANT_ADMINS, EscalationTarget
from noc_actors.domain.policy import TenantPolicy

DEFAULT_SLA_HOURS: Final[Mapping[Severity, float]] = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 8,
    Severity.MEDIUM: 24,
    Severity.LOW: 72,
    Severity.INFO: 72,
}
DEFAULT_PRIORITY: Final[Mapping[Severity, str]] = {
    Severity.CRITICAL: "P1",
    Severity.HIGH: "P2",
    Severity.MEDIUM: "P3",
    Severity.LOW: "P4",
    Severity.INFO: "P4",
}
OPEN_STATES: Final = frozenset(
    {
        IncidentState.NEW,
        IncidentState.ACKNOWLEDGED,
        IncidentState.ASSIGNED,
        IncidentState.IN_PROGRESS,
    }
)
TRANSITION_AUDIT: Final[Mapping[str, AuditAction]] = {
    "create": AuditAction.INCIDENT_CREATE,
    "acknowledge": AuditAction.INCIDENT_ACKNOWLEDGE,
    "assign": AuditAction.INCIDENT_ASSIGN,
    "start": AuditAction.INCIDENT_START,
    "resolve": AuditAction.INCIDENT_RESOLVE,
    "close": AuditAction.INCIDENT_CLOSE,
    "escalate": AuditAction.INCIDENT_ESCALATE,
}
RULE_SOURCE_PREFIX: Final = "rule:"
AUTO_SOURCE: Final = "rule:critical_burst"
"""``source`` of an incident the critical-burst rule opened (``manual``: an operator's)."""


def default_sla_target(severity: Severity, created_at: datetime) -> datetime:
    return created_at + timedelta(hours=DEFAULT_SLA_HOURS[severity])


@dataclass(slots=True)
class Incident:
    """One incident. Times are tz-aware UTC; ``time_to_*`` are seconds from
    ``created_at``."""

    id: str
    tenant_id: str
    client_id: str
    title: str
    severity: Severity
    priority: str
    created_at: datetime
    sla_target: datetime
    site_id: str | None = None
    description: str = ""
    alert_ids: list[str] = field(default_factory=list)
    state: IncidentState = IncidentState.NEW
    assignee: str | None = None
    created_by: str | None = None
    source: str = "manual"
    runbook_url: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_notes: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    escalation_level: int = 0
    escalated_to: str | None = None
    escalated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def _since_created(self, at: datetime | None) -> float | None:
        return None if at is None else (at - self.created_at).total_seconds()

    @property
    def time_to_ack(self) -> float | None:
        return self._since_created(self.acknowledged_at)

    @property
    def time_to_assign(self) -> float | None:
        return self._since_created(self.assigned_at)

    @property
    def time_to_resolve(self) -> float | None:
        return self._since_created(self.resolved_at)

    @property
    def sla_met(self) -> bool | None:
        """Resolved by sla_target? ``None`` while unresolved."""
        return None if self.resolved_at is None else self.resolved_at <= self.sla_target

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["time_to_ack"] = self.time_to_ack
        d["time_to_assign"] = self.time_to_assign
        d["time_to_resolve"] = self.time_to_resolve
        d["sla_met"] = self.sla_met
        return d

    def to_json(self, with_alerts: bool = True) -> dict[str, Any]:
        """``to_dict`` with plain JSON types (ISO-8601 times, enum values)
        and ``alert_count``, as the API and the hub's events show an
        incident; without ``alert_ids`` when ``with_alerts`` is False (an
        incident of a storm may hold thousands)."""
        alert_ids, self.alert_ids = self.alert_ids, []
        try:
            d = self.to_dict()
        finally:
            self.alert_ids = alert_ids
        for name, value in d.items():
            if isinstance(value, datetime):
                d[name] = value.isoformat()
        d["severity"] = self.severity.value
        d["state"] = self.state.value
        d["alert_count"] = len(alert_ids)
        if with_alerts:
            d["alert_ids"] = list(alert_ids)
        else:
            del d["alert_ids"]
        return d

    @property
    def automatic(self) -> bool:
        """Opened by a correlation rule, not by an operator."""
        return self.source.startswith(RULE_SOURCE_PREFIX)

    # --- transitions -----------------------------------------------------

    def _require(self, action: str, allowed: Container[IncidentState]) -> None:
        if self.state not in allowed:
            raise InvalidTransition(self.id, self.state, action)

    def acknowledge(self, user_id: str, now: datetime) -> None:
        self._require("acknowledge", (IncidentState.NEW,))
        self.state = IncidentState.ACKNOWLEDGED
        self.acknowledged_at = now
        self.acknowledged_by = user_id

    def assign(self, assignee: str, now: datetime, by: str | None = None) -> None:
        self._require("assign", OPEN_STATES)
        if self.acknowledged_at is None:
            self.acknowledged_at = now
            self.acknowledged_by = by or assignee
        if self.assigned_at is None:
            self.assigned_at = now
        self.assignee = assignee
        if self.state is not IncidentState.IN_PROGRESS:
            self.state = IncidentState.ASSIGNED

    def start(self, now: datetime) -> None:
        self._require("start", (IncidentState.ASSIGNED,))
        self.state = IncidentState.IN_PROGRESS
        self.started_at = now

    def resolve(self, user_id: str | None, now: datetime, notes: str | None = None) -> list[str]:
        """Resolve; returns the alert ids the caller must resolve with it."""
        self._require("resolve", OPEN_STATES)
        self.state = IncidentState.RESOLVED
        self.resolved_at = now
        self.resolved_by = user_id
        self.resolution_notes = notes
        return list(self.alert_ids)

    def close(self, user_id: str | None, now: datetime) -> None:
        self._require("close", (IncidentState.RESOLVED,))
        self.state = IncidentState.CLOSED
        self.closed_at = now
        self.closed_by = user_id

    def escalate(self, chain: Sequence[EscalationTarget], now: datetime) -> tuple[int, str]:
        """One level up ``chain`` (the incident's client and site's, resolved):
        the level's target, past its end the tenant's admins. Returns the new
        level and target."""
        self._require("escalate", OPEN_STATES)
        level = self.escalation_level + 1
        target = chain[level - 1].label_at(now) if level <= len(chain) else TENANT_ADMINS
        self.escalation_level, self.escalated_to, self.escalated_at = level, target, now
        return level, target

    def add_alerts(self, alerts: Sequence[Alert]) -> list[str]:
        """Attach more alerts of the same tenant and client (open incidents only).

        Returns the ids actually added. Severity rises to the highest alert;
        a higher severity can only tighten ``sla_target``, never loosen it.
        The site stays only while every alert shares it (else ``None``)."""
        self._require("add_alerts", OPEN_STATES)
        _check_owners(alerts, self.tenant_id, self.client_id)
        known = set(self.alert_ids)
        added = []
        for a in alerts:
            if a.id not in known:
                known.add(a.id)
                added.append(a.id)
                self.alert_ids.append(a.id)
            if a.severity > self.severity:
                self.severity = a.severity
            if a.site_id != self.site_id:
                self.site_id = None
        self.sla_target = min(self.sla_target, default_sla_target(self.severity, self.created_at))
        return added


def _check_owners(alerts: Iterable[Alert], tenant_id: str, client_id: str) -> None:
    for i, a in enumerate(alerts):
        if a.tenant_id != tenant_id or a.client_id != client_id:
            raise InvalidInput("alert_ids", "all alerts must belong to one client", item=i)


def create_incident(
    alerts: Sequence[Alert],
    title: str,
    now: datetime,
    *,
    incident_id: str | None = None,
    description: str = "",
    priority: str | None = None,
    assignee: str | None = None,
    runbook_url: str | None = None,
    created_by: str | None = None,
    source: str = "manual",
    sla_target: datetime | None = None,
) -> Incident:
    """A NEW incident from one or more alerts of one client.

    The site is the alerts' common site, else ``None``. Passing ``assignee``
    assigns at once (state ASSIGNED)."""
    if not alerts:
        raise InvalidInput("alert_ids", "an incident needs at least one alert")
    if not title.strip():
        raise InvalidInput("title", "must not be empty")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    first = alerts[0]
    _check_owners(alerts, first.tenant_id, first.client_id)
    severity = max(a.severity for a in alerts)
    sites = {a.site_id for a in alerts}
    ids = list(dict.fromkeys(a.id for a in alerts))
    incident = Incident(
        id=incident_id or uuid.uuid4().hex,
        tenant_id=first.tenant_id,
        client_id=first.client_id,
        site_id=sites.pop() if len(sites) == 1 else None,
        title=title.strip(),
        description=description,
        severity=severity,
        priority=priority or DEFAULT_PRIORITY[severity],
        created_at=now,
        sla_target=sla_target or default_sla_target(severity, now),
        alert_ids=ids,
        created_by=created_by,
        source=source,
        runbook_url=runbook_url,
    )
    if assignee is not None:
        incident.assign(assignee, now, by=created_by)
    return incident


def critical_burst(
    alerts_of_client: Iterable[Alert],
    now: datetime,
    policy: TenantPolicy,
    in_incident: Container[str] = frozenset(),
) -> list[Alert] | None:
    """The rule "N+ CRITICAL alerts of one client within M minutes".

    Counts open CRITICAL alerts first seen at or after ``now - window`` (a
    source clock slightly ahead still counts) that are
    not in an incident yet (``in_incident`` holds such alert ids). Returns them
    (oldest first) when at least ``policy.incident_rule_count``, else ``None``.
    Alerts are grouped by (tenant, client), so a mixed input cannot combine
    clients; the largest qualifying group wins."""
    window = timedelta(minutes=policy.incident_rule_window_minutes)
    groups: dict[tuple[str, str], list[Alert]] = {}
    for a in alerts_of_client:
        if (
            a.severity is Severity.CRITICAL
            and a.is_open
            and now - a.first_seen <= window
            and a.id not in in_incident
        ):
            groups.setdefault((a.tenant_id, a.client_id), []).append(a)
    best = max(groups.values(), key=len, default=[])
    if len(best) < policy.incident_rule_count:
        return None
    return sorted(best, key=lambda a: (a.first_seen, a.id))
