"""Dashboard fan-out: how long an alert takes to reach every socket, and what
a socket costs a Serve replica.

One replica; N dashboard sockets of one admin. Each alert is posted through
the ingest API and timed from the POST's start to its arrival on the *last*
socket. The baseline is the same measurement with one socket, in the same
run. Also prints the replica's resident memory per open socket.

    .venv/bin/python bench/ws_fanout.py --sockets 300 --alerts 30
    .venv/bin/python bench/ws_fanout.py --rate 1000 --clients 20 --sockets 200 --replicas 2

With ``--rate``: alerts posted at that rate over ``--clients`` clients while
``--sockets`` dashboards are open, and the delay from each POST's answer (its
alerts committed) to their arrival on each socket — negative when the push
beat the answer — p50 / p99 over every (alert, socket) pair and of the last
socket per alert; and the delay from the POST's start.
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

from noc_actors import ray_env
from noc_actors.actors.client import start_system, stop_system
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, upgrade
from noc_actors.store.repos import clients, tenants, tokens, users


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str, n_clients: int = 1) -> tuple[list[str], str, str, list[str]]:
    """A tenant with ``n_clients`` clients; (client ids, admin token,
    integration key, per client the token of an operator who sees only it)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        t = await tenants.create_tenant(conn, name=f"bench-{uuid.uuid4().hex[:6]}")
        ids = [
            (await clients.create_client(conn, tenant_id=t["id"], name=f"C{i}"))["id"]
            for i in range(n_clients)
        ]
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
        scoped = []
        for i, cid in enumerate(ids):
            op = await users.create_user(
                conn, tenant_id=t["id"], display_name=f"Op {i}", email=f"op{i}@bench.example",
                capabilities={"noc:view": True, "noc:view_client": True}, client_ids=[cid],
            )  # fmt: skip
            token, _ = await tokens.issue_token(
                conn, tenant_id=t["id"], name=f"op{i}", now=now, user_id=op["id"]
            )
            scoped.append(token)
    await engine.dispose()
    return ids, admin, key, scoped


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


class Counting:
    """A socket under load: when each marked alert arrived. Reads frames as
    text (no JSON parsing), so that the harness stays cheap."""

    NEEDLE = '"message":"load '

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[tuple[str, float]] = []
        self.frames = 0
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            self.frames += 1
            assert isinstance(text, str)
            now = time.monotonic()
            at = text.find(self.NEEDLE)
            while at >= 0:  # a batch frame holds several
                end = text.index('"', at + len(self.NEEDLE))
                self.seen.append((text[at + len(self.NEEDLE) : end], now))
                at = text.find(self.NEEDLE, end)

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()


