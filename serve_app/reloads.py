"""Telling aggregators their configuration changed.

An aggregator caches what it loads about its client (policy, escalation
chain, contacts and on-call schedules, maintenance windows): after a change
the affected clients' aggregators re-read it. A client that is disabled,
not hosted yet or restarting is skipped — it reads the new configuration
when it loads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from noc_actors.domain.errors import NotFound, Unavailable
from noc_actors.store.repos import clients
from serve_app.context import AppContext

log = logging.getLogger(__name__)

RELOAD_TIMEOUT_S = 10.0


async def reload_clients(
    ctx: AppContext, tenant_id: str, client_ids: Iterable[str | None] = (None,)
) -> list[str]:
    """Ask the aggregators of these clients of the tenant (``None`` among
    them: every client of the tenant) to re-read their context; the enabled
    ones only. Returns the ids that did."""
    wanted = set(client_ids)
    async with ctx.engine.connect() as db:
        rows = await clients.list_clients(db, tenant_id=tenant_id)
    ids = [r["id"] for r in rows if r["enabled"] and (None in wanted or r["id"] in wanted)]

    async def one(cid: str) -> str | None:
        try:
            await asyncio.wait_for(ctx.noc.reload_client(tenant_id, cid), RELOAD_TIMEOUT_S)
        except (NotFound, Unavailable, TimeoutError) as err:
            log.info("reload of client %s skipped: %s", cid, type(err).__name__)
            return None
        except Exception as err:  # noqa: BLE001 - the change is stored; the load will read it
            log.warning("reload of client %s failed: %r", cid, err)
            return None
        return cid

    return [cid for cid in await asyncio.gather(*(one(c) for c in ids)) if cid]
