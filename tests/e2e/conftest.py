"""E2E tier: the Serve app over real HTTP, on the session's Ray cluster, with
the actor system behind it, on [sqlite] and [postgres].

The world: tenant A (clients a1 with sites a1-n and a1-s, a2 with site a2-x)
and tenant B (client b1, site b1-x). Users of A: an admin, an operator who sees
every client but not PII, and a guard who sees only site a1-n. Each gets a
token; tenant A also has two integration keys (noc:ingest): ``key`` for every
client and ``key_a1`` limited to client a1. Alerts carry PII in their metadata (PII_VALUES).

A test module may set ``SETTINGS`` (Settings overrides), ``REDIS = True``,
``REPLICAS = n`` (Serve replicas of the app) and ``BACKENDS``."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from noc_actors.actors.client import NocClient, start_system, stop_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, normalise_url, upgrade
from noc_actors.store.repos import clients, tenants, tokens, users
from tests.conftest import create_postgres_database, drop_postgres_database

PII_VALUES = ("Jane Roe", "jane.roe@example.com", "+1 555 867 5309", "42 Wallaby Way")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Api:
    base_url: str
    url: str
    settings: Settings
    tag: str
    tokens: dict[str, str]
    ids: dict[str, str]
    alerts: dict[str, list[str]] = field(default_factory=dict)

    def client(self, who: str | None, **headers: str) -> httpx.Client:
        h = dict(headers)
        if who is not None:
            h["Authorization"] = f"Bearer {self.tokens[who]}"
        return httpx.Client(base_url=self.base_url, headers=h, timeout=30)

    def sql(self, query: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        async def run() -> list[Any]:
            engine = make_engine(self.url, pool_size=1, max_overflow=0)
            try:
                async with engine.connect() as conn:
                    return list((await conn.execute(text(query), params)).all())
            finally:
                await engine.dispose()

        return asyncio.run(run())


async def seed(url: str, tag: str) -> tuple[dict[str, str], dict[str, str]]:
    engine = make_engine(url)
    ids: dict[str, str] = {}
    toks: dict[str, str] = {}
    now = __import__("datetime").datetime.now(__import__("datetime").UTC)
    try:
        async with engine.begin() as db:
            ta = await tenants.create_tenant(db, name=f"a-{tag}")
            tb = await tenants.create_tenant(db, name=f"b-{tag}")
            ids.update(tenant_a=ta["id"], tenant_b=tb["id"])
            for tid, cid, sites in (
                (ta["id"], "a1", ("a1-n", "a1-s")),
                (ta["id"], "a2", ("a2-x",)),
                (tb["id"], "b1", ("b1-x",)),
            ):
                await clients.create_client(
                    db, tenant_id=tid, name=cid.upper(), client_id=f"{cid}-{tag}"
                )
                ids[cid] = f"{cid}-{tag}"
                for s in sites:
                    await clients.create_site(
                        db, tenant_id=tid, client_id=f"{cid}-{tag}", name=s, site_id=f"{s}-{tag}"
                    )
                    ids[s] = f"{s}-{tag}"
            people = {
                "admin": (ta["id"], dict(is_admin=True, capabilities={})),
                "operator": (
                    ta["id"],
                    dict(
                        capabilities={
                            "noc:view": True,
                            "noc:view_all_clients": True,
                            "noc:ack_alerts": True,
                            "noc:escalate": True,
                            "noc:assign_incidents": True,
                            "noc:view_pii": False,
                        }
                    ),
                ),
                "guard": (
                    ta["id"],
                    dict(
                        capabilities={
                            "noc:view": True,
                            "noc:view_assigned_sites": True,
                            "noc:ack_alerts": True,
                        },
                        site_ids=[f"a1-n-{tag}"],
                    ),
                ),
                "viewer": (
                    ta["id"],
                    dict(capabilities={"noc:view": True, "noc:view_all_clients": True}),
                ),
                "admin_b": (tb["id"], dict(is_admin=True, capabilities={})),
            }
            for who, (tid, kw) in people.items():
                u = await users.create_user(
                    db,
                    tenant_id=tid,
                    display_name=who.title(),
                    email=f"{who}-{tag}@example.com",
                    **kw,
                )
                ids[who] = u["id"]
                toks[who], _ = await tokens.issue_token(
                    db, tenant_id=tid, name=who, now=now, user_id=u["id"]
                )
            # Integration keys of tenant A: tenant-wide, and limited to client a1.
            for who, cid in (("key", None), ("key_a1", ids["a1"])):
                toks[who], rec = await tokens.issue_token(
                    db,
                    tenant_id=ta["id"],
                    name=who,
                    now=now,
                    kind="integration",
                    client_id=cid,
                    capabilities=["noc:ingest"],
                )
                ids[who] = rec["id"]
    finally:
        await engine.dispose()
    return ids, toks


def pii_metadata() -> dict[str, Any]:
    name, email, phone, address = PII_VALUES
    return {
        "person_name": name,
        "email": email,
        "phone": phone,
        "address": address,
        "badge": "B-17",
    }


async def seed_alerts(noc: NocClient, ids: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    plan = (
        ("tenant_a", "a1", "a1-n", 3),
        ("tenant_a", "a1", "a1-s", 2),
        ("tenant_a", "a2", "a2-x", 2),
        ("tenant_b", "b1", "b1-x", 2),
    )
    for tenant, client, site, n in plan:
        drafts = [
            AlertDraft(
                ids[tenant],
                ids[client],
                "SECURITY_ANOMALY",
                f"door {i} forced",
                severity=Severity.HIGH,
                site_id=ids[site],
                entity_type="door",
                entity_id=f"{site}-door-{i}",
                metadata=pii_metadata(),
            )
            for i in range(n)
        ]
        report = await noc.ingest_alerts(ids[tenant], ids[client], drafts)
        out[site] = [i["alert_id"] for i in report["items"]]
    return out


REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def redis_for(request: pytest.FixtureRequest) -> str:
    """A Redis database for the module (emptied first); skips without Redis,
    fails under NOC_REQUIRE_SERVICES=1."""
    import os

    import redis

    from tests.conftest import service_unavailable

    url = os.environ.get("NOC_TEST_REDIS_URL", REDIS_TEST_URL)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.flushdb()
        client.close()
    except redis.RedisError as err:
        service_unavailable(f"Redis unreachable at {url}: {err}")
    return url


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def api(
    request: pytest.FixtureRequest, serve_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    from ray import serve

    from serve_app.deployment import build

    if request.param not in getattr(request.module, "BACKENDS", ("sqlite", "postgres")):
        pytest.skip(f"{request.module.__name__} runs on {request.module.BACKENDS} only")
    dsn = None
    if request.param == "sqlite":
        url = normalise_url(f"sqlite:///{tmp_path_factory.mktemp('api')}/noc.db")
    else:
        url, dsn = asyncio.run(create_postgres_database())
    upgrade(url)
    tag = uuid.uuid4().hex[:6]
    ids, toks = asyncio.run(seed(url, tag))
    redis_url = redis_for(request) if getattr(request.module, "REDIS", False) else None
    extra = getattr(request.module, "SETTINGS", {})
    settings = Settings(
        database_url=url, ray_namespace=f"noc-e2e-{tag}", redis_url=redis_url, **extra
    )
    noc = start_system(settings)
    alerts = asyncio.run(seed_alerts(noc, ids))
    serve.run(
        build(settings, replicas=getattr(request.module, "REPLICAS", 1)),
        name="noc",
        route_prefix="/",
    )
    base = f"http://127.0.0.1:{serve_port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/noc/health", timeout=5).status_code in (200, 503):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    try:
        yield Api(base, url, settings, tag, toks, ids, alerts)
    finally:
        serve.delete("noc")
        stop_system(settings.ray_namespace)
        if dsn is not None:
            asyncio.run(drop_postgres_database(url, dsn))
