"""Tenants, clients, sites, users, maintenance, incidents, live state, policies."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.errors import NotFound
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.store.repos import (
    alerts,
    clients,
    incidents,
    live_state,
    maintenance,
    policies,
    tenants,
    users,
)

if TYPE_CHECKING:
    from tests.integration.store.conftest import AlertFactory, Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def test_tenant_policy_and_names(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        assert await tenants.update_policy(
            conn, tenant_id=org.tenant_a, policy={"backpressure_threshold": 50}
        )
        tenant = await tenants.get_tenant(conn, tenant_id=org.tenant_a)
        assert tenant is not None and tenant["policy"] == {"backpressure_threshold": 50}
        by_name = await tenants.get_tenant_by_name(conn, name=tenant["name"])
        assert by_name is not None and by_name["id"] == org.tenant_a
        assert org.tenant_b in {t["id"] for t in await tenants.list_tenants(conn)}
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await tenants.create_tenant(conn, name=tenant["name"])


async def test_clients_and_sites_stay_in_their_tenant(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        assert (
            await clients.get_client(conn, tenant_id=org.tenant_b, client_id=org.client_a1) is None
        )
        assert await clients.set_enabled(
            conn, tenant_id=org.tenant_a, client_id=org.client_a2, enabled=False
        )
        assert not await clients.set_enabled(
            conn, tenant_id=org.tenant_b, client_id=org.client_a1, enabled=False
        )
        enabled = await clients.list_clients(conn, tenant_id=org.tenant_a, enabled_only=True)
        region = await clients.create_site(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1, name="North"
        )
        await clients.create_site(
            conn,
            tenant_id=org.tenant_a,
            client_id=org.client_a1,
            name="Branch 7",
            parent_id=region["id"],
            lat=52.1,
            lon=4.3,
            geofence_radius_m=150,
            oncall_user_id=org.user_a,
        )
        sites = await clients.list_sites(conn, tenant_id=org.tenant_a, client_id=org.client_a1)
    assert [c["id"] for c in enabled] == [org.client_a1]
    assert [(s["name"], s["parent_id"]) for s in sites] == [
        ("Branch 7", region["id"]),
        ("North", None),
    ]


async def test_users_are_unique_per_tenant_by_email(engine: AsyncEngine, org: Org) -> None:
    async with engine.begin() as conn:
        user = await users.create_user(
            conn,
            tenant_id=org.tenant_b,
            display_name="Bo",
            email="Bo@Example.com",
            capabilities={"noc:view": True, "noc:view_pii": False},
            client_ids=[org.client_b1],
        )
        found = await users.get_user_by_email(conn, tenant_id=org.tenant_b, email="bo@example.COM")
        assert found is not None and found["id"] == user["id"]
        assert await users.get_user(conn, tenant_id=org.tenant_a, user_id=user["id"]) is None
        updated = await users.update_user(
            conn, tenant_id=org.tenant_b, user_id=user["id"], site_ids=["s1"], is_admin=True
        )
        assert updated is not None and updated["site_ids"] == ["s1"] and updated["is_admin"]
        assert updated["capabilities"] == {"noc:view": True, "noc:view_pii": False}
        with pytest.raises(ValueError):
            await users.update_user(conn, tenant_id=org.tenant_b, user_id=user["id"], tenant_id2=1)
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await users.create_user(
                conn, tenant_id=org.tenant_b, display_name="B2", email="bo@example.com",
                capabilities={},
            )  # fmt: skip


async def test_maintenance_windows_soft_delete_and_activity(engine: AsyncEngine, org: Org) -> None:
    whole = MaintenanceWindow(
        "mw-" + org.tenant_a, org.tenant_a, T0, T0 + 2 * HOUR, reason="upgrade"
    )
    scoped = MaintenanceWindow(
        "mw2-" + org.tenant_a,
        org.tenant_a,
        T0 + HOUR,
        T0 + 3 * HOUR,
        client_id=org.client_a2,
        alert_types=frozenset({"DEVICE_OFFLINE"}),
    )
    async with engine.begin() as conn:
        await maintenance.create_window(conn, window=whole, now=T0)
        await maintenance.create_window(conn, window=scoped, now=T0)
        at_start = [
            w for w in await maintenance.list_windows(conn, tenant_id=org.tenant_a) if w.active(T0)
        ]
        for_a1 = [
            w
            for w in await maintenance.list_windows(
                conn, tenant_id=org.tenant_a, client_id=org.client_a1
            )
            if w.active(T0 + 90 * timedelta(minutes=1))
        ]
        assert await maintenance.list_windows(conn, tenant_id=org.tenant_b) == []
        longer = dataclasses.replace(whole, ends_at=T0 + 5 * HOUR)
        assert await maintenance.update_window(conn, window=longer, now=T0)
        assert await maintenance.delete_window(
            conn, tenant_id=org.tenant_a, window_id=scoped.id, now=T0
        )
        assert not await maintenance.delete_window(
            conn, tenant_id=org.tenant_a, window_id=scoped.id, now=T0
        )
        upcoming = await maintenance.list_windows(conn, tenant_id=org.tenant_a, ending_after=T0)
        with_deleted = await maintenance.list_windows(
            conn, tenant_id=org.tenant_a, include_deleted=True
        )
    assert at_start == [whole]
    assert for_a1 == [whole]
    assert upcoming == [longer]
    assert scoped in with_deleted


async def test_incident_links_only_its_tenants_alerts(
    engine: AsyncEngine, org: Org, make_alert: AlertFactory
) -> None:
    mine = [make_alert(), make_alert()]
    theirs = make_alert(tenant_id=org.tenant_b, client_id=org.client_b1)
    async with engine.begin() as conn:
        await alerts.insert_alerts(conn, [*mine, theirs])
        incident = await incidents.create_incident(
            conn,
            tenant_id=org.tenant_a,
            client_id=org.client_a1,
            title="Bank branch down",
            severity="CRITICAL",
            now=T0,
            alert_ids=[a.id for a in mine],
        )
    with pytest.raises(NotFound):
        async with engine.begin() as conn:
            await incidents.link_alerts(
                conn, tenant_id=org.tenant_a, incident_id=incident["id"], alert_ids=[theirs.id]
            )
    async with engine.begin() as conn:
        updated = await incidents.update_incident(
            conn,
            tenant_id=org.tenant_a,
            incident_id=incident["id"],
            state="ACKNOWLEDGED",
            acknowledged_at=T0 + HOUR,
        )
        listed, cursor = await incidents.list_incidents(conn, tenant_id=org.tenant_a)
        hidden = await incidents.get_incident(
            conn, tenant_id=org.tenant_b, incident_id=incident["id"]
        )
    assert updated is not None and updated["state"] == "ACKNOWLEDGED"
    assert updated["alert_ids"] == sorted(a.id for a in mine)
    assert [i["id"] for i in listed] == [incident["id"]] and cursor is None
    assert hidden is None


async def test_live_state_round_trips(engine: AsyncEngine, org: Org) -> None:
    state = {"tickets": {"t1": {"status": "OPEN", "created_at": "2026-11-26T09:00:00+00:00"}}}
    async with engine.begin() as conn:
        assert await live_state.load_live_state(conn, client_id=org.client_a1) is None
        await live_state.save_live_state(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1, state={"old": 1}, now=T0
        )
        await live_state.save_live_state(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1, state=state, now=T0 + HOUR
        )
        loaded = await live_state.load_live_state(conn, client_id=org.client_a1)
        foreign = await live_state.load_live_state(
            conn, client_id=org.client_a1, tenant_id=org.tenant_b
        )
    assert loaded == state
    assert foreign is None


async def test_escalation_policy_falls_back_to_tenant_default(
    engine: AsyncEngine, org: Org
) -> None:
    default_targets: list[dict[str, Any]] = [
        {"kind": "site_oncall", "ref": None},
        {"kind": "tenant_admins"},
    ]
    async with engine.begin() as conn:
        await policies.put_escalation_policy(
            conn, tenant_id=org.tenant_a, name="default", targets=default_targets, now=T0
        )
        own = await policies.put_escalation_policy(
            conn,
            tenant_id=org.tenant_a,
            client_id=org.client_a2,
            name="mall",
            targets=[{"kind": "user", "ref": org.user_a}],
            now=T0,
        )
        replaced = await policies.put_escalation_policy(
            conn, tenant_id=org.tenant_a, name="default v2", targets=default_targets[:1], now=T0
        )
        for_a1 = await policies.effective_escalation_policy(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1
        )
        for_a2 = await policies.effective_escalation_policy(
            conn, tenant_id=org.tenant_a, client_id=org.client_a2
        )
        listed = await policies.list_escalation_policies(conn, tenant_id=org.tenant_a)
    assert for_a1 is not None and for_a1["id"] == replaced["id"]
    assert for_a1["name"] == "default v2" and len(for_a1["targets"]) == 1
    assert for_a2 is not None and for_a2["id"] == own["id"]
    assert [p["client_id"] for p in listed] == [None, org.client_a2]
