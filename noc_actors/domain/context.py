"""What a client's aggregate is configured with, as the store loads it before
the aggregate serves: the tenant's effective policy, whether the client is
enabled, its escalation chain and contacts, its maintenance windows (current
and upcoming), the geofences of its sites and the tenant's inhibit rules.
Plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from noc_actors.domain.escalation import EscalationContacts, EscalationPolicy
from noc_actors.domain.inhibition import DEFAULT_RULES, InhibitRule
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.domain.policy import TenantPolicy

Geofence = tuple[float, float, float]
"""(lat, lon, radius_m) of a site."""


@dataclass
class ClientContext:
    """One client's configuration (see the module docstring)."""

    policy: TenantPolicy
    enabled: bool = True
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy.default)
    contacts: EscalationContacts = field(default_factory=EscalationContacts)
    windows: list[MaintenanceWindow] = field(default_factory=list)
    geofences: dict[str, Geofence] = field(default_factory=dict)
    inhibit_rules: tuple[InhibitRule, ...] = DEFAULT_RULES
    """The tenant's inhibit rules (the shipped defaults unless it changed them)."""
