"""Per-client cost and ingest throughput of the actor system.

Prints, for N clients placed in pools (the default) or each in its own actor
(``--placement dedicated``): the time to start the whole system, the host
processes and the resident memory they cost per client, and the same figures
for one bare Ray actor per client
(``num_cpus=0``, no code) started in the same run — the baseline the ratios
are against. Then ingest throughput through one aggregator (batches of 500,
SQLite or PostgreSQL) against the same payload sent to a no-op actor.

    .venv/bin/python bench/actor_footprint.py --clients 20
    .venv/bin/python bench/actor_footprint.py --clients 20 --placement dedicated
    .venv/bin/python bench/actor_footprint.py --clients 20 \\
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/noc_bench
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid

import ray

from noc_actors import ray_env
from noc_actors.actors.client import start_system, stop_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, upgrade
from noc_actors.store.repos import clients, tenants


@ray.remote(num_cpus=0)
class Bare:
    def pid(self) -> int:
        import os

        return os.getpid()

    def take(self, payload: list) -> int:
        return len(payload)


def rss_mb(pid: int) -> float:
    """Resident memory of a process on this machine (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def seed(url: str, n: int) -> tuple[str, list[str]]:
    engine = make_engine(url)
    async with engine.begin() as conn:
        t = await tenants.create_tenant(conn, name=f"bench-{uuid.uuid4().hex[:6]}")
        ids = [
            (
                await clients.create_client(
                    conn, tenant_id=t["id"], name=f"C{i}", client_id=f"b{i}-{uuid.uuid4().hex[:4]}"
                )
            )["id"]
            for i in range(n)
        ]
    await engine.dispose()
    return t["id"], ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--database", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--alerts", type=int, default=20_000)
    ap.add_argument("--placement", choices=("pooled", "dedicated"), default="pooled")
    args = ap.parse_args()
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    tenant, ids = asyncio.run(seed(url, args.clients))
    ray_env.apply()
    ray.init(namespace="noc-bench", include_dashboard=False, log_to_driver=False)

    # Baseline: bare actors, started the same way.
    t0 = time.perf_counter()
    bares = [Bare.remote() for _ in range(args.clients)]
    bare_pids = ray.get([b.pid.remote() for b in bares])
    bare_start = time.perf_counter() - t0
    bare_rss = statistics.mean(rss_mb(p) for p in bare_pids)

    settings = Settings(
        database_url=url,
        ray_namespace=f"noc-bench-{uuid.uuid4().hex[:6]}",
        placement=args.placement,
    )
    t0 = time.perf_counter()
    client = start_system(settings)
    sys_start = time.perf_counter() - t0

    async def measure() -> tuple[list[dict], float, float]:
        statuses = [await client.aggregator_status(tenant, c) for c in ids]
        drafts = [
            AlertDraft(
                tenant,
                ids[0],
                "DEVICE_OFFLINE",
                "x",
                severity=Severity.HIGH,
                entity_type="device",
                entity_id=f"d{i % (args.alerts * 7 // 10)}",
            )
            for i in range(args.alerts)
        ]
        t = time.perf_counter()
        for i in range(0, len(drafts), 500):
            await client.ingest_alerts(tenant, ids[0], drafts[i : i + 500])
        ingest = time.perf_counter() - t
        t = time.perf_counter()
        for i in range(0, len(drafts), 500):
            await bares[0].take.remote(drafts[i : i + 500])
        bare = time.perf_counter() - t
        return statuses, ingest, bare

    statuses, ingest_s, bare_s = asyncio.run(measure())
    pids = {s["pid"] for s in statuses}
    agg_rss = sum(rss_mb(p) for p in pids) / len(statuses)
    agg_load = statistics.mean(s["load_seconds"] or 0 for s in statuses)
    backend = url.split(":", 1)[0]
    print(f"backend                         {backend}")
    print(f"clients                         {args.clients}")
    print(f"system start (all actors)       {sys_start:6.2f} s")
    print(
        f"bare actors start (baseline)    {bare_start:6.2f} s   ratio {sys_start / bare_start:.2f}"
    )
    print(f"placement                       {args.placement}: {len(pids)} host processes")
    print(f"host RSS per client             {agg_rss:6.1f} MiB")
    print(f"bare actor RSS (baseline)       {bare_rss:6.1f} MiB   ratio {agg_rss / bare_rss:.2f}")
    print(f"client state load (mean)        {agg_load * 1000:6.1f} ms")
    print(f"ingest {args.alerts} alerts, 30% repeats, batches of 500, one client:")
    print(
        f"  through the aggregator        {ingest_s:6.2f} s  = "
        f"{args.alerts / ingest_s:8.0f} alerts/s"
    )
    print(
        f"  same payload to a no-op actor {bare_s:6.2f} s  = {args.alerts / bare_s:8.0f} alerts/s"
        f"   ratio {ingest_s / bare_s:.1f}"
    )
    stop_system(settings.ray_namespace)
    ray.shutdown()


if __name__ == "__main__":
    main()
