"""On-call schedules and their overrides (migration 0007), and the domain
``Schedule`` objects built from them (``domain.oncall``).

A schedule's layers are stored as the JSON the API takes
(``oncall.layers_json``), checked by ``oncall.parse_layers`` on the way in
and parsed again on the way out; overrides are rows, each added or removed
on its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.oncall import Override, Schedule, parse_layers
from noc_actors.store.repos._common import new_id
from noc_actors.store.schema import oncall_overrides, oncall_schedules

SCHEDULE_COLUMNS = ("client_id", "site_id", "name", "time_zone", "layers")


def schedule_of(row: dict[str, Any], overrides: Iterable[dict[str, Any]] = ()) -> Schedule:
    """The domain schedule of a stored row and its override rows."""
    return Schedule(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        time_zone=row["time_zone"],
        layers=parse_layers(row["layers"]),
        client_id=row["client_id"],
        site_id=row["site_id"],
        overrides=tuple(
            Override(o["id"], o["user_id"], o["start_at"], o["end_at"]) for o in overrides
        ),
    )


async def create_schedule(
    conn: AsyncConnection, *, tenant_id: str, now: datetime, **values: Any
) -> dict[str, Any]:
    row = {k: values[k] for k in SCHEDULE_COLUMNS if k in values}
    row |= {"id": new_id(), "tenant_id": tenant_id, "created_at": now, "updated_at": now}
    await conn.execute(insert(oncall_schedules).values(**row))
    found = await get_schedule(conn, tenant_id=tenant_id, schedule_id=row["id"])
    assert found is not None
    return found


async def get_schedule(
    conn: AsyncConnection, *, tenant_id: str, schedule_id: str
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(oncall_schedules).where(
                oncall_schedules.c.tenant_id == tenant_id, oncall_schedules.c.id == schedule_id
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def list_schedules(
    conn: AsyncConnection, *, tenant_id: str, client_id: str | None = None
) -> list[dict[str, Any]]:
    """The tenant's schedules by name; with ``client_id``, those that can
    apply to that client's alerts (its own, its sites', the tenant-wide)."""
    query = select(oncall_schedules).where(oncall_schedules.c.tenant_id == tenant_id)
    if client_id is not None:
        query = query.where(
            or_(oncall_schedules.c.client_id.is_(None), oncall_schedules.c.client_id == client_id)
        )
    rows = await conn.execute(query.order_by(oncall_schedules.c.name, oncall_schedules.c.id))
    return [dict(r._mapping) for r in rows]


async def update_schedule(
    conn: AsyncConnection, *, tenant_id: str, schedule_id: str, now: datetime, **values: Any
) -> dict[str, Any] | None:
    changes = {k: values[k] for k in SCHEDULE_COLUMNS if k in values}
    await conn.execute(
        update(oncall_schedules)
        .where(oncall_schedules.c.tenant_id == tenant_id, oncall_schedules.c.id == schedule_id)
        .values(**changes, updated_at=now)
    )
    return await get_schedule(conn, tenant_id=tenant_id, schedule_id=schedule_id)


async def delete_schedule(conn: AsyncConnection, *, tenant_id: str, schedule_id: str) -> bool:
    """Delete it with its overrides (explicitly: SQLite may run without
    foreign-key enforcement, so the cascade is not relied on)."""
    await conn.execute(
        delete(oncall_overrides).where(
            oncall_overrides.c.tenant_id == tenant_id,
            oncall_overrides.c.schedule_id == schedule_id,
        )
    )
    result = await conn.execute(
        delete(oncall_schedules).where(
            oncall_schedules.c.tenant_id == tenant_id, oncall_schedules.c.id == schedule_id
        )
    )
    return bool(result.rowcount)


# --- overrides ----------------------------------------------------------------------


async def add_override(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    schedule_id: str,
    user_id: str,
    start_at: datetime,
    end_at: datetime,
    note: str,
    created_by: str,
    now: datetime,
) -> dict[str, Any]:
    row = {
        "id": new_id(),
        "tenant_id": tenant_id,
        "schedule_id": schedule_id,
        "user_id": user_id,
        "start_at": start_at,
        "end_at": end_at,
        "note": note,
        "created_by": created_by,
        "created_at": now,
    }
    await conn.execute(insert(oncall_overrides).values(**row))
    return row


async def list_overrides(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    schedule_ids: Sequence[str],
    ending_after: datetime | None = None,
) -> list[dict[str, Any]]:
    """The overrides of these schedules by start (those still running or to
    come after ``ending_after``, if given)."""
    if not schedule_ids:
        return []
    query = select(oncall_overrides).where(
        oncall_overrides.c.tenant_id == tenant_id,
        oncall_overrides.c.schedule_id.in_(list(schedule_ids)),
    )
    if ending_after is not None:
        query = query.where(oncall_overrides.c.end_at > ending_after)
    rows = await conn.execute(query.order_by(oncall_overrides.c.start_at, oncall_overrides.c.id))
    return [dict(r._mapping) for r in rows]


async def delete_override(
    conn: AsyncConnection, *, tenant_id: str, schedule_id: str, override_id: str
) -> dict[str, Any] | None:
    """Remove it; the row it was, or None when there is none."""
    row = (
        await conn.execute(
            select(oncall_overrides).where(
                oncall_overrides.c.tenant_id == tenant_id,
                oncall_overrides.c.schedule_id == schedule_id,
                oncall_overrides.c.id == override_id,
            )
        )
    ).first()
    if row is None:
        return None
    await conn.execute(delete(oncall_overrides).where(oncall_overrides.c.id == override_id))
    return dict(row._mapping)


# --- the domain view ----------------------------------------------------------------


async def load_schedules(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_id: str | None = None,
    ending_after: datetime | None = None,
) -> list[Schedule]:
    """The tenant's schedules (or those that can apply to ``client_id``)
    with their overrides (those ending after ``ending_after``), in two
    queries."""
    rows = await list_schedules(conn, tenant_id=tenant_id, client_id=client_id)
    overrides = await list_overrides(
        conn,
        tenant_id=tenant_id,
        schedule_ids=[r["id"] for r in rows],
        ending_after=ending_after,
    )
    by_schedule: dict[str, list[dict[str, Any]]] = {}
    for o in overrides:
        by_schedule.setdefault(o["schedule_id"], []).append(o)
    return [schedule_of(r, by_schedule.get(r["id"], ())) for r in rows]
