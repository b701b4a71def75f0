"""Store fixtures: two tenants with clients and users, and an alert factory."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import Severity
from noc_actors.store.repos import clients, tenants, users

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Org:
    """Ids of a seeded world: tenant A (clients a1, a2; admin user) and
    tenant B (client b1), all unique to the test."""

    tenant_a: str
    client_a1: str
    client_a2: str
    user_a: str
    tenant_b: str
    client_b1: str


@pytest_asyncio.fixture
async def org(engine: AsyncEngine) -> Org:
    """Two fresh tenants, so tests on a shared database never see each other."""
    tag = uuid.uuid4().hex[:8]
    async with engine.begin() as conn:
        ta = await tenants.create_tenant(conn, name=f"acme-{tag}", now=T0)
        tb = await tenants.create_tenant(conn, name=f"globex-{tag}", now=T0)
        a1 = await clients.create_client(conn, tenant_id=ta["id"], name="Bank", now=T0)
        a2 = await clients.create_client(conn, tenant_id=ta["id"], name="Mall", now=T0)
        b1 = await clients.create_client(conn, tenant_id=tb["id"], name="Bank", now=T0)
        ua = await users.create_user(
            conn,
            tenant_id=ta["id"],
            display_name="Ada Admin",
            email=f"ada-{tag}@example.com",
            capabilities={"noc:view": True},
            is_admin=True,
            now=T0,
        )
    return Org(ta["id"], a1["id"], a2["id"], ua["id"], tb["id"], b1["id"])


AlertFactory = Callable[..., Alert]


@pytest.fixture
def make_alert(org: Org) -> AlertFactory:
    """Build (not store) an alert of tenant A / client a1; override anything."""
    counter = itertools.count()

    def build(**overrides: Any) -> Alert:
        n = next(counter)
        values: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "tenant_id": org.tenant_a,
            "client_id": org.client_a1,
            "alert_type": "DEVICE_OFFLINE",
            "severity": Severity.HIGH,
            "message": f"device {n} offline",
            "dedup_key": f"key-{uuid.uuid4().hex}",
            "first_seen": T0 + timedelta(seconds=n),
            "last_seen": T0 + timedelta(seconds=n),
            "entity_type": "device",
            "entity_id": f"dev-{n}",
            "metadata": {"n": n},
        }
        values.update(overrides)
        return Alert(**values)

    return build
