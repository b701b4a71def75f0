"""Clients (customers of a tenant) and their sites (nested under regions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import new_id, utcnow
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import clients, sites


async def create_client(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    name: str,
    client_id: str | None = None,
    enabled: bool = True,
    owner_user_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Insert a client of the tenant (names are unique per tenant)."""
    row = {
        "id": client_id or new_id(),
        "tenant_id": tenant_id,
        "name": name,
        "enabled": enabled,
        "owner_user_id": owner_user_id,
        "created_at": now or utcnow(),
    }
    await conn.execute(insert(clients).values(row))
    return row


async def get_client(
    conn: AsyncConnection, *, tenant_id: str, client_id: str
) -> dict[str, Any] | None:
    """The client, or None (also for another tenant's client)."""
    row = (
        await conn.execute(
            select(clients).where(clients.c.tenant_id == tenant_id, clients.c.id == client_id)
        )
    ).first()
    return as_dict(row) if row else None


async def get_client_any_tenant(conn: AsyncConnection, *, client_id: str) -> dict[str, Any] | None:
    """The client with this (globally unique) id, whatever its tenant — for
    system actors that route by client id. Never use it to answer a user."""
    row = (await conn.execute(select(clients).where(clients.c.id == client_id))).first()
    return as_dict(row) if row else None


async def list_clients(
    conn: AsyncConnection, *, tenant_id: str, enabled_only: bool = False
) -> list[dict[str, Any]]:
    """The tenant's clients by name; ``enabled_only`` skips disabled ones."""
    stmt = select(clients).where(clients.c.tenant_id == tenant_id)
    if enabled_only:
        stmt = stmt.where(clients.c.enabled.is_(True))
    result = await conn.execute(stmt.order_by(clients.c.name))
    return [as_dict(r) for r in result]


async def set_enabled(
    conn: AsyncConnection, *, tenant_id: str, client_id: str, enabled: bool
) -> bool:
    """Enable or disable a client; False if the tenant has no such client."""
    result = await conn.execute(
        update(clients)
        .where(clients.c.tenant_id == tenant_id, clients.c.id == client_id)
        .values(enabled=enabled)
    )
    return result.rowcount == 1


async def create_site(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_id: str,
    name: str,
    site_id: str | None = None,
    parent_id: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    geofence_radius_m: float | None = None,
    oncall_user_id: str | None = None,
    incharge_user_id: str | None = None,
) -> dict[str, Any]:
    """Insert a site of a client; ``parent_id`` nests it under a region site.

    Composite foreign keys refuse a client, parent or user of another tenant."""
    row = {
        "id": site_id or new_id(),
        "tenant_id": tenant_id,
        "client_id": client_id,
        "parent_id": parent_id,
        "name": name,
        "lat": lat,
        "lon": lon,
        "geofence_radius_m": geofence_radius_m,
        "oncall_user_id": oncall_user_id,
        "incharge_user_id": incharge_user_id,
    }
    await conn.execute(insert(sites).values(row))
    return row


async def get_site(conn: AsyncConnection, *, tenant_id: str, site_id: str) -> dict[str, Any] | None:
    """The site, or None (also for another tenant's site)."""
    row = (
        await conn.execute(
            select(sites).where(sites.c.tenant_id == tenant_id, sites.c.id == site_id)
        )
    ).first()
    return as_dict(row) if row else None


async def list_sites(
    conn: AsyncConnection, *, tenant_id: str, client_id: str | None = None
) -> list[dict[str, Any]]:
    """The tenant's sites (of one client if given), by name."""
    stmt = select(sites).where(sites.c.tenant_id == tenant_id)
    if client_id is not None:
        stmt = stmt.where(sites.c.client_id == client_id)
    result = await conn.execute(stmt.order_by(sites.c.name, sites.c.id))
    return [as_dict(r) for r in result]
