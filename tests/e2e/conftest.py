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
from tests.e2e.receivers import HttpReceiver, http_receiver

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


OPERATOR_KEY = "op-" + "k" * 40
"""The platform operator's key every e2e system is started with."""
BASE_SETTINGS: dict[str, Any] = {
    "operator_key": OPERATOR_KEY,
    # notifications (test_notifications): quick looks, short timeouts and backoffs
    "notify_interval_s": 0.2,
    "notify_timeout_s": 1.5,
    "notify_backoff_s": 0.2,
    "notify_backoff_cap_s": 0.5,
}


@dataclass
class Stack:
    """A running NOC (actors and the Serve app) on one database. Modules
    that ask for the same one share it, each with its own world."""

    key: tuple[Any, ...]
    url: str
    dsn: str | None
    settings: Settings
    noc: NocClient
    base_url: str


_RUNNING: list[Stack] = []
"""The stack running now (at most one: the Serve app owns the route "/")."""


def stack_key(backend: str, module: Any) -> tuple[Any, ...]:
    """What makes a module's stack different from another's."""
    settings = {**BASE_SETTINGS, **getattr(module, "SETTINGS", {})}
    return (
        backend,
        tuple(sorted((k, repr(v)) for k, v in settings.items())),
        bool(getattr(module, "REDIS", False)),
        getattr(module, "REPLICAS", 1),
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the e2e modules that want the same stack one after another (after
    pytest's own ordering, which keeps a module's tests together per
    backend), so each stack starts once per session instead of once per
    module: a start costs 11-20 s here."""
    here = __file__.rsplit("/", 1)[0]

    def key(item: pytest.Item) -> tuple[Any, ...]:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("api") if callspec is not None else None
        if backend is None:
            return ("",)
        return stack_key(backend, item.module)  # type: ignore[attr-defined]

    at = [i for i, item in enumerate(items) if str(item.path).startswith(here)]
    mine = [items[i] for i in at]  # this tier's items; the others keep their places
    first: dict[tuple[Any, ...], int] = {}
    for n, item in enumerate(mine):
        first.setdefault(key(item), n)
    mine.sort(key=lambda item: first[key(item)])  # stable: same-stack items stay in order
    for i, item in zip(at, mine, strict=True):
        items[i] = item


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the running stack after the last test that uses one, so the tiers
    after this one find Serve and Ray as they were — after the test's own
    fixtures are torn down (a browser fixture's event loop would still be
    running otherwise, and the stack's database drop needs one of its own)."""
    if _RUNNING and (nextitem is None or "api" not in getattr(nextitem, "fixturenames", ())):
        for stack in list(_RUNNING):
            _stop(stack)


def _stop(stack: Stack) -> None:
    from ray import serve

    _RUNNING.remove(stack)
    if stack.base_url:
        serve.delete("noc")
    stop_system(stack.settings.ray_namespace)
    if stack.dsn is not None:
        asyncio.run(drop_postgres_database(stack.url, stack.dsn))


def _start(key: tuple[Any, ...], request: pytest.FixtureRequest, tmp: Any) -> Stack:
    """The actors of a new stack (the Serve app starts after the first world
    is seeded: ``_serve``)."""
    backend = key[0]
    dsn = None
    if backend == "sqlite":
        url = normalise_url(f"sqlite:///{tmp.mktemp('api')}/noc.db")
    else:
        url, dsn = asyncio.run(create_postgres_database())
    upgrade(url)
    redis_url = redis_for(request) if key[2] else None
    extra = {**BASE_SETTINGS, **getattr(request.module, "SETTINGS", {})}
    settings = Settings(
        database_url=url,
        ray_namespace=f"noc-e2e-{uuid.uuid4().hex[:6]}",
        redis_url=redis_url,
        **extra,
    )
    stack = Stack(key, url, dsn, settings, start_system(settings), "")
    _RUNNING.append(stack)
    return stack


def _serve(stack: Stack, serve_port: int) -> None:
    from ray import serve

    from serve_app.deployment import build

    serve.run(build(stack.settings, replicas=stack.key[3]), name="noc", route_prefix="/")
    base = f"http://127.0.0.1:{serve_port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/noc/health", timeout=5).status_code in (200, 503):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stack.base_url = base


@pytest.fixture(scope="session")
def _stacks() -> Iterator[None]:
    """Stops the last stack at the end of the session."""
    yield
    for stack in list(_RUNNING):
        _stop(stack)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def api(
    request: pytest.FixtureRequest,
    serve_port: int,
    tmp_path_factory: pytest.TempPathFactory,
    _stacks: None,
) -> Iterator[Api]:
    """The module's world (its own tenants, users, tokens and alerts) in a
    running stack: the one running already when it is the stack the module
    wants (same backend, settings, Redis and replicas), else a new one."""
    if request.param not in getattr(request.module, "BACKENDS", ("sqlite", "postgres")):
        pytest.skip(f"{request.module.__name__} runs on {request.module.BACKENDS} only")
    key = stack_key(request.param, request.module)
    stack = next((s for s in _RUNNING if s.key == key), None)
    if stack is None:
        for other in list(_RUNNING):
            _stop(other)
        stack = _start(key, request, tmp_path_factory)
    elif key[2]:
        redis_for(request)  # the module starts with an empty Redis database
    tag = uuid.uuid4().hex[:6]
    ids, toks = asyncio.run(seed(stack.url, tag))
    alerts = asyncio.run(seed_alerts(stack.noc, ids))
    if not stack.base_url:  # a new stack: its app starts with the world in place
        _serve(stack, serve_port)
    yield Api(stack.base_url, stack.url, stack.settings, tag, toks, ids, alerts)


# --- notification receivers (tests/e2e/receivers.py) -----------------------------------


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """A real HTTP receiver on loopback for webhook contact points."""
    with http_receiver() as r:
        yield r


@pytest.fixture
def contacts(api: Api) -> Iterator[list[str]]:
    """Contact points a test adds, deleted after it (they are tenant-wide)."""
    made: list[str] = []
    yield made
    with api.client("admin") as c:
        for cid in made:
            c.delete(f"/api/noc/contact-points/{cid}")
