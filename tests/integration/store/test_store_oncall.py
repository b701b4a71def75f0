"""On-call schedules on both backends: layers stored as the API's JSON and
read back as the same rotation, overrides per schedule (the expired ones
left out of what an aggregator loads), a client's view that leaves other
clients' schedules out, and tenancy and scope rules the database keeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.oncall import layers_json, parse_layers
from noc_actors.store.repos import oncall
from tests.integration.store.conftest import T0, Org

LAYERS = [{"name": "primary", "users": [], "start": "2026-11-20T09:00", "shift_hours": 24}]


def layers(org: Org) -> list[dict[str, object]]:
    return layers_json(parse_layers([{**LAYERS[0], "users": [org.user_a]}]))


async def test_schedules_and_overrides_load_as_the_rotation_they_describe(
    engine: AsyncEngine, org: Org
) -> None:
    async with engine.begin() as conn:
        tenant_wide = await oncall.create_schedule(
            conn, tenant_id=org.tenant_a, now=T0, name="all", time_zone="UTC", layers=layers(org)
        )
        mine = await oncall.create_schedule(
            conn,
            tenant_id=org.tenant_a,
            now=T0,
            name="bank",
            time_zone="Europe/Berlin",
            client_id=org.client_a1,
            layers=layers(org),
        )
        await oncall.create_schedule(
            conn,
            tenant_id=org.tenant_a,
            now=T0,
            name="mall",
            time_zone="UTC",
            client_id=org.client_a2,
            layers=layers(org),
        )
        for start, end in (
            (T0 - timedelta(days=2), T0 - timedelta(days=1)),
            (T0, T0 + timedelta(hours=1)),
        ):
            await oncall.add_override(
                conn,
                tenant_id=org.tenant_a,
                schedule_id=mine["id"],
                user_id=org.user_a,
                start_at=start,
                end_at=end,
                note="",
                created_by="test",
                now=T0,
            )
    async with engine.connect() as conn:
        loaded = await oncall.load_schedules(
            conn, tenant_id=org.tenant_a, client_id=org.client_a1, ending_after=T0
        )
    assert [s.name for s in loaded] == ["all", "bank"]  # not the mall's
    bank = loaded[1]
    assert bank.time_zone == "Europe/Berlin" and bank.layers == parse_layers(mine["layers"])
    assert [(o.start, o.end) for o in bank.overrides] == [(T0, T0 + timedelta(hours=1))]
    assert bank.on_call(T0) == org.user_a
    assert loaded[0].id == tenant_wide["id"]
    async with engine.begin() as conn:
        assert await oncall.delete_schedule(conn, tenant_id=org.tenant_a, schedule_id=mine["id"])
        left = await oncall.list_overrides(conn, tenant_id=org.tenant_a, schedule_ids=[mine["id"]])
    assert left == []


async def test_the_database_keeps_schedules_to_their_tenant_and_a_site_to_its_client(
    engine: AsyncEngine, org: Org
) -> None:
    with pytest.raises(IntegrityError):  # another tenant's client
        async with engine.begin() as conn:
            await oncall.create_schedule(
                conn,
                tenant_id=org.tenant_a,
                now=T0,
                name="x",
                time_zone="UTC",
                client_id=org.client_b1,
                layers=layers(org),
            )
    with pytest.raises(IntegrityError):  # an override by another tenant's user
        async with engine.begin() as conn:
            row = await oncall.create_schedule(
                conn, tenant_id=org.tenant_b, now=T0, name="y", time_zone="UTC", layers=[]
            )
            await oncall.add_override(
                conn,
                tenant_id=org.tenant_b,
                schedule_id=row["id"],
                user_id=org.user_a,
                start_at=T0,
                end_at=T0 + timedelta(hours=1),
                note="",
                created_by="test",
                now=T0,
            )
