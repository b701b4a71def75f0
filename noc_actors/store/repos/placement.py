"""The placement directory (table ``client_placement``): which host actor
each client's aggregate lives in. For the supervisor (which places clients)
and the host actors (which find their clients again after a restart); never
used to answer a user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import utcnow
from noc_actors.store.schema import client_placement, clients


@dataclass(frozen=True, slots=True)
class Placed:
    """An enabled client and where it lives (``host`` None: not placed yet)."""

    client_id: str
    tenant_id: str
    placement: str | None
    host: str | None
    resource: str | None = None
    """The Ray resource a dedicated client is pinned to (None: its role's)."""


async def enabled_clients(conn: AsyncConnection) -> list[Placed]:
    """Every enabled client with its placement row, oldest client first."""
    stmt = (
        select(
            clients.c.id,
            clients.c.tenant_id,
            client_placement.c.placement,
            client_placement.c.host,
            client_placement.c.resource,
        )
        .select_from(
            clients.outerjoin(client_placement, client_placement.c.client_id == clients.c.id)
        )
        .where(clients.c.enabled.is_(True))
        .order_by(clients.c.created_at, clients.c.id)
    )
    rows = await conn.execute(stmt)
    return [Placed(r.id, r.tenant_id, r.placement, r.host, r.resource) for r in rows]


async def hosted_by(conn: AsyncConnection, host: str) -> list[tuple[str, str]]:
    """(client_id, tenant_id) of the enabled clients placed in ``host`` (a
    disabled client keeps its row, and its host, for when it is enabled again)."""
    stmt = (
        select(clients.c.id, clients.c.tenant_id)
        .select_from(clients.join(client_placement, client_placement.c.client_id == clients.c.id))
        .where(client_placement.c.host == host, clients.c.enabled.is_(True))
        .order_by(clients.c.id)
    )
    return [(r.id, r.tenant_id) for r in await conn.execute(stmt)]


async def set_host(
    conn: AsyncConnection, *, client_id: str, host: str, now: datetime | None = None
) -> None:
    """Record that ``client_id`` lives in ``host`` (keeps its placement)."""
    await _upsert(conn, client_id, {"host": host}, now)


async def set_placement(
    conn: AsyncConnection,
    *,
    client_id: str,
    placement: str | None,
    resource: str | None = None,
    now: datetime | None = None,
) -> None:
    """Ask for ``pooled`` or ``dedicated`` (None: the system default), and
    for a dedicated client the Ray ``resource`` its host must run on (None:
    the role's). The supervisor places a client not placed yet by it;
    ``Supervisor.move`` moves a placed one."""
    await _upsert(conn, client_id, {"placement": placement, "resource": resource}, now)


async def _upsert(
    conn: AsyncConnection, client_id: str, values: dict[str, str | None], now: datetime | None
) -> None:
    """Change ``values`` of the client's row, creating it (the other column
    NULL) if it has none; portable across SQLite and PostgreSQL."""
    stamped = {**values, "updated_at": now or utcnow()}
    done = await conn.execute(
        update(client_placement).where(client_placement.c.client_id == client_id).values(stamped)
    )
    if done.rowcount == 0:
        row = {"placement": None, "host": None, "resource": None, **stamped}
        row["client_id"] = client_id
        await conn.execute(insert(client_placement).values(row))


async def placement_of(
    conn: AsyncConnection, *, client_id: str
) -> tuple[str | None, str | None, str | None]:
    """(placement asked, host, resource) of a client; all None without a row."""
    row = (
        await conn.execute(
            select(
                client_placement.c.placement,
                client_placement.c.host,
                client_placement.c.resource,
            ).where(client_placement.c.client_id == client_id)
        )
    ).first()
    return (row.placement, row.host, row.resource) if row else (None, None, None)
