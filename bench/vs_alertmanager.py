"""The NOC against Prometheus Alertmanager 0.25, side by side in one run.

Starts Debian's ``prometheus-alertmanager`` (in memory, null receiver) and the
NOC (local Ray, every actor, one Serve replica; PostgreSQL by default), then
sends both the same Alertmanager API v2 payloads (``POST /api/v2/alerts``)
from the same asyncio senders: 8 senders (4 at batch 1000), 30 % repeats of
earlier alerts, the rest fresh. Prints, per batch size, alerts/s and the p50 /
p99 of a request for each, and the NOC/Alertmanager ratio of alerts/s.

Then the first alert of clients created while the NOC runs (its answer
time, with the aggregator started at creation as ``noc client create`` does,
and with the client row alone), and the escalation storm: 20,000 CRITICAL
alerts in batches of 500 not yet overdue, 20,000 already overdue (``startsAt``
30 minutes ago, past the 15-minute delay), 20,000 not overdue again (the
overdue rate is compared with the mean of the phases around it), how long each
overdue alert took from its answer to its committed escalation, and whether
each escalated exactly once.

    .venv/bin/python bench/vs_alertmanager.py                  # PostgreSQL, every row
    .venv/bin/python bench/vs_alertmanager.py --batches 1 --seconds 5 --no-storm
    RAY_SERVE_ENABLE_HA_PROXY=0 .venv/bin/python bench/vs_alertmanager.py   # Serve's default proxy
    .venv/bin/python bench/vs_alertmanager.py --placement dedicated   # an actor per client

The NOC answers 2xx only once every alert is committed to the database;
Alertmanager keeps alerts in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from stack import Alertmanager, Database, Noc, prepare, seed_tenant  # bench/stack.py

from noc_actors import ray_env
from noc_actors.store.db import make_engine

SENDERS = 8
SENDERS_AT_1000 = 4
CLIENTS = 20


@dataclass
class Result:
    alerts: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.alerts / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.rate:8.0f} alerts/s  p50 {self.pct(0.5):6.1f} ms  p99 {self.pct(0.99):7.1f} ms"
            + (f"  ({self.errors} errors)" if self.errors else "")
        )


class Stream:
    """One sender's alerts: fresh ones, and 30 % repeats of its earlier ones."""

    def __init__(self, run: str, sender: int, clients: list[str]) -> None:
        self.prefix = f"{run}-{sender}"
        self.clients = clients
        self.sent: list[int] = []
        self.n = itertools.count()

    def next(self) -> int:
        i = next(self.n)
        if self.sent and i % 10 < 3:
            return self.sent[(i * 7919) % len(self.sent)]
        self.sent.append(i)
        return i

    def alert(self, e: int, severity: str = "warning", starts: datetime | None = None) -> Any:
        labels = {
            "alertname": "BenchAlert",
            "client": self.clients[e % len(self.clients)],
            "instance": f"{self.prefix}-{e}",
            "severity": severity,
        }
        out: dict[str, Any] = {"labels": labels, "annotations": {"summary": f"sensor {e}"}}
        if starts is not None:
            out["startsAt"] = starts.isoformat().replace("+00:00", "Z")
        return out


async def load(
    base: str, headers: dict[str, str], batch: int, seconds: float, clients: list[str]
) -> Result:
    """Senders post batches for ``seconds``; a warm-up request each first."""
    senders = SENDERS_AT_1000 if batch >= 1000 else SENDERS
    run = uuid.uuid4().hex[:6]
    result = Result()
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=120, limits=limits
    ) as http:

        async def sender(k: int, until: float | None) -> None:
            stream = Stream(run, k, clients)
            while until is None or time.perf_counter() < until:
                body = [stream.alert(stream.next()) for _ in range(batch)]
                began = time.perf_counter()
                r = await http.post("/api/v2/alerts", json=body)
                took = time.perf_counter() - began
                if until is None:
                    return
                if r.status_code == 200:
                    result.alerts += batch
                    result.latencies.append(took)
                else:
                    result.errors += 1

        await asyncio.gather(*(sender(k, None) for k in range(senders)))  # warm-up
        began = time.perf_counter()
        await asyncio.gather(*(sender(k, began + seconds) for k in range(senders)))
        result.seconds = time.perf_counter() - began
    return result


