"""Many clients on one machine (issue 12): what a pooled client costs next to
a dedicated one, and whether spreading the same ingest over many clients
slows it down.

Three systems, one after the other, each in its own Ray namespace and
database, all in this run:

1. **Baseline — dedicated clients** (one actor process per client, the old
   design): ``--dedicated`` clients (default 40; a 24 GB machine holds ~150),
   their start time and resident memory per client, and those figures
   scaled to ``--clients`` (a process per client is linear in clients).
2. **Pooled clients**: ``--clients`` (default 1,000) in pools of
   ``--pool-size``: the whole system's start time, every host process's
   resident memory (total / clients, and per pool), and the hosts' CPU while
   idle (their loops: clock rules, snapshots, load meters).
3. **Ingest spread**: in the pooled system, the same load — ``--requests``
   requests of ``--batch`` alerts, ``--concurrency`` at a time, each
   request's alerts spread round-robin over a set of clients and sent as the
   HTTP gateway sends them (``NocClient.ingest_many``: one batch per client,
   one actor message per host) — over the first 20
   clients (all in one pool, like a 20-client system) and over all of them,
   the two alternating ``--rounds`` times (this machine's speed drifts by
   tens of percent over minutes; each round's ratio is against the 20-client
   phase just before it, and the median ratio is printed).

    .venv/bin/python bench/clients.py
    .venv/bin/python bench/clients.py --clients 1000 --pool-size 250 \\
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/noc_bench

A PostgreSQL ``--database`` is used as a server: each system gets a fresh
database created next to it (and dropped at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import ray
from actor_footprint import rss_mb  # bench/ is the script's path
from sqlalchemy import text
from sqlalchemy.engine import make_url

from noc_actors import ray_env
from noc_actors.actors.client import NocClient, start_system, stop_system
from noc_actors.actors.process import tune_gc
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, normalise_url, upgrade
from noc_actors.store.repos import clients, tenants

CLK_TCK = os.sysconf("SC_CLK_TCK")
SPY = shutil.which("py-spy", path=os.path.dirname(sys.executable)) or "py-spy"
"""py-spy for ``--profile``: the virtualenv's (``pip install py-spy``), else PATH's."""


def machine_cpu_s() -> float:
    """CPU seconds every core of this machine spent busy so far (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextmanager
def database(base: str | None) -> Iterator[str]:
    """A fresh database: a SQLite file, or one created on the server ``base``."""
    if base is None or base.startswith("sqlite"):
        yield normalise_url(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
        return
    import asyncpg

    server = make_url(base).set(drivername="postgresql")
    # The database in ``base`` need not exist: the fresh one is created from
    # the server's maintenance database.
    dsn = server.set(database="postgres").render_as_string(hide_password=False)
    name = f"noc_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(server.set(database=name))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def seed(url: str, n: int, tenants_n: int = 10) -> list[tuple[str, str]]:
    """``n`` clients over ``tenants_n`` tenants, two sites each; (tenant, client)."""
    engine = make_engine(url)
    out: list[tuple[str, str]] = []
    async with engine.begin() as conn:
        owners = [
            (await tenants.create_tenant(conn, name=f"bench-{t}-{uuid.uuid4().hex[:4]}"))["id"]
            for t in range(min(tenants_n, n))
        ]
        for i in range(n):
            tenant = owners[i % len(owners)]
            cid = f"c{i:04d}"
            await clients.create_client(conn, tenant_id=tenant, name=f"Client {i}", client_id=cid)
            for s in ("n", "s"):
                await clients.create_site(
                    conn, tenant_id=tenant, client_id=cid, name=f"{cid}-{s}", site_id=f"{cid}-{s}"
                )
            out.append((tenant, cid))
    await engine.dispose()
    return out


@dataclass
class Started:
    client: NocClient
    settings: Settings
    start_s: float
    pids: dict[str, int]  # host name -> pid
    hosted: dict[str, int]  # host name -> clients


def start(url: str, placement: str, pool_size: int, n: int, redis: str | None) -> Started:
    settings = Settings(
        database_url=url,
        redis_url=redis,
        ray_namespace=f"noc-clients-{uuid.uuid4().hex[:6]}",
        placement=placement,  # type: ignore[arg-type]
        pool_size=pool_size,
    )
    began = time.perf_counter()
    client = start_system(settings, timeout_s=600)
    start_s = time.perf_counter() - began
    hosts = asyncio.run(client.load())
    pids: dict[str, int] = {}
    hosted: dict[str, int] = {}
    for row in hosts:
        hosted[row["host"]] = hosted.get(row["host"], 0) + 1
    for name in hosted:
        status = ray.get(ray.get_actor(name, namespace=settings.ray_namespace).status.remote())
        pids[name] = status["pid"]
    if sum(hosted.values()) != n:
        raise SystemExit(f"{sum(hosted.values())} of {n} clients running after start")
    return Started(client, settings, start_s, pids, hosted)


def drafts_for(targets: list[tuple[str, str]], request: int, batch: int) -> dict[tuple, list]:
    """One request's alerts, round-robin over ``targets``, grouped by client.
    Entities repeat every 10 requests, so about 90 % of items fold."""
    out: dict[tuple, list] = {}
    for i in range(batch):
        k = request * batch + i
        tenant, cid = targets[k % len(targets)]
        out.setdefault((tenant, cid), []).append(
            AlertDraft(
                tenant,
                cid,
                "DEVICE_OFFLINE",
                "offline",
                severity=Severity.MEDIUM,
                site_id=f"{cid}-n",
                entity_type="device",
                entity_id=f"d{(k // len(targets)) % (batch * 10 // len(targets) + 1)}",
            )
        )
    return out


async def ingest(
    client: NocClient, targets: list[tuple[str, str]], requests: int, batch: int, conc: int
) -> tuple[float, list[float]]:
    """Seconds for the whole load, and every request's answer time."""
    todo = iter(range(requests))
    times: list[float] = []

    async def worker() -> None:
        for r in todo:
            groups = drafts_for(targets, r, batch)
            began = time.perf_counter()
            answers = await client.ingest_many(
                "alerts", [(t, c, d, None) for (t, c), d in groups.items()]
            )
            failed = [a for a in answers if isinstance(a, Exception)]
            if failed:
                raise failed[0]
            times.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return time.perf_counter() - began, times


@contextmanager
def profiled(out: str | None, label: str, pids: dict[str, int]) -> Iterator[None]:
    """With ``--profile DIR``: py-spy samples every host process and this
    driver (the gateway) while the block runs; collapsed stacks go to
    ``DIR/<label>-<process>.txt`` and each process's top costs are printed."""
    if out is None:
        yield
        return
    os.makedirs(out, exist_ok=True)
    procs = {"driver": os.getpid(), **pids}
    files = {name: f"{out}/{label}-{name.replace(':', '_')}.txt" for name in procs}
    spies = {
        name: subprocess.Popen(
            [
                SPY,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                "250",
                "--nonblocking",
                "-o",
                files[name],
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in procs.items()
    }
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        for spy in spies.values():
            spy.send_signal(signal.SIGINT)
        for spy in spies.values():
            spy.wait(timeout=30)
        for name, path in files.items():
            top_costs(path, f"{label}: {name}")


def top_costs(path: str, title: str, n: int = 12) -> None:
    """The functions a collapsed-stack file spends most samples in (self and
    total), ours and the libraries', skipping idle waits."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            frames = [
                fr.split(" (")[0] + " " + fr.rsplit("/", 1)[-1].rstrip(")")
                for fr in stack.split(";")
            ]
            if any(w in frames[-1] for w in ("select ", "epoll_wait", "poll ", "_run_once")):
                continue
            c = int(count)
            samples += c
            own[frames[-1]] = own.get(frames[-1], 0) + c
            for fr in set(frames):
                total[fr] = total.get(fr, 0) + c
    print(f"   {title}: {samples} busy samples (250/s)")
    for fr, c in sorted(own.items(), key=lambda kv: -kv[1])[:n]:
        print(f"      self {100 * c / max(samples, 1):5.1f} %  {fr}")
    ours = [(fr, c) for fr, c in total.items() if "noc_actors" in fr or "clients.py" in fr]
    for fr, c in sorted(ours, key=lambda kv: -kv[1])[:n]:
        print(f"     total {100 * c / max(samples, 1):5.1f} %  {fr}")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--pool-size", type=int, default=None, help="default: the setting's")
    ap.add_argument("--dedicated", type=int, default=40, help="clients of the baseline")
    ap.add_argument("--database", default=None, help="default: temporary SQLite files")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times the 20-client and the all-client phases alternate (ratio: the median)",
    )
    ap.add_argument("--idle-s", type=float, default=10.0, help="idle CPU measured this long")
    ap.add_argument(
        "--redis",
        metavar="URL",
        default=None,
        help="a Redis read cache the hosts bump after each commit (default: none)",
    )
    ap.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="sample the hosts and the gateway with py-spy during each ingest phase",
    )
    args = ap.parse_args()
    pool_size = args.pool_size or Settings().pool_size  # type: ignore[call-arg]
    n = args.clients

    ray_env.apply()
    tune_gc()  # this driver is the gateway here, as a Serve replica (which does the same) is
    ray.init(namespace="noc-bench", include_dashboard=False, log_to_driver=False)
    row = "{:<44}{}"

    # 1. The baseline: a process per client.
    with database(args.database) as url:
        upgrade(url)
        asyncio.run(seed(url, args.dedicated))
        print(f"dedicated baseline: starting {args.dedicated} clients ...", flush=True)
        d = start(url, "dedicated", pool_size, args.dedicated, args.redis)
        d_rss = sum(rss_mb(pid) for pid in d.pids.values())
        stop_system(d.settings.ray_namespace)
    d_per_client_mb = d_rss / args.dedicated
    d_start_per_client = d.start_s / args.dedicated

    # 2. The pooled system.
    with database(args.database) as url:
        upgrade(url)
        print(f"pooled: seeding {n} clients ...", flush=True)
        targets = asyncio.run(seed(url, n))
        print(f"pooled: starting {n} clients in pools of {pool_size} ...", flush=True)
        s = start(url, "pooled", pool_size, n, args.redis)
        rss = {name: rss_mb(pid) for name, pid in s.pids.items()}
        per_pool = [rss[h] / s.hosted[h] for h in rss]
        cpu0 = {h: cpu_s(pid) for h, pid in s.pids.items()}
        time.sleep(args.idle_s)
        idle = sum(cpu_s(pid) - cpu0[h] for h, pid in s.pids.items()) / args.idle_s

        # 3. The same load over 20 clients and over all of them (warmed once).
        few = targets[:20]
        asyncio.run(ingest(s.client, targets, 20, args.batch, args.concurrency))
        # The two phases alternate, ``--rounds`` times: this machine's speed
        # drifts by tens of percent over minutes, and each round's ratio is
        # against the 20-client phase run just before it.
        phases = (("20 clients", few), (f"{n} clients", targets))
        runs: dict[str, list[tuple[float, list[float]]]] = {label: [] for label, _ in phases}
        cpu: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in phases}
        for r in range(args.rounds):
            for label, chosen in phases:
                name = label.replace(" ", "-") + (f"-round{r + 1}" if args.rounds > 1 else "")
                with profiled(args.profile, name, s.pids):
                    hosts0 = sum(cpu_s(pid) for pid in s.pids.values())
                    machine0 = machine_cpu_s()
                    runs[label].append(
                        asyncio.run(
                            ingest(s.client, chosen, args.requests, args.batch, args.concurrency)
                        )
                    )
                    cpu[label].append(
                        (
                            sum(cpu_s(pid) for pid in s.pids.values()) - hosts0,
                            machine_cpu_s() - machine0,
                        )
                    )
            rates = [args.requests * args.batch / runs[label][-1][0] for label, _ in phases]
            per_k = [cpu[label][-1][0] / (args.requests * args.batch) * 1e6 for label, _ in phases]
            print(
                f"round {r + 1}: {rates[0]:.0f} / {rates[1]:.0f} alerts/s, "
                f"ratio {rates[1] / rates[0]:.2f}; hosts' CPU {per_k[0]:.0f} / {per_k[1]:.0f} "
                "ms per 1,000 alerts",
                flush=True,
            )

        async def count() -> int:
            engine = make_engine(url)
            async with engine.connect() as conn:
                got = await conn.execute(text("SELECT SUM(1 + suppressed_count) FROM alerts"))
                total = int(got.scalar_one())
            await engine.dispose()
            return total

        stored = asyncio.run(count())
        stop_system(s.settings.ray_namespace)
    ray.shutdown()

    total_rss = sum(rss.values())
    per_client = total_rss / n
    print()
    print(row.format("backend", (args.database or "sqlite").split(":", 1)[0]))
    print(row.format("machine", f"{os.cpu_count()} cores"))
    print("-- baseline: dedicated clients (a process each)")
    print(row.format(f"start, {args.dedicated} clients", f"{d.start_s:7.1f} s"))
    print(row.format("memory per client", f"{d_per_client_mb:7.1f} MiB"))
    print(
        row.format(
            f"scaled to {n} clients",
            f"{d_start_per_client * n:7.1f} s to start, {d_per_client_mb * n / 1024:.1f} GiB",
        )
    )
    print(f"-- pooled: {n} clients in {len(s.hosted)} pools of up to {pool_size}")
    print(
        row.format(
            "start (all actors, every client loaded)",
            f"{s.start_s:7.1f} s   ratio {s.start_s / (d_start_per_client * n):.3f} of dedicated",
        )
    )
    print(
        row.format(
            "memory per client (host RSS / clients)",
            f"{per_client:7.2f} MiB ratio {per_client / d_per_client_mb:.3f} of dedicated",
        )
    )
    print(
        row.format(
            "memory of the pools",
            f"{total_rss / 1024:7.2f} GiB total, {statistics.mean(rss.values()):.0f} MiB "
            f"per pool ({min(per_pool):.2f}-{max(per_pool):.2f} MiB per client)",
        )
    )
    print(row.format("hosts' CPU while idle", f"{idle * 100:7.1f} % of one core"))
    print(
        f"-- ingest: {args.requests} requests of {args.batch} alerts, "
        f"{args.concurrency} at a time, one ingest_many (a batch per client) per request"
    )
    loads = args.requests * args.batch
    rates = {label: [loads / secs for secs, _ in rounds] for label, rounds in runs.items()}
    base = rates["20 clients"]
    for label, rounds in runs.items():
        times = [t for _, ts in rounds for t in ts]
        ratios = [rate / b for rate, b in zip(rates[label], base, strict=True)]
        each = ", ".join(f"{x:.2f}" for x in ratios)
        print(
            row.format(
                f"spread over {label}",
                f"{statistics.median(rates[label]):7.0f} alerts/s  p50 {p(times, 0.5) * 1000:.0f} "
                f"ms  p99 {p(times, 0.99) * 1000:.0f} ms  ratio {statistics.median(ratios):.2f}"
                + (f" (median; rounds {each})" if len(ratios) > 1 else ""),
            )
        )
        thousands = loads * len(rounds) / 1000
        hosts_cpu = sum(h for h, _ in cpu[label])
        machine_cpu = sum(m for _, m in cpu[label])
        print(
            row.format(
                "  CPU per 1,000 alerts",
                f"{hosts_cpu / thousands * 1000:7.0f} ms in the hosts, "
                f"{machine_cpu / thousands * 1000:.0f} ms on the machine",
            )
        )
    sent = (args.requests * 2 * args.rounds + 20) * args.batch
    print(row.format("items sent / stored", f"{sent} / {stored}"))


if __name__ == "__main__":
    main()
