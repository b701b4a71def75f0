"""The runtime over the SQL store, without Ray, on SQLite and PostgreSQL: the
scenarios the unit tier runs over the memory store (``tests.runtime_scenarios``)
hold here too, so the memory store is faithful to the database — with each
commit in its own transaction and with a pool's commits grouped across
clients (``SharedCommits``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.alert import Alert
from noc_actors.domain.incident import Incident
from noc_actors.domain.policy import TenantPolicy
from noc_actors.runtime import Commit, DuplicateBatch, StoreConflict
from noc_actors.runtime.ports import ClientStore
from noc_actors.runtime.shared import SharedCommits
from noc_actors.store.client_store import SqlClientStore
from noc_actors.store.repos import alert_queries, alerts, audit, incidents, snapshots
from tests import runtime_scenarios
from tests.runtime_scenarios import T0, World

if TYPE_CHECKING:
    from tests.integration.store.conftest import Org


@pytest.fixture(params=["own", "shared"])
def world(request: pytest.FixtureRequest, engine: AsyncEngine, org: Org) -> World:
    """``own``: the store's own transaction per commit (a dedicated host);
    ``shared``: commits grouped across clients (a pool, ``SharedCommits``)."""

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

    async def save_incident(inc: Incident) -> None:
        """As the API does: a new incident is inserted, a changed one updated."""
        async with engine.begin() as conn:
            fields = {k: getattr(inc, k) for k in ("state", "resolved_at", "resolution_notes")}
            if await incidents.get_incident(conn, tenant_id=inc.tenant_id, incident_id=inc.id):
                await incidents.update_incident(
                    conn, tenant_id=inc.tenant_id, incident_id=inc.id, **fields
                )
                return
            await incidents.create_incident(
                conn,
                tenant_id=inc.tenant_id,
                client_id=inc.client_id,
                title=inc.title,
                severity=inc.severity.value,
                now=inc.created_at,
                alert_ids=inc.alert_ids,
                incident_id=inc.id,
            )

    sql = SqlClientStore(engine, TenantPolicy())
    store: ClientStore = sql if request.param == "own" else SharedCommits(sql)
    return World(
        store,
        org.tenant_a,
        org.client_a1,
        org.client_a2,
        seed,
        audit_actions,
        stored_snapshots,
        save_incident,
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


async def test_a_pools_clients_commit_together_and_refuse_alone(
    engine: AsyncEngine, org: Org
) -> None:
    """Two clients' commits pending at once go in one transaction; a refused
    commit (a batch key used before) fails only its own client's call, and
    the other client's alerts are stored."""
    shared = SharedCommits(SqlClientStore(engine, TenantPolicy()))
    world = World(
        shared, org.tenant_a, org.client_a1, org.client_a2, _no_seed, _none, _none, _no_incident
    )
    one, two = world.runtime(), world.runtime(org.client_a2)
    await one.ingest_alerts([world.draft("warm")], batch_key="used")
    await two.ready()
    before = shared.transactions

    first, second = await asyncio.gather(
        one.ingest_alerts([world.draft("door-1")]),
        two.ingest_alerts([world.draft("door-2", client_id=org.client_a2)]),
    )
    assert first["created"] == second["created"] == 1
    assert shared.transactions - before == 1 and shared.commits >= 3

    # ``one`` reuses a batch key its store has (a second incarnation cannot
    # know it was used without asking): its commit fails, ``two``'s stands.
    changes = one.core.ingest_alerts([world.draft("door-3")], T0)
    refused, stored = await asyncio.gather(
        shared.commit(
            Commit(org.tenant_a, org.client_a1, T0, changes, batches=(("used", changes.report()),))
        ),
        two.ingest_alerts([world.draft("door-4", client_id=org.client_a2)]),
        return_exceptions=True,
    )
    assert isinstance(refused, DuplicateBatch)
    assert not isinstance(stored, BaseException) and stored["created"] == 1
    async with engine.connect() as conn:
        entities = {
            a.entity_id
            for c in (org.client_a1, org.client_a2)
            for a in await alert_queries.load_open_alerts(conn, tenant_id=org.tenant_a, client_id=c)
        }
    assert {"door-1", "door-2", "door-4"} <= entities and "door-3" not in entities


async def _no_seed(batch: list[Alert]) -> None:
    raise AssertionError("not used here")


async def _no_incident(incident: Incident) -> None:
    raise AssertionError("not used here")


async def _none(key: str) -> list[Any]:
    return []
