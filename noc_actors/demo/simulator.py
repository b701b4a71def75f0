"""A seeded, clock-free simulator of the facility-management platform.

``FacilitySimulator.step(now)`` returns the platform events (wire dicts for
``parse_events``) that happened since the previous step; call it every ~2 s.
The first step posts the whole picture, staged so an SLA breach, an offline
device, a missing punch-in and an overdue work order show within a minute.
Afterwards devices heartbeat, fail and recover, tickets and work orders come
and go, shifts hand over, and every 3-5 minutes one site has an alert storm.
``speed`` multiplies the pace of activity (rates and durations); policy
thresholds (SLA, grace period) stay absolute. Pure: time is an argument and
all randomness comes from the seed.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from noc_actors.demo.world import ORDER_TITLES, TICKET_TITLES, Client, DemoWorld, Person
from noc_actors.domain.policy import TenantPolicy

Event = dict[str, Any]
Action = Callable[[datetime], list[Event]]

PRIORITIES = ("P1", "P2", "P3", "P4", "HIGH", "MEDIUM", "LOW")
PRIORITY_WEIGHTS = (1, 3, 4, 2, 1, 2, 2)
# Rates per minute at speed 1.
NEW_TICKET, NEW_ORDER, RELIEF_SHIFT = 0.3, 0.25, 0.2  # per client
TICKET_OPENS, TICKET_CLOSES, TICKET_ESCALATES = 0.5, 0.04, 0.02  # per ticket
ORDER_STARTS, ORDER_COMPLETES, ORDER_REASSIGNED = 0.2, 0.12, 0.02  # per work order
OUTAGE = 0.5  # one device somewhere in the world
MONITORING_ALERT = 0.5  # generic alerts, whole world
MAX_OPEN_TICKETS, MAX_OPEN_ORDERS = 10, 6  # per client
METRES_PER_DEGREE = 111_195.0


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _wire(entity: Event) -> Event:
    """A JSON-able copy: datetimes as ISO-8601 with their UTC offset."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in entity.items()}


