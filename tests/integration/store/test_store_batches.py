"""Idempotent ingest answers: stored once per (client, key), a duplicate key
fails (rolling its batch back), answers older than a cutoff are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.store.repos import batches
from tests.integration.store.conftest import T0, Org

REPORT = {"items": [{"index": 0, "outcome": "created"}], "created": 1}


async def test_an_answer_is_stored_once_per_client_and_key(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        for cid in (org.client_a1, org.client_a2):  # the same key on two clients
            await batches.save_batch(
                conn, tenant_id=org.tenant_a, client_id=cid, batch_key="k1", report=REPORT, now=T0
            )
    async with engine.connect() as conn:
        got = await batches.get_batch(conn, client_id=org.client_a1, batch_key="k1")
        assert got == REPORT
        assert await batches.get_batch(conn, client_id=org.client_a1, batch_key="k2") is None
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await batches.save_batch(
                conn,
                tenant_id=org.tenant_a,
                client_id=org.client_a1,
                batch_key="k1",
                report={},
                now=T0,
            )


async def test_answers_older_than_the_cutoff_are_pruned(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        for key, age in (("old", 25), ("new", 1)):
            await batches.save_batch(
                conn,
                tenant_id=org.tenant_a,
                client_id=org.client_a1,
                batch_key=key,
                report=REPORT,
                now=T0 - timedelta(hours=age),
            )
        assert await batches.prune_batches(conn, before=T0 - timedelta(days=1)) >= 1
    async with engine.connect() as conn:
        assert await batches.get_batch(conn, client_id=org.client_a1, batch_key="old") is None
        assert await batches.get_batch(conn, client_id=org.client_a1, batch_key="new") == REPORT
