"""Guarantees the database keeps by itself, checked with raw SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.enums import AlertStatus
from noc_actors.store.db import make_engine
from noc_actors.store.repos import alerts, audit, clients

if TYPE_CHECKING:
    from tests.integration.store.conftest import AlertFactory, Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)

RAW_ALERT = text(
    "INSERT INTO alerts (id, tenant_id, client_id, alert_type, severity, status, message,"
    " metadata, dedup_key, suppressed_count, first_seen, last_seen, source, escalation_level)"
    " VALUES (:id, :tenant_id, :client_id, 'DEVICE_OFFLINE', :severity, :status, 'raw',"
    " '{}', :dedup_key, 0, '2026-11-26 10:00:00+00:00', '2026-11-26 10:00:00+00:00',"
    " 'test', 0)"
)


async def _raw_insert(
    engine: AsyncEngine, org: Org, alert_id: str, key: str, status: str, severity: str = "HIGH"
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            RAW_ALERT,
            {
                "id": alert_id,
                "tenant_id": org.tenant_a,
                "client_id": org.client_a1,
                "status": status,
                "severity": severity,
                "dedup_key": key,
            },
        )


async def test_second_open_alert_with_same_dedup_key_is_refused_by_the_database(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    first = make_alert(dedup_key="disk-full@host-1")
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [first])
    for status in ("NEW", "ACKNOWLEDGED", "ASSIGNED", "ESCALATED"):
        with pytest.raises(IntegrityError):
            await _raw_insert(engine, org, f"dup-{status}", "disk-full@host-1", status)
    # Closed rows with the same key are allowed, and so is the same key in another tenant.
    await _raw_insert(engine, org, "dup-suppressed", "disk-full@host-1", "SUPPRESSED")
    other = make_alert(
        tenant_id=org.tenant_b, client_id=org.client_b1, dedup_key="disk-full@host-1"
    )
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [other])


async def test_resolved_alert_frees_its_dedup_key(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    first = make_alert(dedup_key="door-open")
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [first])
    first.resolve("u1", T0 + timedelta(minutes=5))
    second = make_alert(dedup_key="door-open")
    async with engine.begin() as conn:
        await alerts.update_alerts(conn, [first])
        await alerts.insert_alerts(conn, [second])
        open_now = await alerts.load_open_alerts(conn, tenant_id=org.tenant_a)
    assert [a.id for a in open_now] == [second.id]
    # Reopening the resolved one would make two open alerts: refused.
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE alerts SET status = 'NEW' WHERE id = :id"), {"id": first.id}
            )


async def _one_audit_row(engine: AsyncEngine, org: Org) -> int:
    async with engine.begin() as conn:
        await audit.append_audit(
            conn,
            [{"tenant_id": org.tenant_a, "action": "ACKNOWLEDGE", "actor_id": "u1", "at": T0}],
        )
        rows, _ = await audit.query_audit(conn, tenant_id=org.tenant_a)
    return int(rows[0]["id"])


async def test_audit_rows_cannot_be_updated(engine: AsyncEngine, org: Org) -> None:
    row_id = await _one_audit_row(engine, org)
    with pytest.raises(IntegrityError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE audit_log SET actor_id = 'mallory' WHERE id = :id"), {"id": row_id}
            )
    async with engine.connect() as conn:
        rows, _ = await audit.query_audit(conn, tenant_id=org.tenant_a)
    assert rows[0]["actor_id"] == "u1"


async def test_audit_rows_cannot_be_deleted(engine: AsyncEngine, org: Org) -> None:
    row_id = await _one_audit_row(engine, org)
    with pytest.raises(IntegrityError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": row_id})
    with pytest.raises(IntegrityError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log"))
    async with engine.connect() as conn:
        rows, _ = await audit.query_audit(conn, tenant_id=org.tenant_a)
    assert [r["id"] for r in rows] == [row_id]


@pytest.mark.postgres
async def test_audit_log_cannot_be_truncated_on_postgres(postgres_url: str) -> None:
    from noc_actors.store.db import upgrade

    upgrade(postgres_url)
    eng = make_engine(postgres_url)
    try:
        with pytest.raises(DBAPIError, match="append-only"):
            async with eng.begin() as conn:
                await conn.execute(text("TRUNCATE audit_log"))
    finally:
        await eng.dispose()


async def test_a_row_cannot_reference_another_tenants_client(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await clients.create_site(
                conn, tenant_id=org.tenant_a, client_id=org.client_b1, name="sneaky"
            )
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await alerts.insert_alerts(conn, [make_alert(client_id=org.client_b1)])


async def test_unknown_status_or_severity_is_refused(engine: AsyncEngine, org: Org) -> None:
    with pytest.raises(IntegrityError):
        await _raw_insert(engine, org, "bad-status", "k-bad", "OPENISH")
    with pytest.raises(IntegrityError):
        await _raw_insert(engine, org, "bad-severity", "k-bad-sev", "NEW", severity="URGENT")
    # The same row with known values is stored: the refusals were the values'.
    await _raw_insert(engine, org, "good", "k-good", AlertStatus.NEW.value, severity="CRITICAL")
