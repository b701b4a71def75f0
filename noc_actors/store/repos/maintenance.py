"""Maintenance windows, stored as ``domain.maintenance.MaintenanceWindow``.

Deleting is soft (``deleted_at``): a deleted window stays for the audit
trail and reports but no longer suppresses anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.store.rows import row_to_window, window_to_row
from noc_actors.store.schema import maintenance_windows as mw

_LIVE = mw.c.deleted_at.is_(None)


async def create_window(
    conn: AsyncConnection, *, window: MaintenanceWindow, now: datetime
) -> MaintenanceWindow:
    """Insert a window (its id and tenant come from ``window``)."""
    await conn.execute(
        insert(mw).values(
            window_to_row(window) | {"created_at": now, "updated_at": now, "deleted_at": None}
        )
    )
    return window


async def update_window(conn: AsyncConnection, *, window: MaintenanceWindow, now: datetime) -> bool:
    """Replace a live window of ``window.tenant_id`` with ``window``; False if
    it does not exist, belongs to another tenant, or was deleted."""
    values = window_to_row(window)
    tenant_id, window_id = values.pop("tenant_id"), values.pop("id")
    result = await conn.execute(
        update(mw)
        .where(mw.c.tenant_id == tenant_id, mw.c.id == window_id, _LIVE)
        .values(values | {"updated_at": now})
    )
    return result.rowcount == 1


async def delete_window(
    conn: AsyncConnection, *, tenant_id: str, window_id: str, now: datetime
) -> bool:
    """Soft-delete a live window; False if absent or already deleted."""
    result = await conn.execute(
        update(mw)
        .where(mw.c.tenant_id == tenant_id, mw.c.id == window_id, _LIVE)
        .values(deleted_at=now, updated_at=now)
    )
    return result.rowcount == 1


async def get_window(
    conn: AsyncConnection, *, tenant_id: str, window_id: str, include_deleted: bool = False
) -> MaintenanceWindow | None:
    """The tenant's window, or None (deleted ones only if asked)."""
    stmt = select(mw).where(mw.c.tenant_id == tenant_id, mw.c.id == window_id)
    if not include_deleted:
        stmt = stmt.where(_LIVE)
    row = (await conn.execute(stmt)).first()
    return row_to_window(row) if row else None


def _for_client(client_id: str | None) -> ColumnElement[bool] | None:
    # A window without client covers every client of the tenant.
    if client_id is None:
        return None
    return or_(mw.c.client_id.is_(None), mw.c.client_id == client_id)


async def list_windows(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_id: str | None = None,
    ending_after: datetime | None = None,
    include_deleted: bool = False,
) -> list[MaintenanceWindow]:
    """The tenant's windows by start (covering ``client_id`` if given);
    ``ending_after`` keeps current and upcoming ones (what an aggregator
    caches to know when maintenance begins)."""
    conditions = [
        mw.c.tenant_id == tenant_id,
        None if include_deleted else _LIVE,
        None if ending_after is None else mw.c.ends_at > ending_after,
        _for_client(client_id),
    ]
    stmt = (
        select(mw)
        .where(*(c for c in conditions if c is not None))
        .order_by(mw.c.starts_at, mw.c.id)
    )
    return [row_to_window(r) for r in await conn.execute(stmt)]
