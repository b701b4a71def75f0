"""The access epoch (migration 0003): a counter the database bumps whenever
tokens, users, clients, sites or tenants change. Readers cache what depends
on those and compare one number per request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

EPOCH_SQL = "SELECT epoch FROM access_epoch WHERE id = 1"


async def read_epoch(conn: AsyncConnection) -> int:
    """The current access epoch (0 on a fresh database). Plain SQL: replicas
    read it on every request, so there is no statement to build or look up."""
    value = (await conn.exec_driver_sql(EPOCH_SQL)).scalar()
    return int(value or 0)
