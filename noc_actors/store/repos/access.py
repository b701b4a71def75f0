"""The access epoch (migration 0003): a counter the database bumps whenever
tokens, users, clients, sites or tenants change. Readers cache what depends
on those and compare one number per request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.schema import access_epoch


async def read_epoch(conn: AsyncConnection) -> int:
    """The current access epoch (0 on a fresh database)."""
    value = await conn.scalar(select(access_epoch.c.epoch).where(access_epoch.c.id == 1))
    return int(value or 0)


EPOCH_SQL = "SELECT epoch FROM access_epoch WHERE id = 1"


async def read_epoch_now(conn: AsyncConnection) -> int:
    """``read_epoch`` as plain SQL, for a connection that reads it on every
    request (no statement to build or look up in the cache)."""
    value = (await conn.exec_driver_sql(EPOCH_SQL)).scalar()
    return int(value or 0)
