"""Crashes lose nothing: an aggregator killed mid-stream keeps every batch
whose call returned and folds later repeats into the same open alerts; the
hub's subscribers resubscribe and see the gap; the supervisor recreates a
child that died for good and reports the restart. (A quiet host killed with
no traffic after it: ``test_actor_restart_loops.py``.)"""

from __future__ import annotations

import asyncio
import time

import ray

from noc_actors.actors import names
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.errors import Unavailable
from tests.integration.actors.conftest import gateway_drafts, until

BATCH = 50
# Each client in its own actor, so killing one hits one client
# (test_actor_pool.py kills a pool of many).
SETTINGS = {"placement": "dedicated"}


def drafts(noc, keys: list[str], client: int = 0) -> list[AlertDraft]:
    return gateway_drafts(noc, noc.client_ids[client], keys)


async def test_killing_an_aggregator_mid_stream_loses_no_returned_batch(noc) -> None:
    tenant, cid = noc.tenant_id, noc.client_ids[0]
    returned: list[list[str]] = []
    failed = 0
    first_ok_after_kill: float | None = None
    killed_at: float | None = None

    async def stream() -> None:
        nonlocal failed, first_ok_after_kill
        for b in range(60):
            keys = [f"gw-{b}-{i}" for i in range(BATCH)]
            try:
                await noc.client.ingest_alerts(tenant, cid, drafts(noc, keys))
            except Unavailable:
                failed += 1
                continue
            returned.append(keys)
            if killed_at is not None and first_ok_after_kill is None:
                first_ok_after_kill = time.monotonic()

    task = asyncio.create_task(stream())
    while len(returned) < 10:
        await asyncio.sleep(0.01)
    agg = ray.get_actor(names.aggregator_name(cid), namespace=noc.settings.ray_namespace)
    ray.kill(agg, no_restart=False)
    killed_at = time.monotonic()
    await task

    assert first_ok_after_kill is not None
    assert first_ok_after_kill - killed_at < 5.0
    stored = {
        r[0]
        for r in noc.sql(
            "SELECT entity_id FROM alerts WHERE client_id = :c AND entity_type = 'gateway'", c=cid
        )
    }
    for keys in returned:
        assert set(keys) <= stored  # every batch whose call returned is in the database

    # The restarted aggregator folds repeats into the existing open alerts.
    repeat = returned[0] + returned[-1]
    report = await noc.client.ingest_alerts(tenant, cid, drafts(noc, repeat))
    assert report["folded"] == len(repeat) and report["created"] == 0
    dupes = noc.sql(
        "SELECT dedup_key, count(*) FROM alerts WHERE client_id = :c AND status IN "
        "('NEW','ACKNOWLEDGED','ASSIGNED','ESCALATED') GROUP BY dedup_key HAVING count(*) > 1",
        c=cid,
    )
    assert dupes == []
    status = await noc.client.aggregator_status(tenant, cid)
    assert status["restarted"] and status["loaded"]


async def test_hub_subscribers_resubscribe_after_a_kill_and_detect_the_gap(noc) -> None:
    tenant, cid = noc.tenant_id, noc.client_ids[1]
    received: list[dict] = []

    async def consume() -> None:
        async for batch in noc.client.subscribe("test-sub", retry_s=0.2):
            received.extend(batch)

    task = asyncio.create_task(consume())
    try:
        await asyncio.sleep(0.5)
        await noc.client.ingest_alerts(tenant, cid, drafts(noc, ["before"], client=1))
        assert await until(lambda: any(_about(e, "before") for e in received), 5)
        before = next(e for e in received if _about(e, "before"))

        def subscriptions() -> int:
            return sum(1 for e in received if e["type"] == "subscribed")

        assert subscriptions() == 1  # subscribed once, before the kill
        hub = ray.get_actor(names.BROADCAST_HUB, namespace=noc.settings.ray_namespace)
        ray.kill(hub, no_restart=False)
        assert await until(lambda: subscriptions() == 2, 10), "subscriber did not resubscribe"
        # Events published after the restart arrive.
        deadline = time.monotonic() + 10
        while not any(_about(e, "after") for e in received) and time.monotonic() < deadline:
            await noc.client.ingest_alerts(tenant, cid, drafts(noc, ["after"], client=1))
            await asyncio.sleep(0.3)
        after = next(e for e in received if _about(e, "after"))
        # The new hub numbers from a larger base: the jump shows the gap.
        assert after["seq"] > before["seq"] + 1
    finally:
        task.cancel()


def _about(event: dict, entity: str) -> bool:
    return event.get("type", "").startswith("alert_") and event["alert"]["entity_id"] == entity


async def test_supervisor_recreates_a_dead_aggregator_and_reports_the_restart(noc) -> None:
    cid = noc.client_ids[1]
    name = names.aggregator_name(cid)
    old = ray.get_actor(name, namespace=noc.settings.ray_namespace)
    ray.kill(old, no_restart=True)
    await asyncio.sleep(0.5)
    health = await noc.client.health()
    child = next(a for a in health["actors"] if a["name"] == name)
    assert child["restarts"] >= 1
    assert await until(lambda: _alive(noc, name), 15)
    # The gateway's cached route still points at the dead actor: the first
    # call answers Unavailable (HTTP 503, retry) and the next one is routed anew.
    report = None
    for _ in range(3):
        try:
            report = await noc.client.ingest_alerts(
                noc.tenant_id, cid, drafts(noc, ["fresh"], client=1)
            )
            break
        except Unavailable:
            await asyncio.sleep(0.2)
    assert report is not None and report["created"] == 1


def _alive(noc, name: str) -> bool:
    try:
        handle = ray.get_actor(name, namespace=noc.settings.ray_namespace)
        return ray.get(handle.status.remote(), timeout=5)["loaded"]
    except Exception:  # noqa: BLE001
        return False
