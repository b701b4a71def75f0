"""Pooled hosts: many clients in one pool actor, each still a single writer.

The calls for the clients of one pool made together leave in one actor call,
and their ingest batches are stored in one transaction; killing the pool
mid-stream loses no batch whose call returned, the restarted pool finds its
clients in the placement directory, and the supervisor recreates a pool
killed for good. A client asked to be dedicated gets an actor of its own,
and a restarted supervisor keeps every client where it was."""

from __future__ import annotations

import asyncio
import time

import ray

from noc_actors.actors import names
from noc_actors.actors.client import NocClient
from noc_actors.domain.errors import NotFound, Unavailable
from noc_actors.store.db import make_engine
from noc_actors.store.repos import clients, placement
from tests.integration.actors.conftest import gateway_drafts, until

CLIENTS = 6
SETTINGS = {"pool_size": 4, "supervisor_watch_interval_s": 1}


def hosts(noc) -> dict[str, str]:
    return dict(noc.sql("SELECT client_id, host FROM client_placement"))


def actor(noc, name: str):
    return ray.get_actor(name, namespace=noc.settings.ray_namespace)


async def test_clients_fill_pools_up_to_the_pool_size(noc) -> None:
    placed = hosts(noc)
    by_host: dict[str, list[str]] = {}
    for cid in noc.client_ids:
        by_host.setdefault(placed[cid], []).append(cid)
    assert sorted(len(v) for v in by_host.values()) == [2, 4]
    assert set(by_host) == {names.pool_name(0), names.pool_name(1)}
    for name, cids in by_host.items():
        assert sorted((await actor(noc, name).status.remote())["clients"]) == sorted(cids)


async def test_calls_for_the_clients_of_a_pool_leave_in_one_message(noc) -> None:
    pool0 = [c for c, h in hosts(noc).items() if h == names.pool_name(0)]
    for c in pool0:  # the gateway learns each client's host once (then cached)
        await noc.client.aggregator_status(noc.tenant_id, c)
    before = await actor(noc, names.pool_name(0)).status.remote()
    sent = noc.client._calls.messages
    reports = await asyncio.gather(
        *(
            noc.client.ingest_alerts(noc.tenant_id, c, gateway_drafts(noc, c, [f"{c}-one"]))
            for c in pool0
        )
    )
    assert [r["created"] for r in reports] == [1] * len(pool0)
    assert noc.client._calls.messages - sent == 1  # four clients, one actor call
    after = await actor(noc, names.pool_name(0)).status.remote()
    assert after["commits"] - before["commits"] == len(pool0)
    # taken together (``ingest_together``): one lock pass, one transaction
    assert after["transactions"] - before["transactions"] == 1
    stored = noc.sql("SELECT client_id FROM alerts WHERE entity_id LIKE '%-one'")
    assert sorted(r[0] for r in stored) == sorted(pool0)


async def test_ingest_many_hands_every_clients_batch_over_at_once_each_answered_alone(
    noc,
) -> None:
    """``ingest_many`` (the HTTP gateway's dispatch): one message per host
    for all its clients' batches; a batch of a client the tenant does not
    own answers ``NotFound`` in its own slot, the others are stored."""
    placed = hosts(noc)
    pool0 = [c for c, h in placed.items() if h == names.pool_name(0)]
    pool1 = [c for c, h in placed.items() if h == names.pool_name(1)]
    for c in pool0 + pool1:  # the gateway learns each client's host once (then cached)
        await noc.client.aggregator_status(noc.tenant_id, c)
    sent = noc.client._calls.messages
    batches = [
        (noc.tenant_id, c, gateway_drafts(noc, c, [f"{c}-many"]), None) for c in pool0 + pool1
    ]
    batches.insert(1, ("another-tenant", pool0[0], gateway_drafts(noc, pool0[0], ["x"]), None))
    answers = await noc.client.ingest_many("alerts", batches)
    assert isinstance(answers[1], NotFound)
    reports = [a for i, a in enumerate(answers) if i != 1]
    assert [r["created"] for r in reports if isinstance(r, dict)] == [1] * len(pool0 + pool1)
    assert noc.client._calls.messages - sent == 2  # two pools, one message each
    stored = noc.sql("SELECT client_id FROM alerts WHERE entity_id LIKE '%-many'")
    assert sorted(r[0] for r in stored) == sorted(pool0 + pool1)


