"""``GET /api/noc/overview``: one tile per visible, enabled client — open
alerts by severity, the latest metric snapshot, the tenant's backpressure level.

Scope: the clients of ``Scope.overview_clients`` (a site-only user gets only
the clients of its sites). For a site-only user the counts cover its sites
only, and ``latest_snapshot`` is null: a snapshot is a client-wide aggregate
(it counts every site's alerts, tickets and guards), which such a user may not
see. The tiles come from ``serve_app.queries.overview_tiles`` (cached)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from serve_app.deps import Ctx, Viewer
from serve_app.queries import overview_tiles
from serve_app.scoping import public

router = APIRouter(prefix="/api/noc", tags=["overview"])


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
