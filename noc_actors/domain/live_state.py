"""The live state of one client (SPEC section 4): what the platform last told
us about each ticket, work order, device and attendance shift, the site
geofences, and which alerts each entity has already raised.

The "raised" memory is what makes rules edge-triggered: while a condition
holds (a ticket past its SLA, a device offline) a clock tick does not raise the
same alert again; once the condition is gone the rule asks for an auto-resolve
and forgets, so a later recurrence raises afresh. It is hard state: persist it
(``to_dict``) together with the alerts the rules produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from noc_actors.domain.draft import AlertDraft, AutoResolve, RuleOutput
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import (
    AttendanceEvent,
    DeviceEvent,
    HeartbeatEvent,
    TicketEvent,
    WorkOrderEvent,
)

STATE_VERSION = 1
RETENTION = timedelta(hours=24)
"""How long closed tickets, finished work orders and ended shifts stay in the
live state (so duplicates are no-ops and snapshots see the recent mix)."""

TICKET = "ticket"
WORK_ORDER = "work_order"
DEVICE = "device"
ATTENDANCE = "attendance"
HEARTBEAT = "heartbeat"


class Geofence(NamedTuple):
    """A circle around a site: centre (lat, lon) in degrees, radius in metres."""

    lat: float
    lon: float
    radius_m: float


@dataclass(eq=True)
class ClientLiveState:
    """Live state of one client of one tenant. Rules mutate it; the owning
    actor persists it with ``to_dict`` and reloads it with ``from_dict``."""

    tenant_id: str
    client_id: str
    tickets: dict[str, TicketEvent] = field(default_factory=dict)
    work_orders: dict[str, WorkOrderEvent] = field(default_factory=dict)
    devices: dict[str, DeviceEvent] = field(default_factory=dict)
    shifts: dict[str, AttendanceEvent] = field(default_factory=dict)
    geofences: dict[str, Geofence] = field(default_factory=dict)
    raised: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(entity_type, entity_id) -> alert types raised while their condition holds."""
    closed_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """(entity_type, entity_id) -> when we saw a ticket/work order close."""
    heartbeats: dict[str, tuple[HeartbeatEvent, datetime]] = field(default_factory=dict)
    """heartbeat id -> its last beat and when the NOC received it."""

    # --- ownership -------------------------------------------------------

    def require_client(self, client_id: str, item: int | None = None) -> None:
        """Refuse an event meant for another client."""
        if client_id != self.client_id:
            raise InvalidInput(
                "client_id",
                f"event for client {client_id!r} sent to the state of client {self.client_id!r}",
                item,
            )

    def set_geofence(self, site_id: str, lat: float, lon: float, radius_m: float) -> None:
        """Set (or replace) the geofence of a site of this client."""
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            raise InvalidInput("geofence", f"site {site_id!r}: lat/lon out of range")
        if radius_m <= 0:
            raise InvalidInput("geofence", f"site {site_id!r}: radius_m must be positive")
        self.geofences[site_id] = Geofence(float(lat), float(lon), float(radius_m))

    # --- raised memory ---------------------------------------------------

    def is_raised(self, entity_type: str, entity_id: str, alert_type: str) -> bool:
        return alert_type in self.raised.get((entity_type, entity_id), ())

    def mark_raised(self, entity_type: str, entity_id: str, alert_type: str) -> None:
        self.raised.setdefault((entity_type, entity_id), set()).add(str(alert_type))

    def clear_raised(self, entity_type: str, entity_id: str, alert_type: str) -> None:
        types = self.raised.get((entity_type, entity_id))
        if types is not None:
            types.discard(alert_type)
            if not types:
                del self.raised[(entity_type, entity_id)]

    def draft(
        self,
        alert_type: str,
        message: str,
        *,
        entity_type: str,
        entity_id: str,
        site_id: str | None,
        now: datetime,
        severity: Severity | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> AlertDraft:
        """An alert draft of this tenant and client about one entity."""
        return AlertDraft(
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            alert_type=str(alert_type),
            message=message,
            severity=severity,
            site_id=site_id,
            entity_type=entity_type,
            entity_id=entity_id,
            metadata=metadata or {},
            observed_at=now,
        )

    def settle(
        self,
        entity_type: str,
        entity_id: str,
        alert_type: str,
        *,
        holds: bool,
        make_draft: Callable[[], AlertDraft],
        reason: str,
        assume_raised: bool = False,
    ) -> RuleOutput:
        """Edge-trigger one condition: raise once when it starts to hold,
        ask for an auto-resolve once when it stops. ``assume_raised`` asks for
        the resolve even without memory (an entity first seen already fixed,
        e.g. after the state was lost)."""
        if not holds:
            return self.release(entity_type, entity_id, alert_type, reason, assume_raised)
        out = RuleOutput()
        if not self.is_raised(entity_type, entity_id, alert_type):
            out.drafts.append(make_draft())
            self.mark_raised(entity_type, entity_id, alert_type)
        return out

    def release(
        self,
        entity_type: str,
        entity_id: str,
        alert_type: str,
        reason: str,
        assume_raised: bool = False,
    ) -> RuleOutput:
        """The condition behind ``alert_type`` is gone: ask for an
        auto-resolve if it was raised (or ``assume_raised``) and forget it."""
        out = RuleOutput()
        if assume_raised or self.is_raised(entity_type, entity_id, alert_type):
            out.resolves.append(AutoResolve(str(alert_type), entity_type, entity_id, reason))
            self.clear_raised(entity_type, entity_id, alert_type)
        return out

    # --- lifecycle -------------------------------------------------------

    def mark_closed(self, entity_type: str, entity_id: str, now: datetime) -> None:
        self.closed_at.setdefault((entity_type, entity_id), now)

    def mark_reopened(self, entity_type: str, entity_id: str) -> None:
        self.closed_at.pop((entity_type, entity_id), None)

    def forget(self, entity_type: str, entity_id: str) -> None:
        """Drop an entity's raised memory and closed mark (not the entity)."""
        self.raised.pop((entity_type, entity_id), None)
        self.closed_at.pop((entity_type, entity_id), None)

    def prune(self, now: datetime, retention: timedelta = RETENTION) -> int:
        """Drop tickets and work orders closed, and shifts ended, more than
        ``retention`` ago (with their memory). Devices stay. Returns the count."""
        cutoff = now - retention
        gone = [key for key, at in self.closed_at.items() if at < cutoff]
        gone += [(ATTENDANCE, sid) for sid, s in self.shifts.items() if s.shift_end < cutoff]
        for entity_type, entity_id in gone:
            table = self._table(entity_type)
            table.pop(entity_id, None)
            self.forget(entity_type, entity_id)
        return len(gone)

    def _table(self, entity_type: str) -> dict[str, Any]:
        tables: dict[str, dict[str, Any]] = {
            TICKET: self.tickets,
            WORK_ORDER: self.work_orders,
            DEVICE: self.devices,
            ATTENDANCE: self.shifts,
        }
        return tables[entity_type]

    # --- persistence -----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable picture of the whole state."""
        raised: dict[str, dict[str, list[str]]] = {}
        for (etype, eid), types in self.raised.items():
            raised.setdefault(etype, {})[eid] = sorted(types)
        closed: dict[str, dict[str, str]] = {}
        for (etype, eid), at in self.closed_at.items():
            closed.setdefault(etype, {})[eid] = at.isoformat()
        return {
            "version": STATE_VERSION,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "tickets": [e.model_dump(mode="json") for e in self.tickets.values()],
            "work_orders": [e.model_dump(mode="json") for e in self.work_orders.values()],
            "devices": [e.model_dump(mode="json") for e in self.devices.values()],
            "shifts": [e.model_dump(mode="json") for e in self.shifts.values()],
            "geofences": {site: list(g) for site, g in self.geofences.items()},
            "raised": raised,
            "closed_at": closed,
            "heartbeats": [
                {"event": e.model_dump(mode="json"), "at": at.isoformat()}
                for e, at in self.heartbeats.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClientLiveState:
        """Rebuild a state written by ``to_dict`` (re-validating every event)."""
        version = data.get("version")
        if version != STATE_VERSION:
            raise InvalidInput("version", f"unsupported live state version {version!r}")
        state = cls(tenant_id=data["tenant_id"], client_id=data["client_id"])
        for raw in data.get("tickets", []):
            t = TicketEvent.model_validate(raw)
            state.tickets[t.id] = t
        for raw in data.get("work_orders", []):
            w = WorkOrderEvent.model_validate(raw)
            state.work_orders[w.id] = w
        for raw in data.get("devices", []):
            d = DeviceEvent.model_validate(raw)
            state.devices[d.id] = d
        for raw in data.get("shifts", []):
            s = AttendanceEvent.model_validate(raw)
            state.shifts[s.id] = s
        for raw in data.get("heartbeats", []):
            beat = HeartbeatEvent.model_validate(raw["event"])
            state.heartbeats[beat.id] = (beat, datetime.fromisoformat(raw["at"]))
        for site, (lat, lon, radius) in data.get("geofences", {}).items():
            state.set_geofence(site, lat, lon, radius)
        for etype, entities in data.get("raised", {}).items():
            for eid, types in entities.items():
                if types:
                    state.raised[(etype, eid)] = set(types)
        for etype, entities in data.get("closed_at", {}).items():
            for eid, at in entities.items():
                state.closed_at[(etype, eid)] = datetime.fromisoformat(at)
        return state
