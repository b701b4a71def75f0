"""Redis stopped under ingest, reads and sockets: the read cache falls back
to the database, rate limits to per-replica counting, health says degraded
(200 — a load balancer keeps the replicas), nothing answered 2xx is lost,
and everything is healthy again once Redis is back."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from tests.chaos.conftest import redis_ready, redis_start, redis_stop
from tests.chaos.load import Load, record
from tests.e2e.conftest import Api
from tests.e2e.ws_client import Dash

BACKENDS = ("postgres",)
REDIS = True
DOWN_S = 8.0


def _reads(api: Api, stop: threading.Event, statuses: list[int]) -> None:
    with api.client("operator") as c:
        while not stop.is_set():
            statuses.append(c.get("/api/noc/overview").status_code)
            time.sleep(0.1)


def test_redis_stopped_under_reads_ingest_and_sockets_degrades_and_recovers(
    api: Api, redis_control: None
) -> None:
    async def run() -> tuple[Load, list[int], list[dict], list[dict], int, float | None]:
        dash = await Dash.open(api, "operator", heartbeat_s=1.0)
        load = Load(api, "redisdown-", batch=10).start()
        reads: list[int] = []
        stop = threading.Event()
        reader = threading.Thread(target=_reads, args=(api, stop, reads), daemon=True)
        reader.start()
        health_down: list[dict] = []
        health_after: list[dict] = []
        try:
            await asyncio.sleep(2)
            redis_stop()
            assert not redis_ready()
            stopped = time.monotonic()
            while time.monotonic() - stopped < DOWN_S:
                await asyncio.sleep(1)
                r = await asyncio.to_thread(httpx.get, f"{api.base_url}/api/noc/health")
                health_down.append({"code": r.status_code, **r.json()})
            pushed_during = len(dash.of("alert_new"))
            redis_start()
            back = time.monotonic()
            healthy_after: float | None = None
            while time.monotonic() - back < 20:
                r = await asyncio.to_thread(httpx.get, f"{api.base_url}/api/noc/health")
                health_after.append({"code": r.status_code, **r.json()})
                if r.json()["status"] == "healthy":
                    healthy_after = time.monotonic() - back
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)
        finally:
            stop.set()
            load.stop()
            reader.join(timeout=30)
        assert dash.close_code is None, (dash.close_code, dash.close_reason)
        return load, reads, health_down, health_after, pushed_during, healthy_after

    load, reads, down, after, pushed, healthy_after = asyncio.run(_closing(run()))
    lost, doubled = load.report(f"Redis down {DOWN_S:.0f}s under ingest and reads", healthy_after)
    record(
        f"reads during the run: {len(reads)}, not 200: {len([s for s in reads if s != 200])}; "
        f"socket pushes seen while Redis was down: {pushed}"
    )
    assert not lost and not doubled
    assert set(load.statuses()) == {200}, load.statuses()
    assert reads and set(reads) == {200}
    later = down[2:]  # the public answer is kept 2 s
    assert later and all(h["code"] == 200 and h["status"] == "degraded" for h in later), down
    assert all(h["failing"] == ["cache"] for h in later), down
    assert healthy_after is not None, after


async def _closing(work):  # type: ignore[no-untyped-def]
    try:
        return await work
    finally:
        await Dash.close_all()
