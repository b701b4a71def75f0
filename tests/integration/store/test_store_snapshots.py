"""Metric snapshots: idempotent writes, latest per client, archiving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.store.repos import snapshots

if TYPE_CHECKING:
    from tests.integration.store.conftest import Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def _snap(tenant_id: str, client_id: str, start: datetime, open_alerts: int) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "client_id": client_id,
        "window_start": start,
        "window_end": start + FIVE,
        "metrics": {"alerts_open": {"HIGH": open_alerts}, "devices_offline": 1},
    }


async def test_latest_snapshot_per_client_and_rewrite_is_idempotent(
    engine: AsyncEngine, org: Org
) -> None:
    rows = [_snap(org.tenant_a, org.client_a1, T0 + i * FIVE, i) for i in range(3)]
    rows.append(_snap(org.tenant_b, org.client_b1, T0 + 9 * FIVE, 99))
    async with engine.begin() as conn:
        await snapshots.insert_snapshots(conn, rows, now=T0)
        # A retried job writes the same window again: replaced, not duplicated.
        await snapshots.insert_snapshots(
            conn, [_snap(org.tenant_a, org.client_a1, T0 + 2 * FIVE, 42)], now=T0
        )
        latest = await snapshots.latest_snapshots(conn, tenant_id=org.tenant_a)
        listed = await snapshots.list_snapshots(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1
        )
    assert set(latest) == {org.client_a1}
    assert latest[org.client_a1]["window_start"] == T0 + 2 * FIVE
    assert latest[org.client_a1]["metrics"]["alerts_open"] == {"HIGH": 42}
    assert [s["window_start"] for s in listed] == [T0, T0 + FIVE, T0 + 2 * FIVE]


async def test_archiving_moves_old_snapshots_and_keeps_recent_ones(
    engine: AsyncEngine, org: Org
) -> None:
    old = [
        _snap(org.tenant_a, org.client_a1, T0 - timedelta(days=31) + i * FIVE, i) for i in range(4)
    ]
    recent = [_snap(org.tenant_a, org.client_a1, T0 - timedelta(days=1), 7)]
    async with engine.begin() as conn:
        await snapshots.insert_snapshots(conn, old + recent, now=T0)
    cutoff = T0 - timedelta(days=30)
    async with engine.begin() as conn:
        moved = await snapshots.archive_older_than(conn, cutoff=cutoff, tenant_id=org.tenant_a)
    async with engine.begin() as conn:
        again = await snapshots.archive_older_than(conn, cutoff=cutoff, tenant_id=org.tenant_a)
        live = await snapshots.list_snapshots(conn, tenant_id=org.tenant_a, client_id=org.client_a1)
        everything = await snapshots.list_snapshots(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1, include_archive=True
        )
    assert (moved, again) == (4, 0)
    assert [s["window_start"] for s in live] == [T0 - timedelta(days=1)]
    assert len(everything) == 5
    assert everything[0]["metrics"] == old[0]["metrics"]
