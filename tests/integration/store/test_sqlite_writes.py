"""SQLite writes in one thread hop (``store.sqlite_writes``): a file's
transactions commit or roll back whole, and a write that would need the
event loop is refused instead of half-run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.policy import TenantPolicy
from noc_actors.store.client_store import SqlClientStore
from noc_actors.store.db import make_engine, normalise_url
from noc_actors.store.sqlite_writes import SqliteWrites


async def _rows(url: str) -> list[tuple[int, str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [
                (r[0], r[1]) for r in await conn.execute(text("SELECT id, v FROM t ORDER BY id"))
            ]
    finally:
        await engine.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return normalise_url(f"sqlite:///{tmp_path}/w.db")


async def test_a_write_commits_whole_or_not_at_all(url: str) -> None:
    writes = SqliteWrites(make_url(url))
    try:

        async def create(conn: AsyncConnection) -> None:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
            await conn.execute(text("INSERT INTO t VALUES (:id, :v)"), [{"id": 1, "v": "a"}])

        async def half_then_fail(conn: AsyncConnection) -> None:
            await conn.execute(text("INSERT INTO t VALUES (2, 'b')"))
            await conn.execute(text("INSERT INTO t VALUES (1, 'again')"))  # primary key

        async def waits_on_the_loop(conn: AsyncConnection) -> None:
            await conn.execute(text("INSERT INTO t VALUES (3, 'c')"))
            await asyncio.sleep(0)  # would need the event loop: refused, rolled back

        await writes.write(create)
        with pytest.raises(Exception, match="UNIQUE"):
            await writes.write(half_then_fail)
        with pytest.raises(RuntimeError, match="awaited something other"):
            await writes.write(waits_on_the_loop)
        assert await _rows(url) == [(1, "a")]  # seen by another (async) connection
    finally:
        writes.close()


async def test_the_store_writes_a_sqlite_file_through_it_and_memory_not(url: str) -> None:
    on_file = SqlClientStore(make_engine(url), TenantPolicy())
    in_memory = SqlClientStore(make_engine("sqlite+aiosqlite://"), TenantPolicy())
    try:
        assert on_file.sqlite is not None
        assert in_memory.sqlite is None  # a memory database is its connection's own
    finally:
        for store in (on_file, in_memory):
            if store.sqlite is not None:
                store.sqlite.close()
            await store.engine.dispose()
