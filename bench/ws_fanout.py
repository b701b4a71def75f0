"""Dashboard fan-out: how long an alert takes to reach every socket, and what
a socket costs a Serve replica.

One replica; N dashboard sockets of one admin. Each alert is posted through
the ingest API and timed from the POST's start to its arrival on the *last*
socket. The baseline is the same measurement with one socket, in the same
run. Also prints the replica's resident memory per open socket.

    .venv/bin/python bench/ws_fanout.py --sockets 300 --alerts 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import ray
from websockets.asyncio.client import ClientConnection, connect

from noc_actors.actors.client import start_system, stop_system
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, upgrade
from noc_actors.store.repos import clients, tenants, tokens, users


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str) -> tuple[str, str, str]:
    """A tenant with one client; (client id, admin token, integration key)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        t = await tenants.create_tenant(conn, name=f"bench-{uuid.uuid4().hex[:6]}")
        c = await clients.create_client(conn, tenant_id=t["id"], name="C")
        u = await users.create_user(
            conn, tenant_id=t["id"], display_name="Ops", email="ops@bench.example",
            is_admin=True, capabilities={},
        )  # fmt: skip
        admin, _ = await tokens.issue_token(
            conn, tenant_id=t["id"], name="bench", now=now, user_id=u["id"]
        )
        key, _ = await tokens.issue_token(
            conn, tenant_id=t["id"], name="feed", now=now, kind="integration",
            capabilities=["noc:ingest"],
        )  # fmt: skip
    await engine.dispose()
    return c["id"], admin, key


def replica_rss_mb() -> float:
    """Resident memory of the NocApi replica (found by its process title)."""
    import os

    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"ServeReplica:noc:NocApi" not in f.read():
                    continue
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            continue
    raise RuntimeError("no NocApi replica process found")


class Socket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: dict[str, float] = {}
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            frame = json.loads(text)
            if frame.get("type") == "alert_new":
                self.seen[frame["alert"]["message"]] = time.monotonic()

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()


async def open_sockets(url: str, token: str, n: int) -> list[Socket]:
    out = []
    for _ in range(n):
        ws = await connect(url, additional_headers={"Authorization": f"Bearer {token}"})
        json.loads(await ws.recv())  # connected
        out.append(Socket(ws))
    return out


async def measure(
    base: str, key: str, client_id: str, socks: list[Socket], alerts: int
) -> list[float]:
    """Seconds from POST start to arrival on the last socket, per alert."""
    out = []
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        for i in range(alerts):
            marker = f"fanout {uuid.uuid4().hex[:8]} #{i}"
            item: dict[str, Any] = {
                "alert_type": "FANOUT", "message": marker, "client_id": client_id,
                "severity": "HIGH", "entity_type": "probe", "entity_id": marker,
            }  # fmt: skip
            started = time.monotonic()
            r = await http.post("/api/noc/alerts", json={"alerts": [item]})
            r.raise_for_status()
            deadline = started + 30
            while not all(marker in s.seen for s in socks) and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            out.append(max(s.seen.get(marker, deadline) for s in socks) - started)
            await asyncio.sleep(0.05)
    return out


async def run(base: str, admin: str, key: str, client_id: str, n: int, alerts: int) -> None:
    ws_url = base.replace("http://", "ws://") + "/ws/noc/dashboard"
    one = await open_sockets(ws_url, admin, 1)
    rss_one = replica_rss_mb()
    base_lat = await measure(base, key, client_id, one, alerts)
    began = time.perf_counter()
    many = one + await open_sockets(ws_url, admin, n - 1)
    opened_s = time.perf_counter() - began
    rss_many = replica_rss_mb()
    lat = await measure(base, key, client_id, many, alerts)
    for s in many:
        await s.close()

    def fmt(xs: list[float]) -> str:
        p95 = sorted(xs)[int(0.95 * (len(xs) - 1))]
        return f"p50 {statistics.median(xs) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"

    print(f"{alerts} alerts, one Serve replica")
    print(f"  1 socket (baseline):   {fmt(base_lat)}")
    print(
        f"  {n} sockets (last one): {fmt(lat)}  "
        f"(p50 ratio {statistics.median(lat) / statistics.median(base_lat):.1f})"
    )
    print(f"  opening {n - 1} more sockets took {opened_s:.1f} s")
    print(
        f"  replica RSS {rss_one:.0f} MiB with 1 socket, {rss_many:.0f} MiB with {n} "
        f"({(rss_many - rss_one) * 1024 / max(1, n - 1):.0f} KiB per socket)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--alerts", type=int, default=30)
    args = parser.parse_args()
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    client_id, admin, key = asyncio.run(seed(url))
    settings = Settings(database_url=url, ray_namespace=f"bench-{uuid.uuid4().hex[:6]}")
    ray.init(address="local", namespace=settings.ray_namespace, include_dashboard=False,
             log_to_driver=False)  # fmt: skip
    from ray import serve

    from serve_app.deployment import build

    try:
        start_system(settings)
        port = free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build(settings), name="noc", route_prefix="/")
        asyncio.run(run(f"http://127.0.0.1:{port}", admin, key, client_id, args.sockets,
                        args.alerts))  # fmt: skip
    finally:
        serve.shutdown()
        stop_system(settings.ray_namespace)
        ray.shutdown()


if __name__ == "__main__":
    main()
