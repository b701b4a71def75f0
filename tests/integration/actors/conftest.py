"""Actor tier: one local Ray cluster for the whole test session, and a NOC
system (supervisor + actors in their own Ray namespace) per test module and
database backend.

``noc`` is parametrised ``[sqlite]`` / ``[postgres]``; the PostgreSQL variant
skips without a server unless ``NOC_REQUIRE_SERVICES=1``. A module tunes its
system through a module-level ``SETTINGS`` dict (e.g. shorter delays),
``CLIENTS`` (how many clients to seed) and ``BACKENDS`` (the databases it
needs, when it tests nothing of storage)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text

from noc_actors.actors.client import NocClient, start_system, stop_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, normalise_url, upgrade
from noc_actors.store.repos import clients, tenants, users
from tests.conftest import create_postgres_database, drop_postgres_database


@dataclass
class NocSystem:
    """A running NOC on a fresh database: seeded tenant, clients, sites."""

    url: str
    settings: Settings
    client: NocClient
    tenant_id: str
    client_ids: list[str]
    site_of: dict[str, str]
    owner_of: dict[str, str]
    started_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def sql(self, query: str, **params: Any) -> list[Any]:
        """Run a read query on the system's database (fresh engine, own loop)."""

        async def run() -> list[Any]:
            engine = make_engine(self.url, pool_size=1, max_overflow=0)
            try:
                async with engine.connect() as conn:
                    return list((await conn.execute(text(query), params)).all())
            finally:
                await engine.dispose()

        return asyncio.run(run()) if not _loop_running() else _run_in_thread(run)

    def scalar(self, query: str, **params: Any) -> Any:
        rows = self.sql(query, **params)
        return rows[0][0] if rows else None

    def execute(self, query: str, **params: Any) -> None:
        """Run a writing statement on the system's database and commit it."""

        async def run() -> None:
            engine = make_engine(self.url, pool_size=1, max_overflow=0)
            try:
                async with engine.begin() as conn:
                    await conn.execute(text(query), params)
            finally:
                await engine.dispose()

        asyncio.run(run()) if not _loop_running() else _run_in_thread(run)


@contextlib.contextmanager
def broken_tenant(noc: NocSystem) -> Iterator[str]:
    """A tenant, listed before every other (by name), whose stored policy no
    longer validates (written by plain SQL, past the API's bounds): a system
    loop over tenants must skip it, not stop."""
    tid = f"broken-{uuid.uuid4().hex[:6]}"
    policy = "CAST(:p AS jsonb)" if noc.url.startswith("postgresql") else ":p"
    noc.execute(
        "INSERT INTO tenants (id, name, policy, created_at) "
        f"VALUES (:i, :n, {policy}, CURRENT_TIMESTAMP)",
        i=tid,
        n=f"000 {tid}",
        p='{"escalation_minutes": {"CRITICAL": 1e10}}',
    )
    try:
        yield tid
    finally:
        noc.execute("DELETE FROM tenants WHERE id = :i", i=tid)


def gateway_drafts(noc: NocSystem, client_id: str, keys: list[str]) -> list[AlertDraft]:
    """MEDIUM ``SYNC_DEGRADED`` drafts of one client, one gateway per key."""
    return [
        AlertDraft(
            noc.tenant_id,
            client_id,
            "SYNC_DEGRADED",
            f"{k} lagging",
            severity=Severity.MEDIUM,
            site_id=noc.site_of.get(client_id),
            entity_type="gateway",
            entity_id=k,
        )
        for k in keys
    ]


async def until(predicate: Callable[[], Any], timeout_s: float, every_s: float = 0.1) -> bool:
    """Ask ``predicate`` (plain or async) until it is true or ``timeout_s``
    has passed; its last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = predicate()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer or time.monotonic() >= deadline:
            return bool(answer)
        await asyncio.sleep(every_s)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_thread(fn: Any) -> Any:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fn()).result()


async def seed(
    url: str, n_clients: int, tag: str
) -> tuple[str, list[str], dict[str, str], dict[str, str]]:
    engine = make_engine(url)
    site_of: dict[str, str] = {}
    owner_of: dict[str, str] = {}
    try:
        async with engine.begin() as conn:
            t = await tenants.create_tenant(conn, name=f"acme-{tag}")
            ids = []
            for i in range(n_clients):
                owner = await users.create_user(
                    conn,
                    tenant_id=t["id"],
                    display_name=f"Owner {i}",
                    email=f"owner{i}-{tag}@acme.test",
                    capabilities={"noc:view": True},
                )
                c = await clients.create_client(
                    conn,
                    tenant_id=t["id"],
                    name=f"Client {i}",
                    client_id=f"c{i}-{tag}",
                    owner_user_id=owner["id"],
                )
                oncall = await users.create_user(
                    conn,
                    tenant_id=t["id"],
                    display_name=f"Guard {i}",
                    email=f"oncall{i}-{tag}@acme.test",
                    capabilities={"noc:view": True},
                )
                site = await clients.create_site(
                    conn,
                    tenant_id=t["id"],
                    client_id=c["id"],
                    name=f"Site {i}",
                    site_id=f"s{i}-{tag}",
                    oncall_user_id=oncall["id"],
                )
                ids.append(c["id"])
                site_of[c["id"]] = site["id"]
                owner_of[c["id"]] = owner["id"]
    finally:
        await engine.dispose()
    return t["id"], ids, site_of, owner_of


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def noc(
    request: pytest.FixtureRequest, ray_cluster: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NocSystem]:
    if request.param not in getattr(request.module, "BACKENDS", ("sqlite", "postgres")):
        pytest.skip(f"{request.module.__name__} runs on {request.module.BACKENDS} only")
    dsn = None
    if request.param == "sqlite":
        url = normalise_url(f"sqlite:///{tmp_path_factory.mktemp('noc')}/noc.db")
    else:  # a database of its own: the system serves every tenant it finds
        url, dsn = asyncio.run(create_postgres_database())
    upgrade(url)
    tag = uuid.uuid4().hex[:6]
    n_clients = getattr(request.module, "CLIENTS", 2)
    tenant_id, ids, site_of, owner_of = asyncio.run(seed(url, n_clients, tag))
    overrides = getattr(request.module, "SETTINGS", {})
    settings = Settings(database_url=url, ray_namespace=f"noc-test-{tag}", **overrides)
    began = time.perf_counter()
    client = start_system(settings)
    started = time.perf_counter() - began
    try:
        yield NocSystem(url, settings, client, tenant_id, ids, site_of, owner_of, started)
    finally:
        stop_system(settings.ray_namespace)
        if dsn is not None:
            asyncio.run(drop_postgres_database(url, dsn))
