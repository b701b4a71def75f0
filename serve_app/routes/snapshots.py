"""``GET /api/noc/clients/{client_id}/snapshots``: a client's 5-minute metric
snapshots (SPEC section 8).

A client of another tenant (or no client) is 404; a client outside the
caller's scope is 403 and audited. Snapshots are client-wide aggregates, so a
site-only user (``noc:view_assigned_sites``) is refused them as well: they
count the alerts, tickets and guards of sites it may not see. Reads are
cached for ``NOC_CACHE_TTL_DASHBOARD_S`` (180 s) at most: a new snapshot of
the client makes the entry unreachable at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from noc_actors.domain.errors import NotFound
from noc_actors.store.repos import clients, snapshots
from serve_app.auth import deny
from serve_app.cache import cached
from serve_app.deps import Ctx, Viewer
from serve_app.queries import snapshot_view
from serve_app.scoping import public

router = APIRouter(prefix="/api/noc/clients", tags=["snapshots"])


@router.get(
    "/{client_id}/snapshots",
    summary="A client's metric snapshots: the newest `limit` in [since, until), oldest first",
)
async def list_client_snapshots(
    client_id: str,
    ctx: Ctx,
    caller: Viewer,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 288,
) -> dict[str, Any]:
    async with ctx.engine.connect() as db:
        client = await clients.get_client(db, tenant_id=caller.tenant_id, client_id=client_id)
    if client is None:
        raise NotFound("client", client_id)
    if not caller.scope.allows_client(client_id) or caller.scope.sites is not None:
        raise await deny(ctx, caller, "scope", "client", client_id)

    async def items() -> list[dict[str, Any]]:
        async with ctx.engine.connect() as db:
            rows = await snapshots.list_snapshots(
                db,
                tenant_id=caller.tenant_id,
                client_id=client_id,
                since=since,
                until=until,
                newest=limit,
            )
        return [{"id": r["id"], **(snapshot_view(r) or {})} for r in rows]

    parts = [client_id, str(since), str(until), str(limit)]
    found = await cached(
        ctx.cache,
        "snapshots",
        caller.tenant_id,
        parts,
        [client_id],
        ctx.settings.cache_ttl_dashboard_s,
        items,
    )
    return public(caller, {"client_id": client_id, "name": client["name"], "items": found})