@dataclass
class Storm:
    calm: Result
    overdue: Result
    calm_after: Result
    answered: dict[str, float]
    """instance label -> when its batch was answered (epoch seconds)."""


async def storm(base: str, headers: dict[str, str], total: int, clients: list[str]) -> Storm:
    """``total`` CRITICAL alerts not yet overdue, then ``total`` already
    overdue, then ``total`` not overdue again: each phase runs on a bigger
    table and book than the one before, so the overdue rate is compared with
    the mean of the two phases around it."""
    batch = 500
    answered: dict[str, float] = {}

    async def send(overdue: bool) -> Result:
        run = uuid.uuid4().hex[:6]
        starts = datetime.now(UTC) - timedelta(minutes=30 if overdue else 0)
        streams = [Stream(run, k, clients) for k in range(SENDERS)]
        batches = [
            [
                streams[b % SENDERS].alert(e, "critical", starts)
                for e in range(b * batch, b * batch + batch)
            ]
            for b in range(total // batch)
        ]
        queue = list(batches)
        result = Result()
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as http:

            async def sender() -> None:
                while queue:
                    body = queue.pop()
                    began = time.perf_counter()
                    r = await http.post("/api/v2/alerts", json=body)
                    result.latencies.append(time.perf_counter() - began)
                    if r.status_code != 200:
                        result.errors += 1
                        continue
                    result.alerts += len(body)
                    if overdue:
                        now = time.time()
                        answered.update({a["labels"]["instance"]: now for a in body})

            began = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(SENDERS)))
            result.seconds = time.perf_counter() - began
        return result

    calm = await send(overdue=False)
    overdue = await send(overdue=True)
    calm_after = await send(overdue=False)
    return Storm(calm, overdue, calm_after, answered)


async def escalations(url: str, answered: dict[str, float], wait_s: float) -> list[str]:
    """Wait for the overdue alerts to escalate; report delay and exactly-once."""
    engine = make_engine(url)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        text(
                            "SELECT a.entity_id, a.escalation_level, a.escalated_at, "
                            "(SELECT count(*) FROM audit_log l WHERE l.entity_id = a.id "
                            "AND l.action = 'ESCALATE') FROM alerts a "
                            "WHERE a.severity = 'CRITICAL' AND a.escalation_level > 0"
                        )
                    )
                ).all()
            seen = {r[0]: r for r in rows if r[0] in answered}
            if len(seen) >= len(answered) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    delays = sorted(r[2].timestamp() - answered[i] for i, r in seen.items())
    twice = sum(1 for r in seen.values() if r[1] != 1 or r[3] != 1)
    out = [
        f"  escalated {len(seen)} of {len(answered)}; more than once: {twice}",
    ]
    if delays:
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
        out.append(
            f"  escalation committed, after its batch's answer (negative: before it): "
            f"p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s, max {delays[-1]:.2f} s"
        )
    return out