async def under_load(
    base: str, viewers: list[str], key: str, client_ids: list[str], n: int, rate: int,
    seconds: float, batch: bool, tick_ms: int,
) -> None:  # fmt: skip
    """``rate`` alerts/s over every client for ``seconds`` (one POST every
    ``tick_ms``, several in flight), ``n`` sockets open; the delay from each
    POST's answer (the alerts are committed) to each socket."""
    ws_url = base.replace("http://", "ws://") + "/ws/noc/dashboard" + ("?batch=1" if batch else "")
    socks = []
    for i in range(n):
        token = viewers[i % len(viewers)]
        ws = await connect(
            ws_url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None
        )
        json.loads(await ws.recv())
        socks.append(Counting(ws))
    answered: dict[str, float] = {}
    posted: dict[str, float] = {}
    ticks_per_s = 1000 / tick_ms
    per_tick = max(1, round(rate / ticks_per_s))
    run = uuid.uuid4().hex[:6]
    sent = errors = 0
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60, limits=limits
    ) as http:

        async def post(tick: int) -> None:
            nonlocal sent, errors
            marks = [f"{run}-{tick}-{i}" for i in range(per_tick)]
            items: list[dict[str, Any]] = [
                {"alert_type": "LOAD", "message": f"load {m}", "severity": "LOW",
                 "client_id": client_ids[i % len(client_ids)], "entity_type": "probe",
                 "entity_id": m}
                for i, m in enumerate(marks)
            ]  # fmt: skip
            began = time.monotonic()
            r = await http.post("/api/noc/alerts", json={"alerts": items})
            now = time.monotonic()
            if r.status_code == 200:
                sent += per_tick
                answered.update(dict.fromkeys(marks, now))
                posted.update(dict.fromkeys(marks, began))
            else:
                errors += 1

        began = time.monotonic()
        tasks = []
        for tick in range(int(seconds * ticks_per_s)):
            await asyncio.sleep(max(0.0, began + tick / ticks_per_s - time.monotonic()))
            tasks.append(asyncio.create_task(post(tick)))
        await asyncio.gather(*tasks)
        took = time.monotonic() - began
    await asyncio.sleep(3)  # the last pushes
    delays: list[float] = []
    from_post: list[float] = []
    last: dict[str, float] = {}
    missing = 0
    client_of = {f"{run}-{t}-{i}": i % len(client_ids) for t in range(int(seconds * ticks_per_s))
                 for i in range(per_tick)}  # fmt: skip
    for k, sock in enumerate(socks):
        got = dict(sock.seen)
        # A scoped operator (viewer k of len(viewers)) sees one client's alerts.
        mine = [m for m in answered
                if len(viewers) == 1 or client_of[m] == k % len(viewers)]  # fmt: skip
        missing += sum(1 for m in mine if m not in got)
        for m, t in got.items():
            if m in answered:
                delays.append(t - answered[m])
                from_post.append(t - posted[m])
                last[m] = max(last.get(m, t), t)
    frames = sum(s.frames for s in socks)
    for sock in socks:
        await sock.close()
    delays.sort()
    from_post.sort()
    lasts = sorted(last[m] - answered[m] for m in last)

    def pct(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

    print(
        f"{sent / took:.0f} alerts/s committed ({errors} refused) over {len(client_ids)} "
        f"clients, {n} sockets ({'batch' if batch else 'plain'} frames), "
        f"{frames / took:.0f} frames/s"
    )
    print(
        f"  answer -> socket: p50 {pct(delays, 0.5):.1f} ms, p99 {pct(delays, 0.99):.1f} ms; "
        f"last socket p50 {pct(lasts, 0.5):.1f} ms, p99 {pct(lasts, 0.99):.1f} ms; "
        f"missing {missing}"
    )
    print(
        f"  POST start -> socket: p50 {pct(from_post, 0.5):.1f} ms, "
        f"p99 {pct(from_post, 0.99):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--alerts", type=int, default=30)
    parser.add_argument(
        "--rate", type=int, default=0, help="alerts/s under load (0: one alert at a time)"
    )
    parser.add_argument("--clients", type=int, default=20, help="clients (with --rate)")
    parser.add_argument("--seconds", type=float, default=10.0, help="load time (with --rate)")
    parser.add_argument("--replicas", type=int, default=1, help="Serve replicas")
    parser.add_argument(
        "--scoped",
        action="store_true",
        help="with --rate: each socket an operator who sees one client (default: admins)",
    )
    parser.add_argument(
        "--tick-ms", type=int, default=100, help="with --rate: one POST every this many ms"
    )
    parser.add_argument(
        "--plain-frames", action="store_true", help="with --rate: one frame per event (no ?batch=1)"
    )
    parser.add_argument(
        "--placement",
        choices=["pooled", "dedicated"],
        default="pooled",
        help="clients in shared pool actors (default) or each in its own actor",
    )
    args = parser.parse_args()
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    client_ids, admin, key, scoped = asyncio.run(seed(url, args.clients if args.rate else 1))
    # Hundreds of sockets of one admin: above the per-user cap a real user has.
    settings = Settings(
        database_url=url,
        ray_namespace=f"bench-{uuid.uuid4().hex[:6]}",
        placement=args.placement,
        ws_max_sockets_per_user=args.sockets + 10,
        ws_max_sockets_per_replica=max(500, args.sockets + 10),
    )
    ray_env.apply()
    ray.init(address="local", namespace=settings.ray_namespace, include_dashboard=False,
             log_to_driver=False)  # fmt: skip
    from ray import serve

    from serve_app.deployment import build

    try:
        start_system(settings)
        port = free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build(settings, replicas=args.replicas), name="noc", route_prefix="/")
        base = f"http://127.0.0.1:{port}"
        if args.rate:
            viewers = scoped if args.scoped else [admin]
            asyncio.run(under_load(base, viewers, key, client_ids, args.sockets, args.rate,
                                   args.seconds, not args.plain_frames, args.tick_ms))  # fmt: skip
        else:
            asyncio.run(run(base, admin, key, client_ids[0], args.sockets, args.alerts))
    finally:
        serve.shutdown()
        stop_system(settings.ray_namespace)
        ray.shutdown()


if __name__ == "__main__":
    main()
