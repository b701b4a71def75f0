"""A live move under steady ingest (issue 12): every client sends a batch at
a steady rate while one of them moves from its pool to a host of its own and
back. Prints, for the mover, how long it was paused (the supervisor's figure
and the slowest answer it got) and, for the other clients, the p99 answer
time before the moves (the baseline, same run) and during them; then the
count check: every answered batch stored once, nothing else stored.

    .venv/bin/python bench/move.py --clients 20
    .venv/bin/python bench/move.py --clients 20 \\
        --database postgresql+asyncpg://postgres@127.0.0.1:5432/noc_bench
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import ray
from actor_footprint import seed  # bench/ is the script's path: the same seeding
from sqlalchemy import text

from noc_actors import ray_env
from noc_actors.actors.client import NocClient, start_system, stop_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, upgrade

KEYS = 20
"""Each client's batches cycle over this many gateways, so most items fold
into an open alert: a client run by two hosts at once would show (the
database refuses two open alerts for a key; two memories of one alert lose
each other's fold counts)."""


@dataclass
class Sender:
    client_id: str
    answered: int = 0
    answers: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] if ordered else float("nan")


async def stored(url: str) -> dict[str, tuple[int, int, int]]:
    """Per client: alerts, keys, and items counted (1 + folds of each alert)."""
    engine = make_engine(url)
    query = text(
        "SELECT client_id, COUNT(*), COUNT(DISTINCT entity_id), SUM(1 + suppressed_count) "
        "FROM alerts GROUP BY client_id"
    )
    async with engine.connect() as conn:
        rows = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in await conn.execute(query)}
    await engine.dispose()
    return rows


async def send(
    client: NocClient, tenant: str, s: Sender, period: float, stop: asyncio.Event
) -> None:
    n = 0
    while not stop.is_set():
        keys = [f"{s.client_id}-{(5 * n + i) % KEYS}" for i in range(5)]
        drafts = [
            AlertDraft(
                tenant,
                s.client_id,
                "SYNC_DEGRADED",
                "lag",
                severity=Severity.MEDIUM,
                entity_type="gateway",
                entity_id=k,
            )
            for k in keys
        ]
        began = time.perf_counter()
        report = await client.ingest_alerts(tenant, s.client_id, drafts)
        s.answers.append((began, time.perf_counter() - began))
        s.answered += report["created"] + report["folded"]
        n += 1
        await asyncio.sleep(max(0.0, period - (time.perf_counter() - began)))


async def run(
    client: NocClient, url: str, tenant: str, ids: list[str], period: float, verbose: bool
) -> None:
    senders = [Sender(c) for c in ids]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(send(client, tenant, s, period, stop)) for s in senders]
    await asyncio.sleep(5)  # warm, and the baseline window
    moves_began = time.perf_counter()
    there = await client.place(tenant, ids[0], "dedicated")
    await asyncio.sleep(2)
    back = await client.place(tenant, ids[0], "pooled")
    moves_ended = time.perf_counter()
    await asyncio.sleep(2)
    stop.set()
    await asyncio.gather(*tasks)

    mover, others = senders[0], senders[1:]
    before = [d for s in others for t, d in s.answers if t < moves_began]
    during = [d for s in others for t, d in s.answers if moves_began <= t <= moves_ended]
    mover_during = [d for t, d in mover.answers if moves_began <= t <= moves_ended]
    rows = [
        ("clients", f"{len(ids)} (batches of 5 every {period * 1000:.0f} ms each)"),
        ("move to a dedicated host", f"paused {there['paused_s']:.3f} s"),
        ("move back into a pool", f"paused {back['paused_s']:.3f} s"),
        ("hosts", f"{there['from']} -> {there['to']} -> {back['to']}"),
        ("mover's slowest answer", f"{max(mover_during):.3f} s (of {len(mover_during)})"),
        ("others' p99, before (baseline)", f"{p99(before) * 1000:.1f} ms ({len(before)})"),
        (
            "others' p99, during the moves",
            f"{p99(during) * 1000:.1f} ms, ratio {p99(during) / p99(before):.2f} ({len(during)})",
        ),
    ]
    for name, value in rows:
        print(f"{name:<32}{value}")
    if verbose:
        for t, d in mover.answers:
            if moves_began - 0.5 <= t <= moves_ended + 0.5:
                print(f"  mover call at {t - moves_began:+.3f} s took {d:.3f} s")
    found = await stored(url)
    answered = sum(s.answered for s in senders)
    counted = sum(found.get(s.client_id, (0, 0, 0))[2] for s in senders)
    doubled = sum(max(0, n - keys) for n, keys, _ in found.values())
    print(f"{'items answered / counted':<32}{answered} / {counted}")
    print(
        f"{'lost / counted twice':<32}{max(0, answered - counted)} / {max(0, counted - answered)}"
    )
    print(f"{'keys with two alerts':<32}{doubled}")
    for s_ in senders:
        got = found.get(s_.client_id, (0, 0, 0))[2]
        if got != s_.answered:
            mark = " (the mover)" if s_ is mover else ""
            print(f"  {s_.client_id}{mark}: answered {s_.answered}, counted {got}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--period-ms", type=float, default=100.0)
    ap.add_argument("--database", default=None, help="default: a temporary SQLite file")
    ap.add_argument(
        "--watch-s",
        type=float,
        default=5.0,
        help="the supervisor's watch interval (small: its pings race the moves harder)",
    )
    ap.add_argument(
        "--verbose", action="store_true", help="print the mover's calls around the moves"
    )
    args = ap.parse_args()
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    tenant, ids = asyncio.run(seed(url, args.clients))
    ray_env.apply()
    ray.init(namespace="noc-bench", include_dashboard=False, log_to_driver=False)
    settings = Settings(
        database_url=url,
        ray_namespace=f"noc-move-{uuid.uuid4().hex[:6]}",
        pool_size=10,
        supervisor_watch_interval_s=args.watch_s,
    )
    client = start_system(settings)
    print(f"{'backend':<32}{url.split(':', 1)[0]}")
    try:
        asyncio.run(run(client, url, tenant, ids, args.period_ms / 1000, args.verbose))
    finally:
        stop_system(settings.ray_namespace)
        ray.shutdown()


if __name__ == "__main__":
    main()
