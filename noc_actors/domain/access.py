"""Capabilities and scope (SPEC section 2).

A ``Principal`` is who is asking; a ``Scope`` is what they may see, computed
once per request (or per WebSocket connection) and then asked per object.

Rules, in order:

* ``noc:view`` comes first: without it a principal has no capability at all
  (except ``noc:ingest``, which integration keys hold on its own).
* A tenant admin has every capability, within its own tenant only.
* A capability stored as ``False`` (or anything but the literal ``True``) is
  not granted.
* Visible clients: all (admin or ``noc:view_all_clients``), else the assigned
  clients (``noc:view_client``), else the clients of the assigned sites
  (``noc:view_assigned_sites``), else none. The chain goes by capability: a
  user holding ``noc:view_client`` gets exactly their assigned clients, even
  if that set is empty — we never widen scope by falling through.
* Site-only users (the third branch) see only alerts of their assigned sites;
  an alert without a site is not visible to them.
* Disabled clients: admins still see them (history, exports, audit); nobody
  else does. ``Scope.overview_clients`` hides them from everyone's overview.
* Another tenant's object is never visible (the API answers 404).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from noc_actors.domain.enums import Capability
from noc_actors.domain.errors import PermissionDenied

_NEEDS_NO_VIEW: Final = frozenset({Capability.INGEST})


class AllClients:
    """Sentinel type: every client of the tenant, present and future."""

    _instance: AllClients | None = None

    def __new__(cls) -> AllClients:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL"

    def __reduce__(self) -> tuple[type[AllClients], tuple[()]]:
        return (AllClients, ())  # stays the singleton across pickling (Ray)


ALL: Final = AllClients()
"""The one ``AllClients`` value."""

ClientSet = frozenset[str] | AllClients


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What scope needs to know about one client of the tenant."""

    id: str
    enabled: bool = True
    name: str = ""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user or integration key, as stored.

    ``capabilities`` maps capability names to the stored flag; only ``True``
    grants. Collections are copied on construction (a plain dict keeps it picklable)."""

    user_id: str
    tenant_id: str
    is_admin: bool = False
    capabilities: Mapping[str, bool] = field(default_factory=dict, hash=False)
    assigned_client_ids: frozenset[str] = frozenset()
    assigned_site_ids: frozenset[str] = frozenset()
    display_name: str = ""

    def __post_init__(self) -> None:
        caps = {str(k): v for k, v in self.capabilities.items()}
        object.__setattr__(self, "capabilities", caps)
        object.__setattr__(self, "assigned_client_ids", frozenset(self.assigned_client_ids))
        object.__setattr__(self, "assigned_site_ids", frozenset(self.assigned_site_ids))

    def _stored(self, cap: str) -> bool:
        return self.capabilities.get(cap) is True

    def has(self, cap: Capability | str) -> bool:
        """True when ``cap`` is granted (admins hold all; noc:view comes first)."""
        cap = str(cap)
        if self.is_admin:
            return True
        if cap not in _NEEDS_NO_VIEW and not self._stored(Capability.VIEW):
            return False
        return self._stored(cap)

    def require(self, cap: Capability | str) -> None:
        """Raise ``PermissionDenied`` unless ``cap`` is granted."""
        if not self.has(cap):
            raise PermissionDenied(str(cap), f"user {self.user_id}")

    def granted(self) -> frozenset[str]:
        """Every capability this principal effectively holds."""
        return frozenset(c.value for c in Capability if self.has(c))

    def same_tenant(self, tenant_id: str) -> bool:
        return tenant_id == self.tenant_id


def visible_clients(
    principal: Principal,
    tenant_clients: Mapping[str, ClientInfo],
    site_clients: Mapping[str, str] | None = None,
) -> ClientSet:
    """Which clients ``principal`` may see (SPEC section 2).

    ``tenant_clients`` are the clients of the principal's tenant;
    ``site_clients`` maps each site of the tenant to its client. Returns ``ALL``
    for admins and ``noc:view_all_clients`` (disabled clients are then hidden
    from non-admins by ``Scope``); concrete sets never contain disabled or
    unknown clients for non-admins."""
    if not principal.has(Capability.VIEW):
        return frozenset()
    if principal.is_admin or principal.has(Capability.VIEW_ALL_CLIENTS):
        return ALL

    def enabled(cid: str) -> bool:
        info = tenant_clients.get(cid)
        return info is not None and info.enabled

    if principal.has(Capability.VIEW_CLIENT):
        return frozenset(c for c in principal.assigned_client_ids if enabled(c))
    if principal.has(Capability.VIEW_ASSIGNED_SITES):
        sites = site_clients or {}
        owners = (sites.get(s) for s in principal.assigned_site_ids)
        return frozenset(c for c in owners if c is not None and enabled(c))
    return frozenset()


@dataclass(frozen=True, slots=True)
class Scope:
    """What one principal may see, computed once per request.

    ``clients`` is ``ALL`` or a set of client ids; ``sites`` is ``None`` (no
    site restriction) or the set of sites a site-only user may see;
    ``hidden_clients`` are disabled clients hidden from non-admins."""

    tenant_id: str
    clients: ClientSet
    sites: frozenset[str] | None = None
    hidden_clients: frozenset[str] = frozenset()

    @classmethod
    def for_principal(
        cls,
        principal: Principal,
        tenant_clients: Mapping[str, ClientInfo],
        site_clients: Mapping[str, str] | None = None,
    ) -> Scope:
        clients = visible_clients(principal, tenant_clients, site_clients)
        hidden: frozenset[str] = frozenset()
        if not principal.is_admin:
            hidden = frozenset(c.id for c in tenant_clients.values() if not c.enabled)
        sites: frozenset[str] | None = None
        if (
            not principal.is_admin
            and not principal.has(Capability.VIEW_ALL_CLIENTS)
            and not principal.has(Capability.VIEW_CLIENT)
        ):
            owner = site_clients or {}
            sites = frozenset(
                s
                for s in principal.assigned_site_ids
                if isinstance(clients, frozenset) and owner.get(s) in clients
            )
        return cls(principal.tenant_id, clients, sites, hidden)

    @classmethod
    def nothing(cls, tenant_id: str) -> Scope:
        """A scope that allows nothing (e.g. a principal without noc:view)."""
        return cls(tenant_id, frozenset(), frozenset())

    @property
    def is_all(self) -> bool:
        return isinstance(self.clients, AllClients)

    @property
    def is_empty(self) -> bool:
        return not self.is_all and not self.clients

    def allows_client(self, client_id: str) -> bool:
        """May the principal see this client of *its own* tenant?

        Callers resolve ``client_id`` inside the scope's tenant first; a client
        of another tenant must already have answered 404."""
        if client_id in self.hidden_clients:
            return False
        if isinstance(self.clients, AllClients):
            return True
        return client_id in self.clients

    def allows_alert(self, tenant_id: str, client_id: str, site_id: str | None) -> bool:
        """May the principal see an alert (or incident) with these owners?"""
        if tenant_id != self.tenant_id or not self.allows_client(client_id):
            return False
        if self.sites is None:
            return True
        return site_id is not None and site_id in self.sites

    def filter_client_ids(self, client_ids: Iterable[str]) -> list[str]:
        """The given ids the principal may see, order kept."""
        return [c for c in client_ids if self.allows_client(c)]

    def overview_clients(self, tenant_clients: Mapping[str, ClientInfo]) -> list[str]:
        """Client ids for overview lists and tiles: visible and enabled, sorted."""
        return sorted(
            c.id for c in tenant_clients.values() if c.enabled and self.allows_client(c.id)
        )
