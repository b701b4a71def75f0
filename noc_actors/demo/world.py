"""The demo world: four clients of a facility-management provider in Sydney,
their sites (with geofences), the people who work there and the devices that
watch them.

Plain frozen data, the same on every call. People carry PII (names, e-mail
addresses, phone numbers) so the demo can show masking; all of it is
fictional: e-mail domains end in the reserved ``.example`` TLD and phone
numbers lie in the ACMA range reserved for fiction (``+61 2 5550 xxxx``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["guard", "cleaner", "technician"]
DeviceKind = Literal["camera", "access_reader", "patrol_phone"]


@dataclass(frozen=True, slots=True)
class Site:
    """A site of a client and its geofence (centre in degrees, radius in metres)."""

    id: str
    name: str
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who works shifts at one site."""

    id: str
    name: str
    email: str
    phone: str
    role: Role
    site_id: str


@dataclass(frozen=True, slots=True)
class Device:
    """A field device installed at one site."""

    id: str
    name: str
    kind: DeviceKind
    site_id: str


@dataclass(frozen=True, slots=True)
class Client:
    """A client of the provider with its sites, people and devices."""

    id: str
    name: str
    sites: tuple[Site, ...]
    people: tuple[Person, ...]
    devices: tuple[Device, ...]

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    @property
    def site_ids(self) -> frozenset[str]:
        return frozenset(site.id for site in self.sites)

    def people_at(self, site_id: str) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.site_id == site_id)

    def devices_at(self, site_id: str) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if d.site_id == site_id)


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """Every client of the demo."""

    clients: tuple[Client, ...]

    def client(self, client_id: str) -> Client:
        for client in self.clients:
            if client.id == client_id:
                return client
        raise KeyError(client_id)

    @property
    def client_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.clients)


# (client id, client name, e-mail domain,
#  [(site suffix, site name, lat, lon, radius m, device count)])
_CLIENTS: tuple[
    tuple[str, str, str, tuple[tuple[str, str, float, float, float, int], ...]], ...
] = (
    (
        "harbour-mall",
        "Harbour Mall",
        "harbourmall.example",
        (
            ("north", "Harbour Mall North Entrance", -33.8715, 151.1990, 150, 5),
            ("south", "Harbour Mall South Concourse", -33.8769, 151.2003, 150, 4),
            ("carpark", "Harbour Mall Car Park", -33.8752, 151.1968, 120, 3),
        ),
    ),
    (
        "northgate-hospital",
        "Northgate Hospital",
        "northgatehealth.example",
        (
            ("main", "Northgate Hospital Main Building", -33.7969, 151.1816, 200, 5),
            ("east-wing", "Northgate Hospital East Wing", -33.7957, 151.1843, 120, 4),
        ),
    ),
    (
        "riverside-offices",
        "Riverside Offices",
        "riversideoffices.example",
        (
            ("tower-a", "Riverside Tower A", -33.8151, 151.0034, 100, 4),
            ("tower-b", "Riverside Tower B", -33.8163, 151.0052, 100, 3),
        ),
    ),
    (
        "airport-logistics-park",
        "Airport Logistics Park",
        "airportlogistics.example",
        (
            ("gate", "Airport Logistics Park Main Gate", -33.9399, 151.1753, 250, 3),
            ("warehouse-1", "Airport Logistics Park Warehouse 1", -33.9352, 151.1690, 300, 5),
            ("warehouse-2", "Airport Logistics Park Warehouse 2", -33.9331, 151.1661, 300, 4),
        ),
    ),
)

_NAMES = (
    "Amelia Hughes", "Rajesh Iyer", "Chloe Nguyen", "Liam O'Connor", "Fatima Haddad",
    "Noah Williams", "Mei Chen", "Oliver Brown", "Aisha Rahman", "Jack Thompson",
    "Sofia Rossi", "Tomasz Kowalski", "Grace Park", "Mateo Garcia", "Priya Sharma",
    "Ethan Walker", "Hannah Schmidt", "Kwame Mensah", "Isla Robertson", "Daniel Kim",
    "Zara Ahmed", "Lucas Martin", "Ruby Taylor", "Arjun Patel", "Emily Davies",
    "Samuel Okafor", "Yuki Tanaka", "Charlotte Lee", "Hamid Karimi", "Olivia Scott",
)  # fmt: skip

_ROLES: tuple[Role, ...] = ("guard", "cleaner", "guard", "technician")
_KINDS: tuple[tuple[DeviceKind, str], ...] = (
    ("camera", "Camera"),
    ("access_reader", "Access reader"),
    ("patrol_phone", "Patrol phone"),
    ("camera", "Camera"),
    ("access_reader", "Access reader"),
)
PEOPLE_PER_SITE = 3

TICKET_TITLES = (
    "Escalator stopped between levels", "Water leak in restroom", "Broken glass at entrance",
    "Lift trapped-passenger alarm", "Air conditioning not cooling", "Blocked fire exit",
    "Lighting failure in corridor", "Spill in food court", "Door forced open alarm",
    "Suspicious parcel reported", "Loading dock shutter jammed", "Graffiti on facade",
)  # fmt: skip
"""What help-desk tickets at these sites are typically about."""

ORDER_TITLES = (
    "Quarterly fire extinguisher check", "Deep clean of washrooms", "Replace CCTV lens",
    "Service access control panel", "Patrol route audit", "Pressure-wash car park ramp",
    "Inspect emergency lighting", "Restock first-aid kits",
)  # fmt: skip
"""What planned work orders at these sites typically are."""


def _person(index: int, domain: str, site_id: str) -> Person:
    name = _NAMES[index % len(_NAMES)]
    first, last = name.lower().replace("'", "").split(" ", 1)
    return Person(
        id=f"person-{index + 1:03d}",
        name=name,
        email=f"{first}.{last}@{domain}",
        phone=f"+61 2 5550 {1000 + 37 * index:04d}",
        role=_ROLES[index % len(_ROLES)],
        site_id=site_id,
    )


def _devices(site: Site, count: int) -> tuple[Device, ...]:
    label = site.name.split()[-2:]
    where = " ".join(label)
    seen: dict[str, int] = {}
    out = []
    for kind, noun in _KINDS[:count]:
        seen[kind] = seen.get(kind, 0) + 1
        short = {"camera": "cam", "access_reader": "reader", "patrol_phone": "phone"}[kind]
        out.append(
            Device(
                id=f"{site.id}-{short}-{seen[kind]}",
                name=f"{noun} {seen[kind]}, {where}",
                kind=kind,
                site_id=site.id,
            )
        )
    return tuple(out)


def demo_world() -> DemoWorld:
    """The fixed demo world: 4 clients, 10 sites, 30 people, 40 devices."""
    clients = []
    index = 0
    for client_id, client_name, domain, site_rows in _CLIENTS:
        sites: list[Site] = []
        people: list[Person] = []
        devices: list[Device] = []
        for suffix, name, lat, lon, radius, device_count in site_rows:
            site = Site(f"{client_id}-{suffix}", name, lat, lon, radius)
            sites.append(site)
            devices.extend(_devices(site, device_count))
            for _ in range(PEOPLE_PER_SITE):
                people.append(_person(index, domain, site.id))
                index += 1
        clients.append(Client(client_id, client_name, tuple(sites), tuple(people), tuple(devices)))
    return DemoWorld(tuple(clients))