class FacilitySimulator:
    """The platform serving ``world``. Call ``step(now)`` with a non-decreasing
    ``now``; ``generic_alerts(now)`` draws from its own stream (also derived
    from the seed), so calling it does not change what ``step`` produces."""

    def __init__(
        self, world: DemoWorld, seed: int, speed: float = 1.0, *, policy: TenantPolicy | None = None
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.world = world
        self.speed = speed
        self._policy = policy or TenantPolicy()
        self._rng = random.Random(seed)
        self._alert_rng = random.Random(f"{seed}:monitoring")
        self._last: datetime | None = None
        self._last_alert: datetime | None = None
        self._ids = itertools.count(1001)
        self._tiebreak = itertools.count()
        self._due: list[tuple[datetime, int, Action]] = []
        self._tickets: dict[str, Event] = {}
        self._orders: dict[str, Event] = {}
        self._devices: dict[str, Event] = {}
        self._next_beat: dict[str, datetime] = {}
        self._on_duty: dict[str, Event] = {}  # person id -> their current shift
        self._next_storm: datetime | None = None

    def step(self, now: datetime) -> list[Event]:
        """The events since the previous step (the full picture on the first)."""
        now = _utc(now)
        if self._last is None:
            out, minutes = self._bootstrap(now), 0.0
        else:
            out, minutes = [], max(0.0, (now - self._last).total_seconds() / 60)
        self._last = now
        while self._due and self._due[0][0] <= now:
            out += heapq.heappop(self._due)[2](now)
        out += self._heartbeats(now)
        out += self._platform_alive()
        if minutes:
            out += self._storm(now) + self._churn(now, minutes)
        return [_wire(e) for e in out]

    def _platform_alive(self) -> list[Event]:
        """Each client's platform says it is alive (a heartbeat the NOC
        expects every few steps): pause the feed and HEARTBEAT_MISSED shows."""
        return [
            {"kind": "heartbeat", "id": "platform-feed", "client_id": c, "timeout_s": 15.0}
            for c in self.world.client_ids
        ]

    def generic_alerts(self, now: datetime) -> list[dict[str, Any]]:
        """Occasional monitoring-style alerts (SYNC_DEGRADED, SECURITY_ANOMALY,
        DEVICE_SPOOF) for the generic alert-ingest path; metadata names people."""
        now = _utc(now)
        last, self._last_alert = self._last_alert, now
        rng = self._alert_rng
        minutes = 0.0 if last is None else (now - last).total_seconds() / 60
        if minutes <= 0 or rng.random() >= 1 - math.exp(-MONITORING_ALERT * self.speed * minutes):
            return []
        client = rng.choice(self.world.clients)
        person = rng.choice(client.people)
        kind = rng.choices(("SYNC_DEGRADED", "SECURITY_ANOMALY", "DEVICE_SPOOF"), (5, 2, 1))[0]
        device_kind = "access_reader" if kind == "SECURITY_ANOMALY" else "patrol_phone"
        device = next(d for d in client.devices_at(person.site_id) if d.kind == device_kind)
        meta: dict[str, Any] = {"device_name": device.name, "observed_at": now.isoformat()}
        if kind == "SYNC_DEGRADED":
            severity, queued = "MEDIUM", rng.randint(40, 900)
            message = f"{device.name}: offline queue of {queued} records, last sync minutes ago"
            meta.update(queued_records=queued, sync_lag_s=rng.randint(120, 1800))
        elif kind == "SECURITY_ANOMALY":
            severity, denied = "CRITICAL", rng.randint(5, 25)
            message = f"{denied} denied badge swipes in 5 min at {device.name}"
            meta.update(denied_swipes=denied, badge_holder_name=person.name)
            meta.update(badge_holder_email=person.email)
        else:
            severity = "HIGH"
            message = f"Mock GPS location reported by the phone of a {person.role} on patrol"
            meta.update(person_name=person.name, person_phone=person.phone)
        return [
            {
                "alert_type": kind, "severity": severity, "client_id": client.id,
                "site_id": person.site_id, "entity_type": "device", "entity_id": device.id,
                "message": message, "metadata": meta,
            }
        ]  # fmt: skip

    # --- helpers -----------------------------------------------------------

    def _happens(self, per_minute: float, minutes: float) -> bool:
        return self._rng.random() < 1 - math.exp(-per_minute * self.speed * minutes)

    def _paced(self, low_s: float, high_s: float) -> timedelta:
        return timedelta(seconds=self._rng.uniform(low_s, high_s) / self.speed)

    def _soon(self, low_s: float, high_s: float) -> timedelta:
        """Like ``_paced`` but never slower than speed 1: the first-minute show."""
        return timedelta(seconds=self._rng.uniform(low_s, high_s) / max(1.0, self.speed))

    def _at(self, when: datetime, action: Action) -> None:
        heapq.heappush(self._due, (when, next(self._tiebreak), action))

    def _sla(self, priority: str) -> timedelta:
        return self._policy.sla_for(priority) or timedelta(hours=72)

    # --- the first step ----------------------------------------------------

    def _bootstrap(self, now: datetime) -> list[Event]:
        rng, out = self._rng, []
        early = rng.sample(self.world.clients, 2)  # a poor-GPS and an off-fence punch-in
        for client in self.world.clients:
            for d in client.devices:
                self._devices[d.id] = {
                    "kind": "device", "id": d.id, "client_id": client.id, "site_id": d.site_id,
                    "status": "ONLINE", "last_seen": now, "name": d.name,
                }  # fmt: skip
                self._next_beat[d.id] = now + self._paced(5, 60)
                out.append(self._devices[d.id])
            soon, later = rng.choice(("P1", "HIGH")), rng.choice(("P2", "P3", "MEDIUM"))
            out.append(self._ticket(client, now, soon, self._sla(soon) - self._soon(8, 50)))
            out.append(self._ticket(client, now, later, self._sla(later) - self._paced(120, 480)))
            for _ in range(rng.randint(2, 4)):
                prio = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
                status = rng.choice(("NEW", "OPEN", "OPEN", "ONHOLD"))
                age = self._sla(prio) * rng.uniform(0.02, 0.6)
                out.append(self._ticket(client, now, prio, age, status))
            ago = timedelta(minutes=rng.uniform(40, 90))
            out.append(self._order(client, now - ago, now + self._soon(20, 40), "INPROGRESS"))
            for _ in range(rng.randint(1, 2)):
                planned = now + timedelta(minutes=rng.uniform(5, 60))
                out.append(self._order(client, planned, planned + timedelta(hours=2)))
            out += self._first_shifts(client, now, early)
        self._at(now + self._soon(15, 40), self._outage)
        self._next_storm = now + self._soon(150, 260)
        return out

    def _first_shifts(self, client: Client, now: datetime, early: list[Client]) -> list[Event]:
        rng, out = self._rng, []
        people = list(client.people)
        rng.shuffle(people)  # people[0] is missing, people[-1] stays off duty (relief)
        out.append(self._shift(people[0], client, now - timedelta(minutes=16)))
        self._at(now + self._paced(60, 240), partial(self._punch, people[0].id, "ok"))
        hour = now.replace(minute=0, second=0, microsecond=0)
        for person in people[1:-1]:
            if person is people[1] and client in early:
                how = "poor_gps" if client is early[0] else "off_fence"
                start = now + self._soon(15, 45)
                out.append(self._shift(person, client, start))
                self._at(start, partial(self._punch, person.id, how))
            else:
                shift = self._shift(person, client, hour)
                self._punch_in(shift, hour - timedelta(minutes=rng.uniform(0, 10)), "ok")
                out.append(shift)
        return out

    # --- entities ----------------------------------------------------------

    def _ticket(
        self, client: Client, now: datetime, prio: str, age: timedelta, status: str = "OPEN"
    ) -> Event:
        rng = self._rng
        ticket: Event = {
            "kind": "ticket", "id": f"TKT-{next(self._ids)}", "client_id": client.id,
            "site_id": rng.choice(client.sites).id, "priority": prio, "status": status,
            "created_at": now - age, "escalation_level": 0, "title": rng.choice(TICKET_TITLES),
            "assignee": None if status == "NEW" else rng.choice(client.people).name,
        }  # fmt: skip
        self._tickets[ticket["id"]] = ticket
        return ticket

    def _order(
        self, client: Client, planned: datetime, expires: datetime, status: str = "ASSIGNED"
    ) -> Event:
        order: Event = {
            "kind": "work_order", "id": f"WO-{next(self._ids)}", "client_id": client.id,
            "site_id": self._rng.choice(client.sites).id, "status": status,
            "planned_at": planned, "expires_at": expires, "title": self._rng.choice(ORDER_TITLES),
        }  # fmt: skip
        self._orders[order["id"]] = order
        return order

    def _shift(self, person: Person, client: Client, start: datetime) -> Event:
        shift: Event = {
            "kind": "attendance", "id": f"SHIFT-{next(self._ids)}", "person_id": person.id,
            "person_name": person.name, "client_id": client.id, "site_id": person.site_id,
            "shift_start": start, "shift_end": start + timedelta(hours=8),
        }  # fmt: skip
        self._on_duty[person.id] = shift
        return shift

    def _punch_in(self, shift: Event, when: datetime, how: str) -> None:
        """Punch in at the site (``ok``), with a poor fix, or outside the fence."""
        rng = self._rng
        site = self.world.client(shift["client_id"]).site(shift["site_id"])
        far = how == "off_fence"
        metres = site.radius_m + rng.uniform(250, 900) if far else rng.uniform(0, site.radius_m / 2)
        bearing = rng.uniform(0, 2 * math.pi)
        lat = site.lat + metres * math.cos(bearing) / METRES_PER_DEGREE
        lon_scale = METRES_PER_DEGREE * math.cos(math.radians(site.lat))
        accuracy = rng.uniform(140, 420) if how == "poor_gps" else rng.uniform(4, 35)
        shift.update(
            punch_in=when,
            lat=round(lat, 6),
            lon=round(site.lon + metres * math.sin(bearing) / lon_scale, 6),
            gps_accuracy_m=round(accuracy, 1),
        )

    def _punch(self, person_id: str, how: str, now: datetime) -> list[Event]:
        """A person punches in; one colleague already on duty there goes home."""
        shift = self._on_duty[person_id]
        self._punch_in(shift, now, how)
        out = [shift]
        for pid, other in list(self._on_duty.items()):
            if pid != person_id and other["site_id"] == shift["site_id"] and other.get("punch_in"):
                other["punch_out"] = now
                del self._on_duty[pid]
                out.append(other)
                break
        return out

    # --- devices -----------------------------------------------------------

    def _heartbeats(self, now: datetime) -> list[Event]:
        out = []
        for dev_id, dev in self._devices.items():
            if dev["status"] == "ONLINE" and self._next_beat[dev_id] <= now:
                dev["last_seen"], self._next_beat[dev_id] = now, now + self._paced(30, 90)
                out.append(dev)
        return out

    def _outage(self, now: datetime) -> list[Event]:
        online = [d for d in self._devices.values() if d["status"] == "ONLINE"]
        return self._take_down(self._rng.choice(online), now, 30, 120) if online else []

    def _take_down(self, dev: Event, now: datetime, low_s: float, high_s: float) -> list[Event]:
        dev.update(status="OFFLINE", last_seen=now)
        self._at(now + self._paced(low_s, high_s), partial(self._bring_up, dev))
        return [dev]

    def _bring_up(self, dev: Event, now: datetime) -> list[Event]:
        dev.update(status="ONLINE", last_seen=now)
        self._next_beat[dev["id"]] = now + self._paced(30, 90)
        return [dev]

    def _storm(self, now: datetime) -> list[Event]:
        """The online devices of one site go OFFLINE at once, then recover one by one."""
        if self._next_storm is None or now < self._next_storm:
            return []
        self._next_storm = now + self._paced(180, 300)
        client = self._rng.choice(self.world.clients)
        online = [d for d in self._devices.values() if d["status"] == "ONLINE"]
        by_site = [[d for d in online if d["site_id"] == s.id] for s in client.sites]
        return [e for d in max(by_site, key=len) for e in self._take_down(d, now, 60, 150)]

    # --- activity ----------------------------------------------------------

    def _churn(self, now: datetime, minutes: float) -> list[Event]:
        rng = self._rng
        out = self._ticket_churn(now, minutes) + self._order_churn(now, minutes)
        if self._happens(OUTAGE, minutes):
            out += self._outage(now)
        for client in self.world.clients:
            tickets = sum(t["client_id"] == client.id for t in self._tickets.values())
            if tickets < MAX_OPEN_TICKETS and self._happens(NEW_TICKET, minutes):
                prio = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
                stale = rng.random() < 0.15  # synced late: breaches in a few minutes
                age = self._sla(prio) - self._paced(60, 300) if stale else self._paced(0, 120)
                out.append(self._ticket(client, now, prio, age, "NEW"))
            orders = sum(o["client_id"] == client.id for o in self._orders.values())
            if orders < MAX_OPEN_ORDERS and self._happens(NEW_ORDER, minutes):
                if rng.random() < 0.2:  # already running late: overdue in a few minutes
                    planned, expires = now - self._paced(1200, 3600), now + self._paced(60, 240)
                else:
                    planned = now + timedelta(minutes=rng.uniform(0, 30))
                    expires = planned + timedelta(minutes=rng.uniform(45, 180))
                out.append(self._order(client, planned, expires))
            if self._happens(RELIEF_SHIFT, minutes):
                out += self._relief(client, now)
        return out

    def _ticket_churn(self, now: datetime, minutes: float) -> list[Event]:
        out = []
        for ticket in list(self._tickets.values()):
            boost = 1 + 4 * (now - ticket["created_at"] > self._sla(ticket["priority"]))
            if ticket["status"] == "NEW" and self._happens(TICKET_OPENS, minutes):
                people = self.world.client(ticket["client_id"]).people
                ticket.update(status="OPEN", assignee=self._rng.choice(people).name)
            elif self._happens(TICKET_CLOSES * boost, minutes):
                ticket["status"] = self._rng.choice(("RESOLVED", "CLOSED", "CLOSED"))
                del self._tickets[ticket["id"]]
            elif ticket["escalation_level"] < 3 and self._happens(
                TICKET_ESCALATES * boost, minutes
            ):
                ticket["escalation_level"] += 1
            else:
                continue
            out.append(ticket)
        return out

    def _order_churn(self, now: datetime, minutes: float) -> list[Event]:
        out = []
        for order in list(self._orders.values()):
            status, boost = order["status"], 1 + 2 * (now > order["expires_at"])
            if status != "INPROGRESS" and self._happens(ORDER_STARTS, minutes):
                order["status"] = "INPROGRESS"
            elif status == "ASSIGNED" and self._happens(ORDER_REASSIGNED, minutes):
                order["status"] = "RE_ASSIGNED"
            elif status == "INPROGRESS" and self._happens(ORDER_COMPLETES * boost, minutes):
                order["status"] = "COMPLETED"
                del self._orders[order["id"]]
            else:
                continue
            out.append(order)
        return out

    def _relief(self, client: Client, now: datetime) -> list[Event]:
        """An off-duty person's shift starts in a minute or two; their punch-in
        (usually on time, sometimes late or odd) sends a colleague home."""
        rng = self._rng
        off = [p for p in client.people if p.id not in self._on_duty]
        if not off:
            return []
        person = rng.choice(off)
        shift = self._shift(person, client, now + self._paced(60, 180))
        roll = rng.random()
        how = "poor_gps" if roll < 0.06 else "off_fence" if roll < 0.12 else "ok"
        if 0.12 <= roll < 0.2:  # very late: missing first, resolved by the punch-in
            when = shift["shift_start"] + timedelta(minutes=rng.uniform(16, 19))
        else:
            when = max(now, shift["shift_start"] + timedelta(minutes=rng.uniform(-3, 3)))
        self._at(when, partial(self._punch, person.id, how))
        return [shift]
