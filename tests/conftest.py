"""Fixtures shared by every test tier: databases on both backends.

- ``db_url``: parametrised ``[sqlite]`` (a fresh file per test) and
  ``[postgres]`` (one fresh database per session, dropped at the end; tests
  isolate themselves with their own tenants). Base URL of the server:
  ``NOC_TEST_POSTGRES_URL`` (default: local postgres on 127.0.0.1:5432).
  Without a reachable server the postgres variants skip — or fail when
  ``NOC_REQUIRE_SERVICES=1``.
- ``engine``: an ``AsyncEngine`` on ``db_url`` with the schema migrated by
  ``upgrade(url)``; disposed after the test.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors import ray_env
from noc_actors.store.db import make_engine, normalise_url, redact_url, upgrade

POSTGRES_ENV = "NOC_TEST_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def service_unavailable(reason: str) -> None:
    """Skip the test, or fail it when NOC_REQUIRE_SERVICES=1 (CI with services)."""
    if os.environ.get("NOC_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (NOC_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def debian_tool(package: str, *paths: str) -> None:
    """Make sure Debian's ``package`` provides ``paths`` (commands or absolute
    paths): installed with apt-get when missing and we are root; otherwise
    the test skips (fails under NOC_REQUIRE_SERVICES=1)."""
    import shutil
    import subprocess

    def present() -> bool:
        return all(os.path.exists(p) if os.path.isabs(p) else shutil.which(p) for p in paths)

    if not present() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", package]
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=900)
    if not present():
        service_unavailable(f"Debian's {package} is not installed ({', '.join(paths)})")


async def create_postgres_database() -> tuple[str, str]:
    """Create a fresh, uniquely named database; returns (its URL, admin DSN).
    Skips (or fails under NOC_REQUIRE_SERVICES=1) without a server."""
    import asyncpg

    base = make_url(os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)).set(drivername="postgresql")
    dsn = base.render_as_string(hide_password=False)
    try:
        admin = await asyncio.wait_for(asyncpg.connect(dsn), timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL unreachable at {redact_url(base)}: {exc!r}"
    else:
        reason = ""
    if reason:
        service_unavailable(reason)
    name = f"noc_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return normalise_url(base.set(database=name)), dsn


async def drop_postgres_database(url: str, dsn: str) -> None:
    import asyncpg

    name = make_url(url).database
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """URL (postgresql+asyncpg) of a fresh database created for this session."""
    url, dsn = await create_postgres_database()
    yield url
    await drop_postgres_database(url, dsn)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A database URL on each backend (schema not migrated)."""
    if request.param == "sqlite":
        return normalise_url(f"sqlite:///{tmp_path}/noc.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """``db_url`` after ``upgrade(url)`` (a no-op when already at head)."""
    upgrade(db_url)
    return db_url


@pytest_asyncio.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated database, disposed after the test."""
    eng = make_engine(migrated_url, pool_size=2, max_overflow=2)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One local Ray for every actor test (ray.init takes ~4 s here)."""
    import ray

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    ray_env.apply()  # the proxy and drain settings the product runs with
    if not ray.is_initialized():
        ray.init(
            namespace="noc-tests",
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            _metrics_export_port=METRICS_PORT,
        )
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def serve_port(ray_cluster: None) -> Iterator[int]:
    """Ray Serve on a free port, shared by the e2e and chaos tiers."""
    from ray import serve

    port = _free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    yield port
    serve.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


METRICS_PORT = _free_port()  # Ray's Prometheus endpoint for this test session
