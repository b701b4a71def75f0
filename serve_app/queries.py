"""Reads shared by several routes and background jobs (never by importing a
route): the overview's client tiles, which the cache-warming job computes
ahead of the first operator."""

from __future__ import annotations

import logging
from typing import Any

from noc_actors.domain.access import ClientInfo
from noc_actors.domain.errors import Unavailable
from noc_actors.store.repos import clients, reports, snapshots
from serve_app.cache import cached
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.scoping import report_scope

log = logging.getLogger(__name__)

UNKNOWN_LEVEL = "UNKNOWN"
"""Reported when the backpressure actor cannot be asked (the overview still answers)."""


async def backpressure_level(ctx: AppContext, tenant_id: str) -> str:
    """The tenant's backpressure level, NORMAL when it has none yet."""
    try:
        levels = await ctx.noc.backpressure_levels()
    except Unavailable as err:
        log.warning("backpressure level unavailable: %s", type(err).__name__)
        return UNKNOWN_LEVEL
    return levels.get(tenant_id, "NORMAL")


def snapshot_view(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored snapshot as JSON (window times in ISO-8601)."""
    if row is None:
        return None
    return {
        "window_start": row["window_start"].isoformat(),
        "window_end": row["window_end"].isoformat(),
        "metrics": row["metrics"],
    }


async def overview_tiles(ctx: AppContext, caller: Caller) -> tuple[list[dict[str, Any]], str]:
    """The caller's client tiles (through the read cache) and the tenant's
    backpressure level."""
    site_only = caller.scope.sites is not None
    async with ctx.engine.connect() as db:
        rows = await clients.list_clients(db, tenant_id=caller.tenant_id)
    infos = {r["id"]: ClientInfo(r["id"], bool(r["enabled"]), r["name"]) for r in rows}
    ids = caller.scope.overview_clients(infos)

    async def tiles() -> list[dict[str, Any]]:
        async with ctx.engine.connect() as db:
            counts = await reports.open_by_client(db, scope=report_scope(caller), client_ids=ids)
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
                "latest_snapshot": snapshot_view(latest.get(cid)),
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
