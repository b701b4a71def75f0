"""Answers of idempotent ingest batches (``Idempotency-Key``), per client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.schema import ingest_batches


async def get_batch(
    conn: AsyncConnection, *, client_id: str, batch_key: str
) -> dict[str, Any] | None:
    """The stored answer of a batch already applied, or None."""
    stmt = select(ingest_batches.c.report).where(
        ingest_batches.c.client_id == client_id, ingest_batches.c.batch_key == batch_key
    )
    row = (await conn.execute(stmt)).first()
    return None if row is None else dict(row[0])


async def save_batch(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_id: str,
    batch_key: str,
    report: dict[str, Any],
    now: datetime,
) -> None:
    """Record the answer (in the batch's own transaction); a second batch with
    the same key fails on the primary key, which rolls that batch back."""
    await conn.execute(
        ingest_batches.insert().values(
            tenant_id=tenant_id,
            client_id=client_id,
            batch_key=batch_key,
            report=report,
            created_at=now,
        )
    )


async def prune_batches(conn: AsyncConnection, *, before: datetime) -> int:
    """Forget answers older than ``before``; returns how many."""
    result = await conn.execute(delete(ingest_batches).where(ingest_batches.c.created_at < before))
    return int(result.rowcount or 0)
