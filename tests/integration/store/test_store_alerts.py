"""Alert storage: batched writes, reloads, tenant isolation, pagination."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.store.repos import alerts

if TYPE_CHECKING:
    from tests.integration.store.conftest import AlertFactory, Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement sent to the driver while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (conn, cursor, statement, parameters, context, executemany)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_ten_thousand_alerts_insert_in_a_few_statements(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    batch = [make_alert() for _ in range(10_000)]
    with counting_statements(engine) as inserts:
        started = time.perf_counter()
        async with engine.begin() as conn:
            await alerts.insert_alerts(conn, batch)
        insert_s = time.perf_counter() - started
    for a in batch:  # three repeats of each alert arrive
        for _ in range(3):
            a.fold(T0 + timedelta(days=1))
    folds = [(a.id, a.suppressed_count, a.last_seen) for a in batch]
    with counting_statements(engine) as fold_statements:
        started = time.perf_counter()
        async with engine.begin() as conn:
            await alerts.apply_folds(conn, folds)
        fold_s = time.perf_counter() - started
    for a in batch:
        a.acknowledge("u1", T0 + timedelta(days=2))
    with counting_statements(engine) as updates:
        started = time.perf_counter()
        async with engine.begin() as conn:
            await alerts.update_alerts(conn, batch)
        update_s = time.perf_counter() - started
    print(
        f"\n[{engine.dialect.name}] 10k alerts: insert {len(inserts)} stmt {insert_s:.2f}s, "
        f"folds {len(fold_statements)} stmt {fold_s:.2f}s, "
        f"updates {len(updates)} stmt {update_s:.2f}s"
    )
    assert len(inserts) <= 5
    assert len(fold_statements) <= 5
    assert len(updates) <= 5
    async with engine.connect() as conn:
        counts = await alerts.count_by_status_severity(conn, tenant_id=org.tenant_a)
        sample = await alerts.get_alert(conn, tenant_id=org.tenant_a, alert_id=batch[123].id)
    assert counts == {"ACKNOWLEDGED": {"HIGH": 10_000}}
    assert sample is not None
    assert sample.suppressed_count == 3
    assert sample.last_seen == T0 + timedelta(days=1)


async def test_alert_round_trips_every_field(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    alert = make_alert(
        site_id="site-9",
        metadata={"labels": {"host": "h1"}, "values": [1, 2.5, None], "ok": True},
        correlation_id="corr-1",
        source="alertmanager",
    )
    alert.assign("op-2", T0 + timedelta(minutes=3), by="op-1")
    alert.escalate("oncall-7", T0 + timedelta(minutes=4))
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [alert])
    async with engine.connect() as conn:
        loaded = await alerts.get_alert(conn, tenant_id=org.tenant_a, alert_id=alert.id)
    assert loaded == alert


async def test_timestamps_come_back_tz_aware_utc(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 11, 26, 12, 30, 15, 123456, tzinfo=plus_two)
    alert = make_alert(first_seen=local, last_seen=local)
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [alert])
    async with engine.connect() as conn:
        loaded = await alerts.get_alert(conn, tenant_id=org.tenant_a, alert_id=alert.id)
    assert loaded is not None
    assert loaded.first_seen.tzinfo is UTC
    assert loaded.first_seen == local
    assert loaded.first_seen.hour == 10 and loaded.first_seen.microsecond == 123456


async def test_naive_datetimes_are_refused(engine: AsyncEngine, make_alert: AlertFactory) -> None:
    naive = datetime(2026, 11, 26, 10, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        async with engine.begin() as conn:
            await alerts.insert_alerts(conn, [make_alert(first_seen=naive)])


async def test_another_tenants_alert_is_invisible(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    theirs = make_alert(tenant_id=org.tenant_b, client_id=org.client_b1)
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [theirs])
    async with engine.connect() as conn:
        assert await alerts.get_alert(conn, tenant_id=org.tenant_a, alert_id=theirs.id) is None
        assert await alerts.get_alerts(conn, tenant_id=org.tenant_a, alert_ids=[theirs.id]) == []
        assert await alerts.load_open_alerts(conn, tenant_id=org.tenant_a) == []
        items, _ = await alerts.query_alerts(conn, tenant_id=org.tenant_a)
        assert items == []
        assert await alerts.get_alert(conn, tenant_id=org.tenant_b, alert_id=theirs.id)


async def test_updates_never_touch_another_tenants_alert(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    theirs = make_alert(tenant_id=org.tenant_b, client_id=org.client_b1)
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [theirs])
    forged = make_alert(id=theirs.id, dedup_key=theirs.dedup_key)  # same id, tenant A
    forged.resolve("mallory", T0)
    async with engine.begin() as conn:
        await alerts.update_alerts(conn, [forged])
        claimed = await alerts.claim_escalation(
            conn, alert_id=theirs.id, level=1, tenant_id=org.tenant_a
        )
    assert not claimed
    async with engine.connect() as conn:
        still = await alerts.get_alert(conn, tenant_id=org.tenant_b, alert_id=theirs.id)
    assert still is not None and still.status is AlertStatus.NEW


async def test_pagination_is_stable_while_new_alerts_arrive(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    # 25 alerts, with ties on first_seen, so the id must break them.
    batch = [make_alert(first_seen=T0 + timedelta(seconds=i // 3)) for i in range(25)]
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, batch)
    expected = sorted(batch, key=lambda a: (a.first_seen, a.id), reverse=True)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        async with engine.connect() as conn:
            items, cursor = await alerts.query_alerts(
                conn, tenant_id=org.tenant_a, limit=10, cursor=cursor
            )
        seen += [a.id for a in items]
        pages += 1
        async with engine.begin() as conn:  # newer alerts land between pages
            await alerts.insert_alerts(conn, [make_alert(first_seen=T0 + timedelta(hours=pages))])
        if cursor is None:
            break
    assert pages == 3
    assert seen == [a.id for a in expected]


async def test_query_filters_combine(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    a = make_alert(severity=Severity.CRITICAL, site_id="s1")
    b = make_alert(severity=Severity.LOW, client_id=org.client_a2, site_id="s2")
    c = make_alert(severity=Severity.CRITICAL, alert_type="SLA_BREACH", site_id="s1")
    c.resolve(None, T0 + timedelta(hours=1))
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [a, b, c])

    async def ids(**filters: Any) -> set[str]:
        async with engine.connect() as conn:
            items, _ = await alerts.query_alerts(conn, tenant_id=org.tenant_a, **filters)
        return {x.id for x in items}

    assert await ids(severity="CRITICAL") == {a.id, c.id}
    assert await ids(status=["NEW"], severity="CRITICAL") == {a.id}
    assert await ids(client_ids=[org.client_a2]) == {b.id}
    assert await ids(client_ids=[]) == set()
    assert await ids(site_ids=["s1"], alert_type="SLA_BREACH") == {c.id}
    assert await ids(since=b.first_seen) == {b.id, c.id}
    assert await ids(until=b.first_seen) == {a.id}
    with pytest.raises(InvalidInput):
        await ids(cursor="not-a-cursor")
    async with engine.connect() as conn:
        assert await alerts.count_new_info_low(conn, tenant_id=org.tenant_a) == 1
        counts = await alerts.count_by_status_severity(conn, tenant_id=org.tenant_a)
    assert counts == {"NEW": {"CRITICAL": 1, "LOW": 1}, "RESOLVED": {"CRITICAL": 1}}


async def test_open_and_recent_alerts_reload_for_a_client(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    open_a1 = make_alert()
    closed_a1 = make_alert(first_seen=T0 + timedelta(hours=2))
    closed_a1.resolve(None, T0 + timedelta(hours=3))
    open_a2 = make_alert(client_id=org.client_a2)
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [open_a1, closed_a1, open_a2])
        reloaded = await alerts.load_open_alerts(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1
        )
        recent = await alerts.list_recent_alerts(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1, since=T0 + timedelta(hours=1)
        )
    assert [a.id for a in reloaded] == [open_a1.id]
    assert [a.id for a in recent] == [closed_a1.id]
