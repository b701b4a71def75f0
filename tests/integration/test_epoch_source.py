"""A replica's reader of the access epoch holds one connection between
reads: each read still sees the latest commit (autocommit, no snapshot held
open), and a connection that died is replaced without failing the request."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.store.repos import tenants
from serve_app.auth import EpochSource


async def test_the_held_connection_sees_each_change_and_a_dead_one_is_replaced(
    migrated_url: str, engine: AsyncEngine
) -> None:
    source = EpochSource(migrated_url)
    try:
        first = await source.get()
        async with engine.begin() as conn:
            await tenants.create_tenant(conn, name=f"epoch-{uuid.uuid4().hex[:6]}")
        second = await source.get()
        assert second > first  # read on the same held connection, after the commit

        held = source._conn
        assert held is not None
        if engine.dialect.name == "postgresql":  # the server drops the session
            pid = (await held.exec_driver_sql("SELECT pg_backend_pid()")).scalar()
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        else:
            await held.invalidate()
        assert await source.get() == second  # a new connection, no error
        assert source._conn is not None and source._conn is not held
    finally:
        await source.close()
