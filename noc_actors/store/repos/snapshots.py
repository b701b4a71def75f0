"""Five-minute metric snapshots per client, and their archive.

Snapshots are not append-only: ``archive_older_than`` moves old rows into
``metric_snapshots_archive`` (copy, then delete, in the caller's
transaction). Writing a snapshot twice for the same (client, window_start)
replaces it, so a retried snapshot job is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import new_id, upsert, utcnow
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import metric_snapshots as snap
from noc_actors.store.schema import metric_snapshots_archive as archive

SNAPSHOT_FIELDS = ("tenant_id", "client_id", "window_start", "window_end", "metrics")


async def insert_snapshots(
    conn: AsyncConnection, snapshots: Sequence[Mapping[str, Any]], *, now: datetime | None = None
) -> None:
    """Write snapshots (mappings with ``SNAPSHOT_FIELDS``, optional ``id``) in
    one statement; an existing (client, window_start) gets the new metrics."""
    created = now or utcnow()
    rows = [
        {"id": s.get("id") or new_id(), "created_at": created} | {f: s[f] for f in SNAPSHOT_FIELDS}
        for s in snapshots
    ]
    await upsert(
        conn, snap, rows, keys=("client_id", "window_start"), update=("window_end", "metrics")
    )


async def latest_snapshots(
    conn: AsyncConnection, *, tenant_id: str, client_ids: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """``{client_id: its newest snapshot}`` for the tenant's clients (or the
    given ones); clients without snapshots are absent."""
    newest = select(snap.c.client_id, func.max(snap.c.window_start).label("ws")).where(
        snap.c.tenant_id == tenant_id
    )
    if client_ids is not None:
        newest = newest.where(snap.c.client_id.in_(list(client_ids)))
    sub = newest.group_by(snap.c.client_id).subquery()
    stmt = select(snap).join(
        sub, and_(snap.c.client_id == sub.c.client_id, snap.c.window_start == sub.c.ws)
    )
    return {
        r.client_id: as_dict(r)
        for r in await conn.execute(stmt.where(snap.c.tenant_id == tenant_id))
    }


async def list_snapshots(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    include_archive: bool = False,
    newest: int | None = None,
) -> list[dict[str, Any]]:
    """A client's snapshots by window_start (``since`` inclusive, ``until``
    exclusive), oldest first; ``newest`` keeps only that many of the latest;
    ``include_archive`` also reads archived ones."""
    out: list[dict[str, Any]] = []
    for table in (archive, snap) if include_archive else (snap,):
        stmt = select(table).where(table.c.tenant_id == tenant_id, table.c.client_id == client_id)
        if since is not None:
            stmt = stmt.where(table.c.window_start >= since)
        if until is not None:
            stmt = stmt.where(table.c.window_start < until)
        if newest is not None:
            stmt = stmt.order_by(table.c.window_start.desc()).limit(newest)
        out.extend(as_dict(r) for r in await conn.execute(stmt))
    out.sort(key=lambda s: s["window_start"])
    return out if newest is None else out[-newest:]


async def archive_older_than(
    conn: AsyncConnection, *, cutoff: datetime, tenant_id: str | None = None
) -> int:
    """Move snapshots whose window started before ``cutoff`` to the archive
    (of one tenant, or of all for the nightly job); returns how many moved.

    Two statements whatever the row count: INSERT ... SELECT, then DELETE.
    A row already archived (same client and window) is not copied twice."""
    where = [snap.c.window_start < cutoff]
    if tenant_id is not None:
        where.append(snap.c.tenant_id == tenant_id)
    already = exists().where(
        archive.c.client_id == snap.c.client_id, archive.c.window_start == snap.c.window_start
    )
    columns = [c.name for c in snap.c]
    await conn.execute(
        insert(archive).from_select(
            columns, select(*(snap.c[c] for c in columns)).where(*where, ~already)
        )
    )
    result = await conn.execute(delete(snap).where(*where))
    return int(result.rowcount)
