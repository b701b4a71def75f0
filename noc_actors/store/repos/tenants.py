"""Tenants: one operating company each; its policy is stored as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import new_id, utcnow
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import tenants


async def create_tenant(
    conn: AsyncConnection,
    *,
    name: str,
    policy: dict[str, Any] | None = None,
    tenant_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Insert a tenant; ``policy`` overrides (JSON of TenantPolicy fields)."""
    row = {
        "id": tenant_id or new_id(),
        "name": name,
        "policy": dict(policy or {}),
        "created_at": now or utcnow(),
    }
    await conn.execute(insert(tenants).values(row))
    return row


async def get_tenant(conn: AsyncConnection, *, tenant_id: str) -> dict[str, Any] | None:
    """The tenant with this id, or None."""
    row = (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).first()
    return as_dict(row) if row else None


async def get_tenant_by_name(conn: AsyncConnection, *, name: str) -> dict[str, Any] | None:
    """The tenant with this (unique) name, or None."""
    row = (await conn.execute(select(tenants).where(tenants.c.name == name))).first()
    return as_dict(row) if row else None


async def list_tenants(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every tenant, by name (for system jobs and the CLI)."""
    result = await conn.execute(select(tenants).order_by(tenants.c.name))
    return [as_dict(r) for r in result]


async def update_policy(conn: AsyncConnection, *, tenant_id: str, policy: dict[str, Any]) -> bool:
    """Replace the tenant's policy overrides; False if there is no such tenant."""
    result = await conn.execute(
        update(tenants).where(tenants.c.id == tenant_id).values(policy=dict(policy))
    )
    return result.rowcount == 1