async def test_a_route_to_a_host_not_registered_yet_asks_the_supervisor(noc) -> None:
    """The routing table can name a host whose actor Ray has not registered
    under that name yet (a client placed a moment ago; CI saw it when a
    module seeded clients into a fresh stack): the gateway then asks the
    supervisor for that client's route instead of failing the call."""
    gateway = NocClient(noc.settings.ray_namespace, noc.settings.route_ttl_s)
    await gateway.aggregator_status(noc.tenant_id, noc.client_ids[0])  # the table is read
    cid = noc.client_ids[0]
    owner, _ = gateway._table[cid]
    gateway._table[cid] = (owner, names.pool_name(99))  # no such actor (yet)
    gateway._hosts.clear()
    report = await gateway.ingest_alerts(noc.tenant_id, cid, gateway_drafts(noc, cid, ["late"]))
    assert report["created"] == 1
    assert names.pool_name(99) not in gateway._hosts


async def test_one_clients_refusal_is_its_own_in_a_shared_call(noc) -> None:
    pool0 = [c for c, h in hosts(noc).items() if h == names.pool_name(0)]
    good, other = pool0[0], pool0[1]
    calls = [
        noc.client.ingest_alerts(noc.tenant_id, good, gateway_drafts(noc, good, ["fine"])),
        noc.client.transition(noc.tenant_id, other, "no-such-action", ["x"], "u1"),
    ]
    report, refused = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(refused, ValueError) and "no-such-action" in str(refused)
    assert report["created"] == 1


async def test_killing_a_pool_mid_stream_loses_no_returned_batch(noc) -> None:
    pool0 = [c for c, h in hosts(noc).items() if h == names.pool_name(0)]
    returned: dict[str, list[str]] = {c: [] for c in pool0}
    killed = asyncio.Event()
    ok_after_kill: list[float] = []

    async def stream(cid: str) -> None:
        for b in range(40):
            keys = [f"kill-{cid}-{b}-{i}" for i in range(20)]
            try:
                await noc.client.ingest_alerts(noc.tenant_id, cid, gateway_drafts(noc, cid, keys))
            except Unavailable:
                await asyncio.sleep(0.05)
                continue
            returned[cid].extend(keys)
            if killed.is_set():
                ok_after_kill.append(time.monotonic())

    tasks = [asyncio.create_task(stream(c)) for c in pool0]
    while sum(len(v) for v in returned.values()) < 200:
        await asyncio.sleep(0.01)
    ray.kill(actor(noc, names.pool_name(0)), no_restart=False)  # Ray restarts it
    killed_at = time.monotonic()
    killed.set()
    await asyncio.gather(*tasks)

    assert ok_after_kill and min(ok_after_kill) - killed_at < 10.0
    for cid, keys in returned.items():
        stored = {
            r[0]
            for r in noc.sql(
                "SELECT entity_id FROM alerts WHERE client_id = :c AND entity_id LIKE 'kill-%'",
                c=cid,
            )
        }
        assert set(keys) <= stored  # every batch whose call returned is stored
    # The restarted pool runs the same clients, folding repeats into open alerts.
    cid = pool0[0]
    repeat = returned[cid][:5]
    report = await noc.client.ingest_alerts(noc.tenant_id, cid, gateway_drafts(noc, cid, repeat))
    assert report["folded"] == 5 and report["created"] == 0
    status = await actor(noc, names.pool_name(0)).status.remote()
    assert status["restarted"] and sorted(status["clients"]) == sorted(pool0)


