"""Cache warming (every 5 minutes): the overview of every tenant as users
with ``noc:view_all_clients`` see it — with and without PII — so the first
operator to open the NOC after a quiet spell gets a cached answer."""

from __future__ import annotations

import logging

from noc_actors.domain.enums import Capability
from noc_actors.store.repos import tenants, users
from serve_app.auth import scope_for
from serve_app.caller import Caller, principal_of
from serve_app.context import AppContext
from serve_app.queries import overview_tiles

log = logging.getLogger(__name__)


async def warm_overviews(ctx: AppContext) -> int:
    """Warm one overview per (tenant, PII flag) among all-clients users;
    returns how many were computed."""
    warmed = 0
    async with ctx.engine.connect() as db:
        all_tenants = await tenants.list_tenants(db)
    for tenant in all_tenants:
        async with ctx.engine.connect() as db:
            people = await users.list_users(db, tenant_id=tenant["id"])
            seen: set[bool] = set()
            callers: list[Caller] = []
            for u in people:
                principal = principal_of({"tenant_id": tenant["id"], "user": u, "id": "warm"})
                if not principal.has(Capability.VIEW_ALL_CLIENTS):
                    continue
                pii = principal.has(Capability.VIEW_PII)
                if pii in seen:
                    continue
                seen.add(pii)
                scope, visible, directory = await scope_for(db, principal)
                callers.append(
                    Caller(principal, "warm", None, None, None, scope, visible, directory)
                )
        for caller in callers:
            await overview_tiles(ctx, caller)
            warmed += 1
    log.info("warmed %d overviews", warmed)
    return warmed
