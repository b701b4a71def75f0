"""Alembic environment of the NOC store: migrations run through the async
engine (asyncpg or aiosqlite), as in Alembic's asyncio cookbook.

The URL comes from ``config.attributes["url"]`` (set by
``noc_actors.store.db.upgrade``), else the ``NOC_DATABASE_URL`` environment
variable, else ``sqlalchemy.url`` in alembic.ini. On PostgreSQL the run holds
a transaction-scoped advisory lock, so replicas that start together and all
call ``upgrade`` apply each revision once.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from noc_actors.store.db import normalise_url
from noc_actors.store.schema import metadata

# Any constant shared by every NOC process; "NOC" + "MIGR" in ASCII.
_PG_MIGRATION_LOCK = 0x4E4F434D49475200

config = context.config


def _url() -> str:
    url = (
        config.attributes.get("url")
        or os.environ.get("NOC_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise RuntimeError("no database URL: pass one to upgrade(url) or set NOC_DATABASE_URL")
    return normalise_url(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    asyncio.run(_run_async())
