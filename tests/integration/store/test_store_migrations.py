"""Migrations are the single source of DDL, repeatable, and match schema.py."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.store.db import downgrade, make_engine, upgrade, upgrade_async
from noc_actors.store.schema import metadata

HEAD = "0012"  # the newest revision in noc_actors/store/migrations/versions


async def _version(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()


async def test_migrations_run_twice_are_a_no_op(migrated_url: str, engine: AsyncEngine) -> None:
    before = await _version(engine)
    upgrade(migrated_url)
    await upgrade_async(migrated_url)
    assert await _version(engine) == before == HEAD
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(metadata.tables) <= tables


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def test_migrated_database_matches_schema_module(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_downgrade_to_base_and_upgrade_again_restores_the_schema(
    migrated_url: str,
) -> None:
    downgrade(migrated_url, "base")
    eng = make_engine(migrated_url)
    try:
        async with eng.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not set(metadata.tables) & tables
        upgrade(migrated_url)
        assert await _version(eng) == HEAD
    finally:
        await eng.dispose()


async def test_upgrade_inside_a_running_event_loop_works(migrated_url: str) -> None:
    # upgrade() is sync; called from async code it must not trip over the loop.
    upgrade(migrated_url)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h:5433/db", "postgresql+asyncpg://u@h:5433/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///var/noc.db", "sqlite+aiosqlite:///var/noc.db"),
        ("sqlite:////abs/noc.db", "sqlite+aiosqlite:////abs/noc.db"),
        ("sqlite+aiosqlite://", "sqlite+aiosqlite://"),
    ],
)
def test_urls_are_normalised_to_async_drivers(given: str, expected: str) -> None:
    from noc_actors.store.db import normalise_url

    assert normalise_url(given) == expected


def test_redacted_url_hides_the_password() -> None:
    from noc_actors.store.db import redact_url

    redacted = redact_url("postgresql+asyncpg://noc:s3cr%40t@db:5432/noc")
    assert "s3cr" not in redacted
    assert redacted == "postgresql+asyncpg://noc:***@db:5432/noc"
    assert "secret" not in redact_url("not a url secret")


async def test_the_access_epoch_moves_on_access_changes_and_not_on_token_use(
    engine: AsyncEngine,
) -> None:
    """Replicas cache tokens and directories against this counter (0003)."""
    from datetime import UTC, datetime

    from noc_actors.store.repos import access, clients, tenants, tokens

    now = datetime.now(UTC)
    async with engine.begin() as conn:
        before = await access.read_epoch(conn)
        t = await tenants.create_tenant(conn, name=f"epoch-{now.timestamp()}")
        await clients.create_client(conn, tenant_id=t["id"], name="Mall")
        _, token = await tokens.issue_token(
            conn, tenant_id=t["id"], name="k", now=now, kind="integration"
        )
    async with engine.begin() as conn:
        after_setup = await access.read_epoch(conn)
        assert after_setup > before  # tenant and client inserts
        assert await tokens.mark_used(conn, used={token["id"]: now}) == 1
    async with engine.begin() as conn:
        assert await access.read_epoch(conn) == after_setup  # use is not a change
        await tokens.revoke_token(conn, tenant_id=t["id"], token_id=token["id"], now=now)
    async with engine.connect() as conn:
        assert await access.read_epoch(conn) > after_setup
