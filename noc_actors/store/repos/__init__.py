"""Repositories: keyword-only async functions over an ``AsyncConnection``.

One module per resource. Callers compose several calls in one transaction::

    async with engine.begin() as conn:
        await alerts.update_alerts(conn, changed)
        await alerts.insert_alerts(conn, created)
        await audit.append_audit(conn, entries)

Every query is scoped to one tenant; nothing crosses tenants.
"""

from noc_actors.store.repos import (
    access,
    alerts,
    audit,
    batches,
    clients,
    incidents,
    inhibit_rules,
    live_state,
    maintenance,
    policies,
    reports,
    snapshots,
    tenants,
    tokens,
    users,
)

__all__ = [
    "access",
    "alerts",
    "audit",
    "batches",
    "clients",
    "incidents",
    "inhibit_rules",
    "live_state",
    "maintenance",
    "policies",
    "reports",
    "snapshots",
    "tenants",
    "tokens",
    "users",
]
