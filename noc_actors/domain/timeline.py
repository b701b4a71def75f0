"""An alert's timeline (issue 15): what happened to it, oldest first, built
from its audit rows and its own fields. Pure: the rows come in, entries go
out; masking is the caller's (the REST edge), as for any response.

From the audit log (``AUDIT_KIND``): acknowledged, assigned (assignee),
escalated (level, target), resolved (notes), suppressed (reason), shelved
(until), unshelved, flap_settled (count), and the incident rows that name
the alert in ``alert_ids``: incident_created / incident_linked (id, title,
rule). From the alert itself: created (first_seen), suppressed at ingest
(maintenance, backpressure or inhibition, when no audit row says it),
correlated (the alerts sharing its correlation id), flapping (count, state)
and repeated (count, last seen). ``by`` is the actor's id (``system`` for the
NOC's own actions), ``by_name`` its display name when it is a known user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from noc_actors.domain.alert import Alert
from noc_actors.domain.backpressure import SUPPRESSION_REASON
from noc_actors.domain.enums import AuditAction
from noc_actors.domain.inhibition import REASON_PREFIX

TimelineKind = Literal[
    "created",
    "suppressed",
    "correlated",
    "acknowledged",
    "assigned",
    "escalated",
    "resolved",
    "shelved",
    "unshelved",
    "flapping",
    "flap_settled",
    "incident_created",
    "incident_linked",
    "repeated",
]

AUDIT_KIND: Final[Mapping[AuditAction, TimelineKind]] = {
    AuditAction.ACKNOWLEDGE: "acknowledged",
    AuditAction.ASSIGN: "assigned",
    AuditAction.ESCALATE: "escalated",
    AuditAction.RESOLVE: "resolved",
    AuditAction.SUPPRESS: "suppressed",
    AuditAction.SHELVE: "shelved",
    AuditAction.UNSHELVE: "unshelved",
    AuditAction.FLAP_SETTLED: "flap_settled",
    AuditAction.INCIDENT_CREATE: "incident_created",
    AuditAction.INCIDENT_LINK: "incident_linked",
}
ALERT_ACTIONS: Final = tuple(a.value for a in AUDIT_KIND if not a.startswith("INCIDENT_"))
"""Audit actions on the alert itself that are part of its story (reads and
denials are not)."""
INCIDENT_ACTIONS: Final = (AuditAction.INCIDENT_CREATE.value, AuditAction.INCIDENT_LINK.value)
MAINTENANCE_PREFIX: Final = "maintenance:"

# Order of entries at the same instant: the alert's birth first, its audit
# rows in their own order, the summaries of what kept happening last.
_RANK: Final[Mapping[str, int]] = {"created": 0, "suppressed": 1, "correlated": 2}
_AUDIT_RANK: Final = 3
_LATE_RANK: Final[Mapping[str, int]] = {"flapping": 4, "repeated": 5}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: TimelineKind
    by: str | None = None
    by_name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "by": self.by,
            "by_name": self.by_name,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class LinkedIncident:
    """An incident an audit row names, as the reader may see it (``title``
    None when the incident is outside the reader's scope)."""

    id: str
    title: str | None


def suppression_detail(reason: str) -> dict[str, Any]:
    """What a suppression reason says: its cause and the object behind it."""
    if reason.startswith(MAINTENANCE_PREFIX):
        window_id = reason.removeprefix(MAINTENANCE_PREFIX)
        return {"cause": "maintenance", "reason": reason, "window_id": window_id}
    if reason == SUPPRESSION_REASON:
        return {"cause": "backpressure", "reason": reason}
    if reason.startswith(REASON_PREFIX):
        source = reason.removeprefix(REASON_PREFIX)
        return {"cause": "inhibition", "reason": reason, "inhibited_by": source}
    return {"cause": "other", "reason": reason}


def _audit_detail(
    kind: TimelineKind,
    meta: Mapping[str, Any],
    names: Mapping[str, str],
    incident: LinkedIncident | None,
) -> dict[str, Any]:
    if kind == "assigned":
        assignee = meta.get("assignee")
        return {"assignee": assignee, "assignee_name": names.get(str(assignee))}
    if kind == "escalated":
        target = meta.get("target")
        return {"level": meta.get("level"), "target": target, "target_name": names.get(str(target))}
    if kind == "resolved":
        return {"notes": meta.get("notes")}
    if kind == "suppressed":
        return suppression_detail(str(meta.get("reason") or ""))
    if kind == "shelved":
        return {"until": meta.get("until")}
    if kind == "flap_settled":
        return {"count": meta.get("flap_count")}
    if incident is not None:
        return {"incident_id": incident.id, "title": incident.title, "rule": meta.get("rule")}
    return {}


def names_wanted(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The ids whose display names the entries of ``rows`` show: actors,
    assignees, escalation targets."""
    ids: set[str] = set()
    for row in rows:
        meta = row.get("metadata") or {}
        for value in (row.get("actor_id"), meta.get("assignee"), meta.get("target")):
            if isinstance(value, str) and value:
                ids.add(value)
    return ids


def build_timeline(
    alert: Alert,
    rows: Sequence[Mapping[str, Any]],
    *,
    names: Mapping[str, str] | None = None,
    incidents: Mapping[str, LinkedIncident] | None = None,
    correlated: Sequence[Alert] = (),
    more_correlated: bool = False,
    window_reason: str | None = None,
) -> list[TimelineEntry]:
    """The entries of ``alert``'s timeline, oldest first.

    ``rows``: its audit rows (``audit_log`` mappings, any order) — those
    about the alert and the incident rows naming it (others are skipped);
    ``names``: user id -> display name; ``incidents``: the incidents those
    rows name; ``correlated``: other alerts of its correlation id (the
    reader's to see); ``window_reason``: the reason of the maintenance window
    that suppressed it, when known."""
    names = names or {}
    incidents = incidents or {}
    ranked: list[tuple[datetime, int, int, TimelineEntry]] = []

    def add(rank: int, entry: TimelineEntry) -> None:
        ranked.append((entry.at, rank, len(ranked), entry))

    source = {"severity": alert.severity.value, "source": alert.source}
    add(_RANK["created"], TimelineEntry(alert.first_seen, "created", detail=source))
    suppressed_logged = False
    for row in sorted(rows, key=lambda r: (r["at"], r.get("id") or 0)):
        kind = AUDIT_KIND.get(row["action"])  # StrEnum keys: found by their text
        if kind is None:
            continue
        meta: Mapping[str, Any] = row.get("metadata") or {}
        incident = None
        if kind.startswith("incident_"):
            if row.get("entity_type") != "incident" or alert.id not in meta.get("alert_ids", ()):
                continue
            incident = incidents.get(str(row.get("entity_id")))
            incident = incident or LinkedIncident(str(row.get("entity_id")), None)
        elif row.get("entity_type") != "alert" or row.get("entity_id") != alert.id:
            continue
        suppressed_logged = suppressed_logged or kind == "suppressed"
        actor = row.get("actor_id")
        detail = _audit_detail(kind, meta, names, incident)
        add(_AUDIT_RANK, TimelineEntry(row["at"], kind, actor, names.get(actor or ""), detail))
    if alert.suppression_reason and not suppressed_logged:  # shed or muted at ingest
        detail = suppression_detail(alert.suppression_reason)
        if window_reason is not None:
            detail["window_reason"] = window_reason
        add(_RANK["suppressed"], TimelineEntry(alert.first_seen, "suppressed", detail=detail))
    if correlated:
        kin = [
            {
                "id": a.id,
                "alert_type": a.alert_type,
                "severity": a.severity.value,
                "status": a.status.value,
                "first_seen": a.first_seen.isoformat(),
            }
            for a in correlated
        ]
        detail = {"correlation_id": alert.correlation_id, "alerts": kin, "more": more_correlated}
        add(_RANK["correlated"], TimelineEntry(alert.first_seen, "correlated", detail=detail))
    if alert.flap_count:
        detail = {"count": alert.flap_count, "state": alert.flapping}
        add(_LATE_RANK["flapping"], TimelineEntry(alert.last_seen, "flapping", detail=detail))
    if alert.suppressed_count:
        detail = {"count": alert.suppressed_count, "last_seen": alert.last_seen.isoformat()}
        add(_LATE_RANK["repeated"], TimelineEntry(alert.last_seen, "repeated", detail=detail))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked]
