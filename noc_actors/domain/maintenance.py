"""Maintenance windows (SPEC section 3): matching alerts are recorded as
SUPPRESSED — counted and searchable, never pushed or escalated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True, frozen=True)
class MaintenanceWindow:
    """A planned quiet period. ``client_id`` None = every client of the tenant;
    ``site_id`` None = every site; ``alert_types`` empty = every type."""

    id: str
    tenant_id: str
    starts_at: datetime
    ends_at: datetime
    client_id: str | None = None
    site_id: str | None = None
    alert_types: frozenset[str] = field(default_factory=frozenset)
    reason: str = ""
    created_by: str | None = None

    def active(self, now: datetime) -> bool:
        """Half-open interval: active from starts_at up to (not at) ends_at."""
        return self.starts_at <= now < self.ends_at

    def covers(
        self, tenant_id: str, client_id: str, site_id: str | None, alert_type: str, now: datetime
    ) -> bool:
        if tenant_id != self.tenant_id or not self.active(now):
            return False
        if self.client_id is not None and self.client_id != client_id:
            return False
        if self.site_id is not None and self.site_id != site_id:
            return False
        return not self.alert_types or alert_type in self.alert_types

    def is_full_for(self, tenant_id: str, client_id: str, now: datetime) -> bool:
        """True when the whole client is quiet: no site, every type."""
        return (
            tenant_id == self.tenant_id
            and self.active(now)
            and (self.client_id is None or self.client_id == client_id)
            and self.site_id is None
            and not self.alert_types
        )


def covering_window(
    windows: Iterable[MaintenanceWindow],
    tenant_id: str,
    client_id: str,
    site_id: str | None,
    alert_type: str,
    now: datetime,
) -> MaintenanceWindow | None:
    """The first window that suppresses such an alert now, if any."""
    for w in windows:
        if w.covers(tenant_id, client_id, site_id, alert_type, now):
            return w
    return None


def client_under_full_maintenance(
    windows: Iterable[MaintenanceWindow], tenant_id: str, client_id: str, now: datetime
) -> bool:
    return any(w.is_full_for(tenant_id, client_id, now) for w in windows)
