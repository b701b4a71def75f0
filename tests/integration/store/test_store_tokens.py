"""API tokens: hashed at rest, shown once, dead when revoked or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.store.repos import tokens
from noc_actors.store.schema import api_tokens

if TYPE_CHECKING:
    from tests.integration.store.conftest import Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


async def test_token_is_stored_only_as_a_hash(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        plaintext, record = await tokens.issue_token(
            conn, tenant_id=org.tenant_a, name="laptop", user_id=org.user_a, now=T0
        )
    assert plaintext.startswith("noc_") and len(plaintext) > 40
    assert "token_hash" not in record
    assert plaintext.startswith(record["prefix"]) and len(record["prefix"]) < 16
    async with engine.connect() as conn:
        rows = (await conn.execute(select(api_tokens))).all()
    stored = [str(v) for row in rows for v in row]
    assert not any(plaintext in v for v in stored)
    assert tokens.hash_token(plaintext) in stored


async def test_user_token_resolves_to_its_user(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        plaintext, record = await tokens.issue_token(
            conn, tenant_id=org.tenant_a, name="laptop", user_id=org.user_a, now=T0
        )
        resolved = await tokens.resolve_token(conn, token=plaintext, now=T0)
    assert resolved is not None
    assert resolved["id"] == record["id"]
    assert resolved["tenant_id"] == org.tenant_a
    assert resolved["user"]["id"] == org.user_a
    assert resolved["user"]["is_admin"] is True
    assert "token_hash" not in resolved


async def test_integration_key_has_no_user_and_its_own_capabilities(
    engine: AsyncEngine, org: Org
) -> None:
    async with engine.begin() as conn:
        plaintext, _ = await tokens.issue_token(
            conn,
            tenant_id=org.tenant_a,
            name="prometheus",
            kind="integration",
            client_id=org.client_a1,
            capabilities=["noc:ingest"],
            now=T0,
        )
        resolved = await tokens.resolve_token(conn, token=plaintext, now=T0)
    assert resolved is not None
    assert resolved["user"] is None
    assert resolved["client_id"] == org.client_a1
    assert resolved["capabilities"] == ["noc:ingest"]


async def test_revoked_and_expired_tokens_do_not_resolve(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        revoked, rec = await tokens.issue_token(
            conn, tenant_id=org.tenant_a, name="old", user_id=org.user_a, now=T0
        )
        expiring, _ = await tokens.issue_token(
            conn,
            tenant_id=org.tenant_a,
            name="temp",
            user_id=org.user_a,
            now=T0,
            expires_at=T0 + timedelta(hours=1),
        )
        assert not await tokens.revoke_token(
            conn, tenant_id=org.tenant_b, token_id=rec["id"], now=T0
        )  # not theirs to revoke
        assert await tokens.revoke_token(conn, tenant_id=org.tenant_a, token_id=rec["id"], now=T0)
        assert not await tokens.revoke_token(
            conn, tenant_id=org.tenant_a, token_id=rec["id"], now=T0
        )
        assert await tokens.resolve_token(conn, token=revoked, now=T0) is None
        assert await tokens.resolve_token(conn, token=expiring, now=T0 + timedelta(minutes=59))
        assert await tokens.resolve_token(conn, token=expiring, now=T0 + timedelta(hours=1)) is None
        assert await tokens.resolve_token(conn, token="noc_unknown", now=T0) is None


async def test_token_use_is_recorded_in_batches_and_never_goes_back(
    engine: AsyncEngine, org: Org
) -> None:
    async with engine.begin() as conn:
        _, rec = await tokens.issue_token(
            conn, tenant_id=org.tenant_a, name="t", user_id=org.user_a, now=T0
        )
        assert await tokens.mark_used(conn, used={rec["id"]: T0 + timedelta(minutes=2)}) == 1
        assert not await tokens.mark_used(conn, used={rec["id"]: T0 + timedelta(seconds=30)})
        assert await tokens.mark_used(conn, used={}) == 0
        listed = await tokens.list_tokens(conn, tenant_id=org.tenant_a)
        assert await tokens.list_tokens(conn, tenant_id=org.tenant_b) == []
    assert [t["last_used_at"] for t in listed] == [T0 + timedelta(minutes=2)]


async def test_a_user_token_needs_a_user(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        with pytest.raises(ValueError):
            await tokens.issue_token(conn, tenant_id=org.tenant_a, name="x", now=T0)
        with pytest.raises(ValueError):
            await tokens.issue_token(conn, tenant_id=org.tenant_a, name="x", kind="root", now=T0)


async def test_a_batch_of_uses_says_how_many_rows_it_changed(engine: AsyncEngine, org: Org) -> None:
    """One statement for many tokens, each with its own time; a token already
    used later keeps its time (and is not counted), on both backends."""
    async with engine.begin() as conn:
        ids = [
            (await tokens.issue_token(conn, tenant_id=org.tenant_a, name=f"k{i}", now=T0,
                                      kind="integration"))[1]["id"]
            for i in range(3)
        ]  # fmt: skip
        assert await tokens.mark_used(conn, used={ids[2]: T0 + timedelta(hours=1)}) == 1
        used = {ids[0]: T0 + timedelta(minutes=1), ids[1]: T0 + timedelta(minutes=2),
                ids[2]: T0 + timedelta(minutes=3)}  # fmt: skip
        assert await tokens.mark_used(conn, used=used) == 2
        listed = {t["id"]: t["last_used_at"] for t in await tokens.list_tokens(
            conn, tenant_id=org.tenant_a)}  # fmt: skip
    assert [listed[i] for i in ids] == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
        T0 + timedelta(hours=1),
    ]
