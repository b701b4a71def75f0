"""What a host loads about a tenant and client before it serves: the
effective policy, escalation chain and contacts (with the on-call
schedules that can apply), geofences and maintenance
windows (a ``ClientContext``). Read-only helpers over the repositories."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.context import ClientContext
from noc_actors.domain.errors import NotFound
from noc_actors.domain.escalation import EscalationContacts, EscalationPolicy, EscalationTarget
from noc_actors.domain.policy import TenantPolicy
from noc_actors.store.repos import clients, inhibit_rules, maintenance, oncall, policies, tenants


def effective_policy(defaults: TenantPolicy, overrides: Mapping[str, Any] | None) -> TenantPolicy:
    """The process defaults with the tenant's stored overrides on top."""
    if not overrides:
        return defaults
    return TenantPolicy.model_validate({**defaults.model_dump(), **dict(overrides)})


async def tenant_policy(
    conn: AsyncConnection, tenant_id: str, defaults: TenantPolicy
) -> TenantPolicy:
    tenant = await tenants.get_tenant(conn, tenant_id=tenant_id)
    if tenant is None:
        raise NotFound("tenant", tenant_id)
    return effective_policy(defaults, tenant.get("policy"))


async def load_client_context(
    conn: AsyncConnection,
    tenant_id: str,
    client_id: str,
    defaults: TenantPolicy,
    now: datetime,
) -> ClientContext:
    policy = await tenant_policy(conn, tenant_id, defaults)
    client = await clients.get_client(conn, tenant_id=tenant_id, client_id=client_id)
    if client is None:
        raise NotFound("client", client_id)
    sites = await clients.list_sites(conn, tenant_id=tenant_id, client_id=client_id)
    stored = await policies.effective_escalation_policy(
        conn, tenant_id=tenant_id, client_id=client_id
    )
    escalation = (
        EscalationPolicy(
            tuple(EscalationTarget(t["kind"], t.get("ref")) for t in stored["targets"])
        )
        if stored and stored.get("targets")
        else EscalationPolicy.default()
    )
    contacts = EscalationContacts(
        site_oncall={s["id"]: s["oncall_user_id"] for s in sites if s.get("oncall_user_id")},
        site_incharge={s["id"]: s["incharge_user_id"] for s in sites if s.get("incharge_user_id")},
        client_owner={client_id: client["owner_user_id"]} if client.get("owner_user_id") else {},
        schedules=tuple(
            await oncall.load_schedules(
                conn, tenant_id=tenant_id, client_id=client_id, ending_after=now
            )
        ),
    )
    windows = await maintenance.list_windows(
        conn, tenant_id=tenant_id, client_id=client_id, ending_after=now
    )
    geofences = {
        s["id"]: (s["lat"], s["lon"], s["geofence_radius_m"])
        for s in sites
        if s.get("lat") is not None and s.get("lon") is not None and s.get("geofence_radius_m")
    }
    rules = await inhibit_rules.effective_rules(conn, tenant_id=tenant_id)
    return ClientContext(
        policy,
        bool(client["enabled"]),
        escalation,
        contacts,
        windows,
        geofences,
        tuple(rules),
    )
