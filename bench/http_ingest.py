"""What the HTTP ingest API costs on top of the actor system.

Sends the same stream of alerts (30 % repeats, batches of 500, one client)
three ways in one run and prints alerts/s and ratios:

1. baseline: ``NocClient.ingest_alerts`` straight to the aggregator (what the
   Serve replica itself does after validation);
2. ``POST /api/noc/alerts`` over HTTP through Ray Serve's proxy, with an
   integration key (authentication, validation, admission, per-item answer);
3. ``POST /api/v2/alerts`` (the Alertmanager API Prometheus uses).

    .venv/bin/python bench/http_ingest.py --alerts 20000
    .venv/bin/python bench/http_ingest.py --database postgresql+asyncpg://postgres@127.0.0.1:5432/noc_bench
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from typing import Any

import httpx
import ray
from stack import free_port, seed_tenant  # bench/stack.py

from noc_actors import ray_env
from noc_actors.actors.client import start_system, stop_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import upgrade

BATCH = 500


def stream(n: int) -> list[int]:
    """Entity numbers: 70 % new, 30 % repeats of earlier ones."""
    out: list[int] = []
    for i in range(n):
        out.append(out[(i * 7919) % len(out)] if out and i % 10 < 3 else i)
    return out


def api_item(client_id: str, e: int) -> dict[str, Any]:
    return {
        "alert_type": "BENCH",
        "message": f"sensor {e} drifting",
        "client_id": client_id,
        "severity": "MEDIUM",
        "entity_type": "sensor",
        "entity_id": f"s{e}",
    }


def am_item(client_id: str, e: int) -> dict[str, Any]:
    return {
        "labels": {"alertname": "Bench", "client": client_id, "instance": f"s{e}"},
        "annotations": {"summary": f"sensor {e} drifting"},
    }


async def direct(settings: Settings, tenant: str, cid: str, entities: list[int]) -> float:
    from noc_actors.actors.client import NocClient

    noc = NocClient(settings.ray_namespace)
    began = time.perf_counter()
    for start in range(0, len(entities), BATCH):
        drafts = [
            AlertDraft(tenant, cid, "BENCH", f"sensor {e}", severity=Severity.MEDIUM,
                       entity_type="sensor", entity_id=f"s{e}")
            for e in entities[start : start + BATCH]
        ]  # fmt: skip
        await noc.ingest_alerts(tenant, cid, drafts)
    return time.perf_counter() - began


async def over_http(base: str, key: str, path: str, body: Any, entities: list[int]) -> float:
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120
    ) as http:
        began = time.perf_counter()
        for start in range(0, len(entities), BATCH):
            r = await http.post(path, json=body(entities[start : start + BATCH]))
            r.raise_for_status()
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    tenant, (c1, c2, c3), key = asyncio.run(seed_tenant(url, 3))
    settings = Settings(database_url=url, ray_namespace=f"bench-{uuid.uuid4().hex[:6]}")
    ray_env.apply()
    ray.init(address="local", namespace=settings.ray_namespace, include_dashboard=False,
             log_to_driver=False)  # fmt: skip
    from ray import serve

    from serve_app.deployment import build

    try:
        start_system(settings)
        port = free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build(settings), name="noc", route_prefix="/")
        base = f"http://127.0.0.1:{port}"
        entities = stream(args.alerts)
        base_s = asyncio.run(direct(settings, tenant, c1, entities))
        api_s = asyncio.run(
            over_http(base, key, "/api/noc/alerts",
                      lambda es: {"alerts": [api_item(c2, e) for e in es]}, entities)
        )  # fmt: skip
        am_s = asyncio.run(
            over_http(base, key, "/api/v2/alerts", lambda es: [am_item(c3, e) for e in es],
                      entities)
        )  # fmt: skip
        n = len(entities)
        print(f"{n} alerts, batches of {BATCH}, 30 % repeats, database {url.split(':')[0]}")
        print(f"  direct to the aggregator (baseline): {n / base_s:8.0f} alerts/s")
        for name, secs in (("POST /api/noc/alerts", api_s), ("POST /api/v2/alerts", am_s)):
            print(f"  {name:<34} {n / secs:8.0f} alerts/s  (ratio {secs / base_s:.2f}x the time)")
    finally:
        serve.shutdown()
        stop_system(settings.ray_namespace)
        ray.shutdown()


if __name__ == "__main__":
    main()
