"""Which hub events one socket may receive (SPEC section 2: every broadcast
is filtered by the user's scope).

- Only dashboard event types are forwarded (``alert_*``, ``incident_*``,
  ``metrics_update``, ``backpressure``); hub markers never are.
- Another tenant's event: never (sockets are grouped by tenant anyway).
- Tenant-wide events (``client_id`` None, e.g. ``backpressure``): every
  socket of the tenant.
- Alerts and incidents: ``Scope.allows_alert`` (a site-only user gets only its
  sites' events; one without a site is not visible to it) and the client is
  one the socket is subscribed to.
- ``metrics_update``: a client-wide aggregate, so like the snapshots API it
  goes only to users who see the whole client (not to site-only users).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from noc_actors.domain.access import Scope
from noc_actors.domain.hub_events import StreamItem, is_dashboard_event


@dataclass
class EventFilter:
    """One socket's view: the user's scope minus the clients it unsubscribed."""

    scope: Scope
    unsubscribed: set[str] = field(default_factory=set)

    def may_subscribe(self, client_id: str) -> bool:
        return self.scope.allows_client(client_id)

    def subscribed(self, visible: list[str]) -> list[str]:
        """The visible clients the socket currently follows, order kept."""
        return [c for c in visible if c not in self.unsubscribed]

    def allows(self, event: StreamItem) -> bool:
        if not is_dashboard_event(event):
            return False
        tenant = event.get("tenant_id")
        if tenant != self.scope.tenant_id:
            return False
        client = event.get("client_id")
        if client is None:
            return True
        if client in self.unsubscribed or not self.scope.allows_client(client):
            return False
        if event["type"] == "metrics_update":
            return self.scope.sites is None
        return self.scope.allows_alert(tenant, client, event.get("site_id"))
