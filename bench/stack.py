"""What the benchmarks start: a fresh PostgreSQL database (or SQLite file), a
seeded tenant, the NOC (local Ray, every actor, the Serve app) and Debian's
Prometheus Alertmanager — each torn down by ``close()``."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from noc_actors import ray_env
from noc_actors.store.db import make_engine, normalise_url, upgrade
from noc_actors.store.repos import clients, tenants, tokens

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 600:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:g} s")


@dataclass
class Database:
    """A database of its own for one benchmark run."""

    url: str
    drop: str | None = None
    """The admin DSN to drop it with (PostgreSQL), or None (a temporary file)."""

    @classmethod
    def create(cls, backend: str) -> Database:
        if backend == "sqlite":
            return cls(normalise_url(f"sqlite:///{tempfile.mkdtemp()}/bench.db"))
        import asyncpg

        name = f"noc_bench_{uuid.uuid4().hex[:8]}"
        admin = POSTGRES.replace("+asyncpg", "")

        async def run() -> None:
            conn = await asyncpg.connect(admin)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(run())
        return cls(POSTGRES.rsplit("/", 1)[0] + f"/{name}", admin)

    def close(self) -> None:
        if self.drop is None:
            return
        import asyncpg

        name = self.url.rsplit("/", 1)[1]

        async def run() -> None:
            conn = await asyncpg.connect(self.drop)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        asyncio.run(run())


async def seed_tenant(url: str, n_clients: int) -> tuple[str, list[str], str]:
    """A tenant with ``n_clients`` clients and a tenant-wide integration key."""
    engine = make_engine(url)
    tag = uuid.uuid4().hex[:6]
    try:
        async with engine.begin() as conn:
            t = await tenants.create_tenant(conn, name=f"bench-{tag}")
            ids = [
                (await clients.create_client(conn, tenant_id=t["id"], name=f"C{i}-{tag}"))["id"]
                for i in range(n_clients)
            ]
            key, _ = await tokens.issue_token(
                conn,
                tenant_id=t["id"],
                name="bench",
                now=datetime.now(UTC),
                kind="integration",
                capabilities=["noc:ingest"],
            )
    finally:
        await engine.dispose()
    return t["id"], ids, key


@dataclass
class Noc:
    """The NOC on a local Ray: every actor and one Serve replica."""

    base: str
    namespace: str

    @classmethod
    def start(cls, url: str, namespace: str, replicas: int = 1, placement: str = "pooled") -> Noc:
        import ray
        from ray import serve

        from noc_actors.actors.client import start_system
        from noc_actors.settings import Settings
        from serve_app.deployment import build

        settings = Settings(database_url=url, ray_namespace=namespace, placement=placement)
        ray_env.apply()
        ray.init(address="local", namespace=namespace, include_dashboard=False,
                 log_to_driver=False)  # fmt: skip
        start_system(settings)
        port = free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build(settings, replicas=replicas), name="noc", route_prefix="/")
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/noc/health")
        return cls(base, namespace)

    def close(self) -> None:
        import ray
        from ray import serve

        from noc_actors.actors.client import stop_system

        serve.shutdown()
        stop_system(self.namespace)
        ray.shutdown()


AM_CONFIG = """
route:
  receiver: 'null'
receivers:
  - name: 'null'
"""


@dataclass
class Alertmanager:
    """Debian's ``prometheus-alertmanager``: in memory, clustering off, a
    null receiver (what the NOC is compared with)."""

    base: str
    proc: subprocess.Popen[bytes]
    workdir: Path = field(repr=False)

    @classmethod
    def start(cls) -> Alertmanager:
        binary = shutil.which("prometheus-alertmanager")
        if binary is None:
            raise SystemExit(
                "prometheus-alertmanager is not installed: "
                "apt-get install -y prometheus-alertmanager"
            )
        workdir = Path(tempfile.mkdtemp(prefix="am-bench-"))
        (workdir / "am.yml").write_text(AM_CONFIG)
        port = free_port()
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'am.yml'}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "am.log").open("wb"),
        )
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v2/status")
        return cls(base, proc, workdir)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def prepare(url: str) -> None:
    upgrade(url)
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