async def test_supervisor_recreates_a_pool_killed_for_good(noc) -> None:
    pool1 = [c for c, h in hosts(noc).items() if h == names.pool_name(1)]
    ray.kill(actor(noc, names.pool_name(1)), no_restart=True)

    async def back() -> bool:
        try:
            status = await actor(noc, names.pool_name(1)).status.remote()
        except Exception:  # noqa: BLE001 - not yet recreated
            return False
        return sorted(status["clients"]) == sorted(pool1) and status["loaded"] == len(pool1)

    assert await until(back, 20)  # the watch (1 s here) recreated it, with its clients
    health = await noc.client.health()
    child = next(a for a in health["actors"] if a["name"] == names.pool_name(1))
    assert child["restarts"] >= 1 and sorted(child["clients"]) == sorted(pool1)
    report = None
    for _ in range(20):  # the gateway's cached route dies with the old actor
        try:
            report = await noc.client.ingest_alerts(
                noc.tenant_id, pool1[0], gateway_drafts(noc, pool1[0], ["after-recreate"])
            )
            break
        except Unavailable:
            await asyncio.sleep(0.2)
    assert report is not None and report["created"] == 1


async def test_a_dedicated_client_gets_its_own_actor(noc) -> None:
    cid = f"loud-{noc.client_ids[0].rsplit('-', 1)[1]}"
    engine = make_engine(noc.url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await clients.create_client(conn, tenant_id=noc.tenant_id, name=cid, client_id=cid)
            await placement.set_placement(conn, client_id=cid, placement="dedicated")
    finally:
        await engine.dispose()
    # The watch (every second here) may find the new client first and start
    # its host: open_client must still wait until the host runs it (it once
    # returned as soon as the client was placed — the host took seconds more).
    discovering = noc.client.supervisor().discover.remote()
    await noc.client.open_client(cid)
    assert hosts(noc)[cid] == names.aggregator_name(cid)
    status = await actor(noc, names.aggregator_name(cid)).status.remote()
    assert status["kind"] == "aggregator" and status["clients"] == [cid]
    report = await noc.client.ingest_alerts(noc.tenant_id, cid, gateway_drafts(noc, cid, ["own"]))
    assert report["created"] == 1
    client_status = await noc.client.aggregator_status(noc.tenant_id, cid)
    assert client_status["host"] == names.aggregator_name(cid) and client_status["open_alerts"] == 1
    await discovering


async def test_a_disabled_client_stops_and_comes_back_to_its_pool_when_enabled(noc) -> None:
    """Issue 11 item 13: a disabled client's aggregate stops (its loops and
    memory) within a watch tick; enabled again, it runs in the same pool."""
    cid = noc.client_ids[-1]
    host = hosts(noc)[cid]
    pool = actor(noc, host)
    assert cid in (await pool.status.remote())["clients"]

    async def set_enabled(enabled: bool) -> None:
        engine = make_engine(noc.url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                await clients.set_enabled(
                    conn, tenant_id=noc.tenant_id, client_id=cid, enabled=enabled
                )
        finally:
            await engine.dispose()

    await set_enabled(False)

    async def stopped() -> bool:
        return cid not in (await pool.status.remote())["clients"]

    assert await until(stopped, 10)  # the watch runs every second here
    health = await noc.client.health()
    assert all(cid not in a["clients"] for a in health["actors"])
    assert hosts(noc)[cid] == host  # its placement is kept

    await set_enabled(True)
    await noc.client.open_client(cid)  # what `noc client enable` does
    assert cid in (await pool.status.remote())["clients"]
    report = await noc.client.ingest_alerts(noc.tenant_id, cid, gateway_drafts(noc, cid, ["again"]))
    assert report["created"] == 1


async def test_a_restarted_supervisor_keeps_every_client_where_it_was(noc) -> None:
    before = hosts(noc)
    ray.kill(actor(noc, names.SUPERVISOR), no_restart=False)

    async def answers() -> bool:
        try:
            await noc.client.health()
        except Exception:  # noqa: BLE001 - restarting
            noc.client._supervisor = None
            return False
        return True

    assert await until(answers, 30)
    assert hosts(noc) == before
    health = await noc.client.health()
    placed = {
        c: a["name"]
        for a in health["actors"]
        if a["kind"] in ("pool", "aggregator")
        for c in a["clients"]
    }
    assert placed == before
    assert {a["name"] for a in health["actors"] if a["kind"] == "pool"} == {
        names.pool_name(0),
        names.pool_name(1),
    }