async def first_alerts(
    url: str, base: str, headers: dict[str, str], tenant: str, namespace: str, opened: bool
) -> Result:
    """Five clients created while the NOC runs, each sent one alert at once:
    the time to that alert's answer. ``opened``: as ``noc client create``
    does against a running NOC (the aggregator is started with the client);
    otherwise the client row alone (its first request starts the aggregator)."""
    from noc_actors.actors.client import NocClient
    from noc_actors.store.repos import clients

    engine = make_engine(url)
    result = Result()
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            for _ in range(5):
                async with engine.begin() as conn:
                    row = await clients.create_client(
                        conn, tenant_id=tenant, name=f"new-{uuid.uuid4().hex[:8]}"
                    )
                if opened:
                    await NocClient(namespace).open_client(row["id"])
                alert = {"labels": {"alertname": "First", "client": row["id"], "instance": "x"}}
                began = time.perf_counter()
                r = await http.post("/api/v2/alerts", json=[alert])
                result.latencies.append(time.perf_counter() - began)
                result.alerts += 1 if r.status_code == 200 else 0
                result.errors += 0 if r.status_code == 200 else 1
    finally:
        await engine.dispose()
    result.seconds = sum(result.latencies)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--batches", default="1,100,1000", help="batch sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="per row and target")
    parser.add_argument("--storm", type=int, default=20_000, help="alerts per storm phase")
    parser.add_argument("--no-storm", action="store_true")
    parser.add_argument(
        "--placement",
        choices=["pooled", "dedicated"],
        default="pooled",
        help="clients in shared pool actors (default) or each in its own actor",
    )
    parser.add_argument(
        "--clients", type=int, default=CLIENTS, help="NOC clients the alerts spread over"
    )
    args = parser.parse_args()

    db = Database.create(args.database)
    am = noc = None
    try:
        prepare(db.url)
        tenant, clients, key = asyncio.run(seed_tenant(db.url, args.clients))
        am = Alertmanager.start()
        noc = Noc.start(db.url, f"bench-{uuid.uuid4().hex[:6]}", placement=args.placement)
        proxy = "HA proxy" if ray_env.ha_proxy() else "default proxy"
        print(
            f"NOC vs Alertmanager 0.25, POST /api/v2/alerts: {SENDERS} senders "
            f"({SENDERS_AT_1000} at batch 1000), 30 % repeats, {args.seconds:g} s per row; "
            f"NOC on {args.database}, Serve {proxy}, {args.clients} clients ({args.placement})"
        )
        print(f"{'batch':>6}  {'Alertmanager':<48}  {'NOC':<48}  ratio")
        auth = {"Authorization": f"Bearer {key}"}
        for batch in (int(b) for b in args.batches.split(",")):
            a = asyncio.run(load(am.base, {}, batch, args.seconds, clients))
            n = asyncio.run(load(noc.base, auth, batch, args.seconds, clients))
            ratio = n.rate / a.rate if a.rate else 0.0
            print(f"{batch:>6}  {a.line():<48}  {n.line():<48}  {ratio:.2f}", flush=True)
        for opened in (True, False):
            f = asyncio.run(first_alerts(db.url, noc.base, auth, tenant, noc.namespace, opened))
            how = "created as noc client create does" if opened else "client row only     "
            print(
                f"first alert of a new client ({how}): p50 {f.pct(0.5):6.1f} ms, "
                f"max {max(f.latencies) * 1000:7.1f} ms of 5"
                + (f"  ({f.errors} errors)" if f.errors else ""),
                flush=True,
            )
        if not args.no_storm:
            s = asyncio.run(storm(noc.base, auth, args.storm, clients))
            print(f"escalation storm: {args.storm} CRITICAL alerts a phase, batches of 500")
            print(f"  not overdue  {s.calm.line()}")
            print(f"  overdue      {s.overdue.line()}")
            print(f"  not overdue  {s.calm_after.line()}")
            calm = (s.calm.rate + s.calm_after.rate) / 2
            ratio = s.overdue.rate / calm if calm else 0.0
            print(
                f"  overdue ingest {ratio:.2f}x the not-overdue rate around it "
                f"({s.overdue.rate / s.calm.rate:.2f}x the first phase alone)"
            )
            for line in asyncio.run(escalations(db.url, s.answered, wait_s=120)):
                print(line)
    finally:
        if noc is not None:
            noc.close()
        if am is not None:
            am.close()
        db.close()


if __name__ == "__main__":
    main()
