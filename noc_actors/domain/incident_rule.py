"""Automatic incidents (SPEC sections 7 and 16): "N or more CRITICAL alerts
of one client within M minutes" open one incident that links them; later
CRITICAL alerts of the client join it while it is open. N and M are the
tenant's ``incident_rule_count`` / ``incident_rule_window_minutes`` (3 and 10
by default); ``incident_rule_enabled`` false turns the rule off.

``ClientIncidents`` is what a client's aggregate knows of the client's open
incidents: which alerts are in one (an alert already in an incident, an
operator's or the rule's, never starts another), and which one is the
rule's to join. The aggregate runs ``after_ingest`` on the alerts a batch
created, so the rule costs no round trip: the incident is written in the
batch's own transaction. Operators change incidents elsewhere (the API);
they tell the client's aggregate (``changed``), and a reload reads them
afresh.

Only a batch that creates an open CRITICAL alert can change anything (an
alert's severity never changes), so the common batch pays one scan of what
it created and nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from noc_actors.domain.alert import Alert
from noc_actors.domain.audit import SYSTEM_ACTOR
from noc_actors.domain.enums import Severity
from noc_actors.domain.incident import AUTO_SOURCE, Incident, create_incident, critical_burst
from noc_actors.domain.policy import TenantPolicy


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """What the rule did in one operation: opened ``incident`` (``created``)
    or linked ``added`` alerts to it."""

    incident: Incident
    added: tuple[str, ...]
    created: bool
    site_changed: bool = False
    """A join made the incident span sites (its stored site is cleared)."""


def burst_title(alerts: Sequence[Alert], policy: TenantPolicy) -> str:
    """``3 CRITICAL alerts within 10 minutes: DEVICE_SPOOF, SECURITY_ANOMALY``."""
    types = ", ".join(sorted({a.alert_type for a in alerts}))
    return (
        f"{len(alerts)} CRITICAL alerts within {policy.incident_rule_window_minutes:g} "
        f"minutes: {types}"
    )[:500]


class ClientIncidents:
    """The open incidents of one client, as its aggregate knows them."""

    def __init__(self) -> None:
        self._open: dict[str, Incident] = {}
        self._of_alert: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._open)

    def load(self, incidents: Iterable[Incident]) -> None:
        """Start over from the stored incidents (the open ones are kept)."""
        self._open.clear()
        self._of_alert.clear()
        for incident in incidents:
            self.changed(incident)

    def changed(self, incident: Incident) -> None:
        """An incident was created or changed elsewhere (an operator): keep
        it while open, forget it (and its alerts' link) once it is not."""
        old = self._open.pop(incident.id, None)
        if old is not None:
            for alert_id in old.alert_ids:
                self._of_alert.pop(alert_id, None)
        if incident.is_open:
            self._add(incident)

    def _add(self, incident: Incident) -> None:
        self._open[incident.id] = incident
        for alert_id in incident.alert_ids:
            self._of_alert[alert_id] = incident.id

    def get(self, incident_id: str) -> Incident | None:
        return self._open.get(incident_id)

    def incident_of(self, alert_id: str) -> str | None:
        """The open incident holding this alert, if any."""
        return self._of_alert.get(alert_id)

    def automatic(self) -> Incident | None:
        """The rule's open incident that new CRITICAL alerts join (the newest,
        should there be several)."""
        rule = [i for i in self._open.values() if i.source == AUTO_SOURCE]
        return max(rule, key=lambda i: (i.created_at, i.id), default=None)

    def after_ingest(
        self,
        created: Sequence[Alert],
        open_alerts: Callable[[], Iterable[Alert]],
        now: datetime,
        policy: TenantPolicy,
        new_id: Callable[[], str],
    ) -> IncidentChange | None:
        """Run the rule on the alerts an operation ``created``: join them to
        the rule's open incident, or open one when the client's open CRITICAL
        alerts of the window (``open_alerts``, read only when needed) not in
        an incident reach the tenant's count. None when nothing changes."""
        fresh = [
            a
            for a in created
            if a.severity is Severity.CRITICAL and a.is_open and a.id not in self._of_alert
        ]
        if not fresh or not policy.incident_rule_enabled:
            return None
        joined = self.automatic()
        if joined is not None:
            site = joined.site_id
            added = _join(joined, fresh)
            for alert_id in added:
                self._of_alert[alert_id] = joined.id
            return IncidentChange(joined, added, False, site_changed=joined.site_id != site)
        burst = critical_burst(open_alerts(), now, policy, in_incident=self._of_alert)
        if burst is None:
            return None
        incident = create_incident(
            burst,
            burst_title(burst, policy),
            now,
            incident_id=new_id(),
            description=(
                f"Opened by the rule: {policy.incident_rule_count} or more CRITICAL alerts "
                f"of one client within {policy.incident_rule_window_minutes:g} minutes. "
                "Later CRITICAL alerts of the client join it while it is open."
            ),
            created_by=SYSTEM_ACTOR,
            source=AUTO_SOURCE,
        )
        self._add(incident)
        return IncidentChange(incident, tuple(incident.alert_ids), created=True)


def _join(incident: Incident, fresh: Sequence[Alert]) -> tuple[str, ...]:
    """``Incident.add_alerts`` for alerts known to be in no incident and all
    CRITICAL (so the severity and the SLA target stay): without its set of
    every alert already in, which a storm's incident would rebuild per batch."""
    added = tuple(dict.fromkeys(a.id for a in fresh))
    incident.alert_ids.extend(added)
    if incident.site_id is not None and any(a.site_id != incident.site_id for a in fresh):
        incident.site_id = None
    return added
