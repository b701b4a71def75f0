"""The runtime over the SQL store, without Ray, on SQLite and PostgreSQL: the
scenarios the unit tier runs over the memory store (``tests.runtime_scenarios``)
hold here too, so the memory store is faithful to the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.alert import Alert
from noc_actors.domain.policy import TenantPolicy
from noc_actors.runtime import Commit, DuplicateBatch, StoreConflict
from noc_actors.store.client_store import SqlClientStore
from noc_actors.store.repos import alerts, audit, snapshots
from tests import runtime_scenarios
from tests.runtime_scenarios import T0, World

if TYPE_CHECKING:
    from tests.integration.store.conftest import Org


@pytest.fixture
def world(engine: AsyncEngine, org: Org) -> World:
    async def seed(batch: list[Alert]) -> None:
        async with engine.begin() as conn:
            await alerts.insert_alerts(conn, batch)

    async def audit_actions(alert_id: str) -> list[str]:
        async with engine.connect() as conn:
            rows, _ = await audit.query_audit(conn, tenant_id=org.tenant_a, entity_id=alert_id)
        return [r["action"] for r in reversed(rows)]

    async def stored_snapshots(client_id: str) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            rows = await snapshots.list_snapshots(conn, tenant_id=org.tenant_a, client_id=client_id)
        return [{"window_start": r["window_start"], "metrics": r["metrics"]} for r in rows]

    store = SqlClientStore(engine, TenantPolicy())
    return World(
        store, org.tenant_a, org.client_a1, org.client_a2, seed, audit_actions, stored_snapshots
    )


@pytest.mark.parametrize(
    "scenario", runtime_scenarios.SCENARIOS, ids=lambda f: getattr(f, "__name__", str(f))
)
async def test_runtime_scenario_over_the_sql_store(
    world: World, scenario: Callable[[World], Awaitable[None]]
) -> None:
    await scenario(world)


async def test_the_databases_refusals_come_back_as_the_runtimes_errors(world: World) -> None:
    rt = world.runtime()
    await rt.ingest_alerts([world.draft("door-1")], batch_key="k")
    changes = rt.core.ingest_alerts([world.draft("door-2")], T0)
    tenant, client = world.tenant_id, world.client_id
    with pytest.raises(DuplicateBatch):
        await world.inner.commit(
            Commit(tenant, client, T0, changes, batches=(("k", changes.report()),))
        )
    await world.inner.commit(Commit(tenant, client, T0, changes))  # nothing was half-stored
    with pytest.raises(StoreConflict):  # the same alert (id and open dedup key) again
        await world.inner.commit(Commit(tenant, client, T0, changes))
    assert len(await world.stored_open()) == 2
