"""Ingest through the per-client aggregators: dedup and suppressed counts are
exact in the database, and starting the system twice changes nothing."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import ray

from noc_actors.actors import names
from noc_actors.actors.client import start_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity

CLIENTS = 20
BATCH = 250
# The supervisor's watch runs when a test asks (health()), never by itself in
# between: a client added here is started by open_client or by that tick only.
SETTINGS = {"supervisor_watch_interval_s": 3600}


async def test_10000_alerts_over_20_clients_with_30_percent_repeats_are_exact(noc) -> None:
    rng = random.Random(7)
    distinct = [(rng.choice(noc.client_ids), f"dev-{i}") for i in range(7000)]
    stream = distinct + [rng.choice(distinct) for _ in range(3000)]
    rng.shuffle(stream)
    expected = Counter(stream)  # (client, entity) -> occurrences

    by_client: dict[str, list[AlertDraft]] = {c: [] for c in noc.client_ids}
    for client_id, entity in stream:
        by_client[client_id].append(
            AlertDraft(
                noc.tenant_id,
                client_id,
                "DEVICE_OFFLINE",
                f"{entity} offline",
                severity=Severity.HIGH,
                site_id=noc.site_of[client_id],
                entity_type="device",
                entity_id=entity,
            )
        )

    async def send(client_id: str, drafts: list[AlertDraft]) -> list[dict]:
        return [
            await noc.client.ingest_alerts(noc.tenant_id, client_id, drafts[i : i + BATCH])
            for i in range(0, len(drafts), BATCH)
        ]

    reports = await asyncio.gather(*(send(c, d) for c, d in by_client.items()))
    created = sum(r["created"] for rs in reports for r in rs)
    folded = sum(r["folded"] for rs in reports for r in rs)
    assert (created, folded) == (7000, 3000)

    rows = noc.sql(
        "SELECT client_id, entity_id, suppressed_count, status FROM alerts WHERE tenant_id = :t",
        t=noc.tenant_id,
    )
    assert len(rows) == 7000
    assert {r.status for r in rows} == {"NEW"}
    got = {(r.client_id, r.entity_id): r.suppressed_count + 1 for r in rows}
    assert got == dict(expected)


async def test_starting_the_system_twice_is_a_noop(noc) -> None:
    before = {
        n: ray.get_actor(n, namespace=noc.settings.ray_namespace)._actor_id
        for n in (names.SUPERVISOR, names.ESCALATION_TIMER, names.BROADCAST_HUB)
    }
    health_before = await noc.client.health()
    start_system(noc.settings)
    after = {n: ray.get_actor(n, namespace=noc.settings.ray_namespace)._actor_id for n in before}
    health_after = await noc.client.health()
    assert after == before
    assert [a["name"] for a in health_after["actors"]] == [
        a["name"] for a in health_before["actors"]
    ]
    assert all(a["restarts"] == 0 for a in health_after["actors"])


async def test_every_enabled_client_runs_in_one_pool_without_a_whole_cpu(noc) -> None:
    health = await noc.client.health()
    hosts = [a for a in health["actors"] if a["kind"] in ("pool", "aggregator")]
    assert [(a["name"], sorted(a["clients"])) for a in hosts] == [
        (names.pool_name(0), sorted(noc.client_ids))
    ]
    assert health["ok"]
    pool = ray.get_actor(names.pool_name(0), namespace=noc.settings.ray_namespace)
    assert sorted((await pool.status.remote())["clients"]) == sorted(noc.client_ids)
    placed = noc.sql("SELECT client_id, host FROM client_placement")
    assert dict(placed) == dict.fromkeys(noc.client_ids, names.pool_name(0))
    # num_cpus=0: the pool leaves this 2-core machine its CPUs.
    assert ray.available_resources().get("CPU", 0) >= 1


async def test_alert_of_another_tenants_client_is_refused(noc) -> None:
    import pytest

    from noc_actors.domain.errors import NotFound

    with pytest.raises(NotFound):
        await noc.client.ingest_alerts("other-tenant", noc.client_ids[0], [])


async def test_actor_metrics_reach_rays_prometheus_endpoint(noc) -> None:
    """Ingested / folded counts and open alerts by severity, tagged per
    tenant and client, as Prometheus scrapes them from Ray."""
    import re
    import time
    import urllib.request

    from tests.conftest import METRICS_PORT

    cid = noc.client_ids[0]
    drafts = [
        AlertDraft(
            noc.tenant_id,
            cid,
            "SYNC_DEGRADED",
            "x",
            severity=Severity.LOW,
            entity_type="gw",
            entity_id=f"m{i % 3}",
        )
        for i in range(5)
    ]
    await noc.client.ingest_alerts(noc.tenant_id, cid, drafts)
    wanted = {"ray_noc_alerts_ingested_total", "ray_noc_alerts_folded_total", "ray_noc_open_alerts"}
    seen: dict[str, float] = {}
    deadline = time.monotonic() + 60

    def settled() -> bool:
        # Gauges are exported with their initial zero first; wait for the
        # ingest's values rather than stopping at the first sight of a name.
        return (
            wanted <= set(seen)
            and seen["ray_noc_alerts_folded_total"] >= 2
            and seen["ray_noc_open_alerts"] >= 3
        )

    while time.monotonic() < deadline and not settled():
        await asyncio.sleep(2)
        body = await asyncio.to_thread(
            lambda: (
                urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5)
                .read()
                .decode()
            )
        )
        for line in body.splitlines():
            m = re.match(r"(ray_noc_\w+)\{(.*)\} (\S+)$", line)
            if m is None:
                continue
            name, tags, value = m.groups()
            ours = f'client="{cid}"' in tags and f'tenant="{noc.tenant_id}"' in tags
            if ours and (name != "ray_noc_open_alerts" or 'severity="LOW"' in tags):
                seen[name] = float(value)
    assert wanted <= set(seen), seen
    assert seen["ray_noc_alerts_folded_total"] >= 2
    assert seen["ray_noc_open_alerts"] >= 3


async def _add_client(noc, client_id: str, *, enabled: bool = True) -> None:
    from noc_actors.store.db import make_engine
    from noc_actors.store.repos import clients

    engine = make_engine(noc.url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await clients.create_client(
                conn, tenant_id=noc.tenant_id, name=client_id, client_id=client_id, enabled=enabled
            )
    finally:
        await engine.dispose()


def _running(noc, client_id: str) -> bool:
    """Whether the pool runs the client (every client of this module fits in one)."""
    pool = ray.get_actor(names.pool_name(0), namespace=noc.settings.ray_namespace)
    return client_id in ray.get(pool.status.remote(), timeout=10)["clients"]


async def test_a_client_created_at_run_time_gets_its_aggregator_before_its_first_alert(
    noc,
) -> None:
    """What ``noc client create`` does against a running NOC (open_client),
    and what the supervisor's watch does for a client created any other way:
    either way the aggregator is up before the client's first request."""
    tag = noc.client_ids[0].rsplit("-", 1)[1]
    opened, watched, off = f"opened-{tag}", f"watched-{tag}", f"off-{tag}"
    for cid, enabled in ((opened, True), (watched, True), (off, False)):
        await _add_client(noc, cid, enabled=enabled)
    assert not any(_running(noc, c) for c in (opened, watched, off))

    assert await noc.client.open_client(opened) > 0  # started it and waited for it
    assert _running(noc, opened)
    assert await noc.client.open_client(opened) < 0.5  # already up: nothing to wait for

    await noc.client.health()  # a watch tick: finds the enabled client, not the disabled one
    assert _running(noc, watched) and not _running(noc, off)
    status = await noc.client.aggregator_status(noc.tenant_id, watched)
    assert status["client_id"] == watched

    draft = AlertDraft(noc.tenant_id, opened, "DEVICE_OFFLINE", "first", severity=Severity.HIGH)
    report = await noc.client.ingest_alerts(noc.tenant_id, opened, [draft])
    assert report["created"] == 1
