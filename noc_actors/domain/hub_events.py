"""What the broadcast hub fans out: one typed event shape for every change a
dashboard hears of, and the markers of a subscription's stream.

Events are plain dicts (they cross Ray, are kept in the hub's ring and are
encoded once per replica for its sockets), typed here so every producer and
consumer agrees on the keys. Each event names its tenant, client and site
(what the socket's scope filter reads); the hub stamps ``seq``; the socket
edge masks PII per user.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Required, TypedDict, TypeGuard

from noc_actors.domain.alert import Alert
from noc_actors.domain.incident import Incident
from noc_actors.domain.snapshot import MetricSnapshot

AlertEventType = Literal["alert_new", "alert_updated"]


class HubEvent(TypedDict, total=False):
    """One change pushed to dashboards.

    ``type`` says which of the optional payloads it carries:

    ================  ==================================================
    alert_new         ``alert`` (``Alert.to_json``)
    alert_updated     ``alert`` and ``action`` (acknowledged, assigned,
                      escalated, resolved, repeated, suppressed)
    incident_new      ``incident`` and ``action`` (create)
    incident_updated  ``incident`` and ``action`` (the transition)
    metrics_update    ``metrics`` (a client's snapshot)
    backpressure      ``previous``, ``level``, ``new_info_low_count``, ``at``
    ================  ==================================================
    """

    type: Required[str]
    tenant_id: Required[str]
    client_id: Required[str | None]
    site_id: Required[str | None]
    seq: int
    """Stamped by the hub: per tenant, increasing by one per event."""
    action: str
    alert: dict[str, Any]
    incident: dict[str, Any]
    metrics: dict[str, Any]
    previous: str
    level: str
    new_info_low_count: int
    at: str


class StreamMarker(TypedDict, total=False):
    """Not an event: a subscription's stream says ``subscribed`` first (with
    the hub's ``base_seq``) and ``overflow`` (with how many events it
    ``dropped``) when the subscriber fell behind."""

    type: Required[Literal["subscribed", "overflow"]]
    base_seq: int
    dropped: int
    resubscribed: bool
    """Set by a replica's pump on every ``subscribed`` but its first: events
    may have been published while no subscription existed (a gap)."""


StreamItem = HubEvent | StreamMarker
"""What one batch of a hub subscription holds."""


EVENT_PREFIXES: Final = ("alert_", "incident_")
EVENT_TYPES: Final = frozenset({"metrics_update", "backpressure"})


def is_dashboard_event(item: StreamItem) -> TypeGuard[HubEvent]:
    """A change dashboards hear of (``alert_*``, ``incident_*``,
    ``metrics_update``, ``backpressure``), not a marker of the stream."""
    kind = item.get("type")
    return isinstance(kind, str) and (kind in EVENT_TYPES or kind.startswith(EVENT_PREFIXES))


class ReplayAnswer(TypedDict):
    """The hub's answer to "what came after ``seq``": the events still in its
    ring, and ``resync`` when some are gone (reload instead)."""

    events: list[HubEvent]
    resync: bool


def alert_event(kind: AlertEventType, alert: Alert, action: str | None = None) -> HubEvent:
    """The event of an alert change (masked later, at the edge)."""
    event: HubEvent = {
        "type": kind,
        "tenant_id": alert.tenant_id,
        "client_id": alert.client_id,
        "site_id": alert.site_id,
        "alert": alert.to_json(),
    }
    if action is not None:
        event["action"] = action
    return event


def incident_event(
    kind: Literal["incident_new", "incident_updated"],
    incident: Incident,
    action: str,
    added: list[str] | None = None,
) -> HubEvent:
    """The event of an incident created or changed (masked later, at the
    edge). With ``added`` (alerts that joined it) the incident goes without
    its ``alert_ids`` but with ``alert_count`` and ``added_alert_ids``: an
    incident joined batch after batch in a storm would otherwise push its
    whole list every time."""
    shown = incident.to_json(with_alerts=added is None)
    if added is not None:
        shown["added_alert_ids"] = added
    return {
        "type": kind,
        "action": action,
        "tenant_id": incident.tenant_id,
        "client_id": incident.client_id,
        "site_id": incident.site_id,
        "incident": shown,
    }


def metrics_event(snapshot: MetricSnapshot) -> HubEvent:
    """The event of a stored metric snapshot (a client's tile)."""
    return {
        "type": "metrics_update",
        "tenant_id": snapshot.tenant_id,
        "client_id": snapshot.client_id,
        "site_id": None,
        "metrics": snapshot.to_dict(),
    }


def backpressure_event(
    tenant_id: str, previous: str, level: str, new_info_low_count: int, at: str
) -> HubEvent:
    """The event of a tenant's backpressure level change (tenant-wide)."""
    return {
        "type": "backpressure",
        "tenant_id": tenant_id,
        "client_id": None,
        "site_id": None,
        "previous": previous,
        "level": level,
        "new_info_low_count": new_info_low_count,
        "at": at,
    }
