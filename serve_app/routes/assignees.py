"""``GET /api/noc/assignees``: the tenant's users an alert or an incident
can be assigned to, for the dashboard's searchable "Assign…" box.

For a caller who may assign (``noc:assign_incidents``). Names are PII (SPEC
section 9): a caller without ``noc:view_pii`` gets them masked, and its
search matches user ids only — a search by name would tell the name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from noc_actors.domain.enums import Capability
from noc_actors.store.repos import users
from serve_app.caller import Caller
from serve_app.deps import Ctx, requires
from serve_app.scoping import public

router = APIRouter(prefix="/api/noc/assignees", tags=["alerts"])

Assigner = Annotated[Caller, Depends(requires(Capability.ASSIGN_INCIDENTS))]


@router.get("", summary="Users alerts and incidents can be assigned to (search: q)")
async def list_assignees(
    ctx: Ctx,
    caller: Assigner,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """``items``: ``id`` and ``display_name`` (masked without
    ``noc:view_pii``), by name; ``q`` keeps those whose id — or, for a
    caller who sees PII, name — contains it (any case)."""
    async with ctx.engine.connect() as db:
        rows = await users.list_users(db, tenant_id=caller.tenant_id)
    needle = q.strip().casefold()

    def found(row: dict[str, Any]) -> bool:
        if not needle or needle in str(row["id"]).casefold():
            return True
        return caller.sees_pii and needle in str(row["display_name"]).casefold()

    items = [{"id": r["id"], "display_name": r["display_name"]} for r in rows if found(r)]
    return public(caller, {"items": items[:limit]})
