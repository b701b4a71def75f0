"""The escalation fence: each level fires once, across restarts and replicas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.store.db import make_engine
from noc_actors.store.repos import alerts

if TYPE_CHECKING:
    from tests.integration.store.conftest import AlertFactory, Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


async def _claim(engine: AsyncEngine, alert_id: str, level: int) -> bool:
    async with engine.begin() as conn:
        return await alerts.claim_escalation(conn, alert_id=alert_id, level=level)


async def test_claim_escalation_fires_once_per_level(
    engine: AsyncEngine, make_alert: AlertFactory
) -> None:
    alert = make_alert()
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [alert])
    assert await _claim(engine, alert.id, 1)
    assert not await _claim(engine, alert.id, 1)  # a retry or another replica
    assert not await _claim(engine, alert.id, 3)  # levels cannot be skipped
    alert.escalate("oncall", T0 + timedelta(minutes=30))
    async with engine.begin() as conn:
        await alerts.update_alerts(conn, [alert])
    assert await _claim(engine, alert.id, 2)
    assert not await _claim(engine, alert.id, 2)


async def test_concurrent_replicas_claim_a_level_exactly_once(
    migrated_url: str, engine: AsyncEngine, make_alert: AlertFactory
) -> None:
    alert = make_alert()
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [alert])
    replica = make_engine(migrated_url)  # a second process, in effect
    try:
        results = await asyncio.gather(
            *(_claim(e, alert.id, 1) for e in (engine, replica, engine, replica))
        )
    finally:
        await replica.dispose()
    assert sorted(results) == [False, False, False, True]


async def test_acknowledged_alert_cannot_be_claimed(
    engine: AsyncEngine, make_alert: AlertFactory
) -> None:
    alert = make_alert()
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [alert])
    alert.acknowledge("op-1", T0 + timedelta(minutes=1))
    async with engine.begin() as conn:
        await alerts.update_alerts(conn, [alert])
    assert not await _claim(engine, alert.id, 1)
    async with engine.begin() as conn:  # an operator may still escalate by hand
        assert await alerts.claim_escalation(
            conn, alert_id=alert.id, level=1, require_unacknowledged=False
        )


async def test_manual_escalation_moves_the_fence(
    engine: AsyncEngine, make_alert: AlertFactory
) -> None:
    alert = make_alert()
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [alert])
    alert.escalate("supervisor", T0 + timedelta(minutes=5))  # persisted without a claim
    async with engine.begin() as conn:
        await alerts.update_alerts(conn, [alert])
    assert not await _claim(engine, alert.id, 1)  # the timer must not re-fire level 1
    assert await _claim(engine, alert.id, 2)


async def test_pending_escalations_are_the_unacknowledged_open_alerts(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    new, escalated, acked, resolved = (make_alert() for _ in range(4))
    escalated.escalate("oncall", T0 + timedelta(minutes=30))
    acked.acknowledge("op", T0 + timedelta(minutes=1))
    resolved.resolve(None, T0 + timedelta(minutes=1))
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [new, escalated, acked, resolved])
        pending = await alerts.list_pending_escalations(conn, tenant_id=org.tenant_a)
    assert {a.id for a in pending} == {new.id, escalated.id}
    assert {a.id: a.escalation_level for a in pending}[escalated.id] == 1


async def _claim_many(
    engine: AsyncEngine, tenant_id: str, claims: list[tuple[str, int]]
) -> set[tuple[str, int]]:
    async with engine.begin() as conn:
        return await alerts.claim_escalations(conn, claims, tenant_id=tenant_id)


async def test_a_batch_of_claims_wins_exactly_the_claimable_levels(
    engine: AsyncEngine, make_alert: AlertFactory
) -> None:
    """One statement per level: the fresh alerts' level 1 and the escalated
    one's level 2 are won; a skipped level, an acknowledged alert, another
    tenant's claim and a second claim of the same level are not."""
    fresh = [make_alert() for _ in range(3)]
    escalated, acked = make_alert(), make_alert()
    escalated.escalate("oncall", T0 + timedelta(minutes=30))
    acked.acknowledge("op-1", T0 + timedelta(minutes=1))
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [*fresh, escalated, acked])
    tenant = fresh[0].tenant_id
    wanted = [(a.id, 1) for a in fresh] + [(escalated.id, 2), (acked.id, 1), (fresh[0].id, 3)]
    assert await _claim_many(engine, "another-tenant", wanted) == set()
    won = await _claim_many(engine, tenant, wanted)
    assert won == {(a.id, 1) for a in fresh} | {(escalated.id, 2)}
    assert await _claim_many(engine, tenant, wanted) == set()  # a retry wins nothing


async def test_concurrent_batches_claim_each_level_exactly_once(
    migrated_url: str, engine: AsyncEngine, make_alert: AlertFactory
) -> None:
    batch = [make_alert() for _ in range(50)]
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, batch)
    wanted = [(a.id, 1) for a in batch]
    replica = make_engine(migrated_url)
    try:
        results = await asyncio.gather(
            *(
                _claim_many(e, batch[0].tenant_id, wanted[k::2] + wanted)
                for k, e in enumerate((engine, replica, engine, replica))
            )
        )
    finally:
        await replica.dispose()
    won = [pair for r in results for pair in r]
    assert sorted(won) == sorted(wanted)  # every level once, none twice
