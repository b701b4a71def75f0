"""``GET /api/noc/sites``: the sites the caller may see, with their names and
clients — what a dashboard shows instead of site ids. A site-only user
(``noc:view_assigned_sites``) gets its own sites; others the sites of the
clients they may see. Geofence coordinates are left out (not needed to read
an alert, and where a guard patrols is sensitive)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from noc_actors.store.repos import clients
from serve_app.deps import Ctx, Viewer

router = APIRouter(prefix="/api/noc", tags=["sites"])


@router.get("/sites", summary="Sites the caller may see: id, name, client")
async def list_sites(ctx: Ctx, caller: Viewer) -> list[dict[str, Any]]:
    async with ctx.engine.connect() as db:
        rows = await clients.list_sites(db, tenant_id=caller.tenant_id)
    visible = caller.visible_client_ids
    sites = caller.scope.sites
    return [
        {"id": r["id"], "name": r["name"], "client_id": r["client_id"]}
        for r in rows
        if (visible is None or r["client_id"] in visible) and (sites is None or r["id"] in sites)
    ]
