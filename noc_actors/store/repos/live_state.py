"""The live entity state of each client (tickets, work orders, devices,
attendance), saved by its aggregator so a restart resumes where it stopped.

The state is one JSON document per client: values must be JSON-serialisable
(datetimes as ISO strings), and the aggregator owns its shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import upsert
from noc_actors.store.schema import client_live_state as live


async def save_live_state(
    conn: AsyncConnection, *, tenant_id: str, client_id: str, state: dict[str, Any], now: datetime
) -> None:
    """Replace the client's saved state (insert or update, one statement)."""
    await upsert(
        conn,
        live,
        [{"client_id": client_id, "tenant_id": tenant_id, "state": state, "updated_at": now}],
        keys=("client_id",),
        update=("state", "updated_at"),
    )


async def load_live_state(
    conn: AsyncConnection, *, client_id: str, tenant_id: str | None = None
) -> dict[str, Any] | None:
    """The client's saved state, or None if it never saved one (or, with
    ``tenant_id``, if the client belongs to another tenant)."""
    stmt = select(live.c.state).where(live.c.client_id == client_id)
    if tenant_id is not None:
        stmt = stmt.where(live.c.tenant_id == tenant_id)
    state = (await conn.execute(stmt)).scalar_one_or_none()
    return dict(state) if state is not None else None
