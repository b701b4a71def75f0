"""``GET /api/noc/overview``: one tile per visible, enabled client — open
alerts by severity, the latest metric snapshot, the tenant's backpressure level.

Scope: the clients of ``Scope.overview_clients`` (a site-only user gets only
the clients of its sites). For a site-only user the counts cover its sites
only, and ``latest_snapshot`` is null: a snapshot is a client-wide aggregate
(it counts every site's alerts, tickets and guards), which such a user may not
see."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from ray.exceptions import RayError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.access import ClientInfo
from noc_actors.domain.enums import OPEN_STATUSES, Severity
from noc_actors.domain.errors import Unavailable
from noc_actors.store.repos import clients, snapshots
from noc_actors.store.schema import alerts
from serve_app.auth import Caller
from serve_app.cache import cached
from serve_app.deps import Ctx, Viewer
from serve_app.routes.reports import scoped_alerts
from serve_app.scoping import public

router = APIRouter(prefix="/api/noc", tags=["overview"])
log = logging.getLogger(__name__)

UNKNOWN_LEVEL = "UNKNOWN"
"""Reported when the backpressure actor cannot be asked (the overview still answers)."""


async def open_counts(
    conn: AsyncConnection, caller: Caller, client_ids: list[str]
) -> dict[str, dict[str, int]]:
    """``{client_id: {severity: open alerts}}`` within the caller's scope,
    every client and all five severities present."""
    counts = {cid: {s.value: 0 for s in Severity} for cid in client_ids}
    if not client_ids:
        return counts
    stmt = (
        select(alerts.c.client_id, alerts.c.severity, func.count())
        .where(
            *scoped_alerts(caller),
            alerts.c.client_id.in_(client_ids),
            alerts.c.status.in_(sorted(s.value for s in OPEN_STATUSES)),
        )
        .group_by(alerts.c.client_id, alerts.c.severity)
    )
    for client_id, severity, n in await conn.execute(stmt):
        counts[client_id][severity] = int(n)
    return counts


async def backpressure_level(ctx: Ctx, tenant_id: str) -> str:
    """The tenant's backpressure level, NORMAL when it has none yet."""
    try:
        levels = await ctx.noc.backpressure_levels()
    except (Unavailable, RayError) as err:
        log.warning("backpressure level unavailable: %s", type(err).__name__)
        return UNKNOWN_LEVEL
    return levels.get(tenant_id, "NORMAL")


def _snapshot(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "window_start": row["window_start"].isoformat(),
        "window_end": row["window_end"].isoformat(),
        "metrics": row["metrics"],
    }


async def overview_tiles(ctx: Ctx, caller: Caller) -> tuple[list[dict[str, Any]], str]:
    """The caller's client tiles (through the read cache) and the tenant's
    backpressure level. Also used to warm the cache."""
    site_only = caller.scope.sites is not None
    async with ctx.engine.connect() as db:
        rows = await clients.list_clients(db, tenant_id=caller.tenant_id)
    infos = {r["id"]: ClientInfo(r["id"], bool(r["enabled"]), r["name"]) for r in rows}
    ids = caller.scope.overview_clients(infos)

    async def tiles() -> list[dict[str, Any]]:
        async with ctx.engine.connect() as db:
            counts = await open_counts(db, caller, ids)
            latest = (
                {}
                if site_only or not ids
                else await snapshots.latest_snapshots(
                    db, tenant_id=caller.tenant_id, client_ids=ids
                )
            )
        return [
            {
                "client_id": cid,
                "name": infos[cid].name,
                "open_alerts": counts[cid],
                "open_total": sum(counts[cid].values()),
                "latest_snapshot": _snapshot(latest.get(cid)),
            }
            for cid in ids
        ]

    scope_parts = [*ids, "|", *sorted(caller.scope.sites or ()), f"pii={caller.sees_pii}"]
    cached_tiles = await cached(
        ctx.cache,
        "overview",
        caller.tenant_id,
        scope_parts,
        ids,
        ctx.settings.cache_ttl_overview_s,
        tiles,
    )
    return cached_tiles, await backpressure_level(ctx, caller.tenant_id)


@router.get("/overview", summary="Per visible client: open alerts, latest snapshot, backpressure")
async def overview(ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    tiles, level = await overview_tiles(ctx, caller)
    return public(
        caller,
        {
            "tenant_id": caller.tenant_id,
            "generated_at": datetime.now(UTC).isoformat(),
            "backpressure": level,
            "clients": [{**t, "backpressure": level} for t in tiles],
        },
    )
