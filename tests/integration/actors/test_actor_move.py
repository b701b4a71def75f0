"""Live moves (issue 12 item 2): a running client goes from its pool to an
actor of its own and back while alerts keep arriving. Every batch answered
is stored exactly once, nothing is answered and lost, calls during the move
wait instead of failing, the other clients of the pool go on, escalations
due around the move fire once per level, and the emptied dedicated actor
goes away."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import ray

from noc_actors.actors import names
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput, NotFound
from noc_actors.domain.policy import TenantPolicy

CLIENTS = 3
DELAY_S = 2.0
DEDICATE_AT = 250.0
SETTINGS = {
    "pool_size": 4,
    "supervisor_watch_interval_s": 1,
    "dedicate_items_per_min": DEDICATE_AT,
    "route_ttl_s": 0.5,
    "host_retire_s": 2.0,
    "policy": TenantPolicy(escalation_minutes={Severity.HIGH: DELAY_S / 60}),
}


def drafts(
    noc, cid: str, keys: list[str], severity: Severity = Severity.MEDIUM
) -> list[AlertDraft]:
    return [
        AlertDraft(
            noc.tenant_id,
            cid,
            "SYNC_DEGRADED",
            f"{k} lagging",
            severity=severity,
            site_id=noc.site_of[cid],
            entity_type="gateway",
            entity_id=k,
        )
        for k in keys
    ]


def placed(noc, cid: str) -> tuple[str, str]:
    (row,) = noc.sql("SELECT placement, host FROM client_placement WHERE client_id = :c", c=cid)
    return row[0], row[1]


def alive(noc, name: str) -> bool:
    try:
        ray.get_actor(name, namespace=noc.settings.ray_namespace)
    except ValueError:
        return False
    return True


KEYS = 8
"""The streams cycle over this many gateways per client: most items fold
into an open alert, so a client run by two hosts at once would show (two
open alerts for one key are refused by the database; two memories of one
alert lose each other's fold counts)."""


async def _stream(noc, cid: str, prefix: str, stop: asyncio.Event, out: dict) -> None:
    """One batch of two alerts every 20 ms until ``stop``: the items answered
    in ``out['answered']``, their keys in ``out['keys']``, the slowest answer
    in ``out['slowest']``."""
    n = 0
    while not stop.is_set():
        keys = [f"{prefix}-{(2 * n) % KEYS}", f"{prefix}-{(2 * n + 1) % KEYS}"]
        began = time.perf_counter()
        report = await noc.client.ingest_alerts(noc.tenant_id, cid, drafts(noc, cid, keys))
        out["slowest"] = max(out.get("slowest", 0.0), time.perf_counter() - began)
        assert report["created"] + report["folded"] == 2, report
        out["answered"] = out.get("answered", 0) + 2
        out.setdefault("keys", set()).update(keys)
        n += 1
        await asyncio.sleep(0.02)


async def test_a_client_moves_to_its_own_actor_and_back_under_ingest(noc) -> None:
    mover, neighbour = noc.client_ids[0], noc.client_ids[1]
    _, pool = placed(noc, mover)
    assert pool.startswith(names.POOL_PREFIX)
    stop = asyncio.Event()
    moving: dict = {}
    steady: dict = {}
    streams = [
        asyncio.create_task(_stream(noc, mover, "mv", stop, moving)),
        asyncio.create_task(_stream(noc, neighbour, "nb", stop, steady)),
    ]
    await asyncio.sleep(0.5)
    there = await noc.client.place(noc.tenant_id, mover, "dedicated")
    await asyncio.sleep(0.5)
    back = await noc.client.place(noc.tenant_id, mover, "pooled")
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*streams)  # no call failed: each answered 2 created

    dedicated = names.aggregator_name(mover)
    assert there["moved"] and there["from"] == pool and there["to"] == dedicated
    assert back["moved"] and back["from"] == dedicated and back["to"].startswith(names.POOL_PREFIX)
    assert placed(noc, mover) == ("pooled", back["to"])
    # emptied: it lives on a little (refusing, so stale routes are retried),
    # then it is stopped and not recreated by the watch
    await asyncio.sleep(noc.settings.host_retire_s + 2 * noc.settings.supervisor_watch_interval_s)
    assert not alive(noc, dedicated)
    await asyncio.sleep(2 * noc.settings.supervisor_watch_interval_s)
    assert not alive(noc, dedicated)

    stored = {
        r[0]: (r[1], r[2])
        for r in noc.sql(
            "SELECT entity_id, COUNT(*), SUM(1 + suppressed_count) FROM alerts "
            "WHERE client_id = :c GROUP BY entity_id",
            c=mover,
        )
    }
    assert set(stored) == moving["keys"]  # every key answered is stored, nothing else
    assert {rows for rows, _ in stored.values()} == {1}  # one alert per key: one host at a time
    # every item answered counted once: none lost, none counted twice
    assert sum(items for _, items in stored.values()) == moving["answered"] > 40
    status = await noc.client.aggregator_status(noc.tenant_id, mover)
    assert status["open_alerts"] == KEYS  # the new host loaded them all
    print(
        f"\nmoves paused {mover} {there['paused_s']} s and {back['paused_s']} s; "
        f"its slowest answer {moving['slowest']:.2f} s, its neighbour's {steady['slowest']:.2f} s"
    )


def escalations(noc, alert_id: str) -> list[int]:
    rows = noc.sql(
        "SELECT metadata FROM audit_log WHERE entity_id = :a AND action = 'ESCALATE' ORDER BY id",
        a=alert_id,
    )
    metas = [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]
    return [m["level"] for m in metas]


async def test_escalations_due_around_a_move_fire_once_per_level(noc) -> None:
    cid = noc.client_ids[2]
    report = await noc.client.ingest_alerts(
        noc.tenant_id, cid, drafts(noc, cid, [f"esc-{i}" for i in range(4)], Severity.HIGH)
    )
    ids = [i["alert_id"] for i in report["items"]]
    await asyncio.sleep(DELAY_S * 0.9)  # level 1 falls due during the move
    await noc.client.place(noc.tenant_id, cid, "dedicated")
    deadline = time.monotonic() + 3 * DELAY_S + 20
    while time.monotonic() < deadline and not all(len(escalations(noc, a)) >= 3 for a in ids):
        await asyncio.sleep(0.2)
    await asyncio.sleep(DELAY_S + 1)  # nothing more may fire after the chain's end
    assert [escalations(noc, a) for a in ids] == [[1, 2, 3]] * len(ids)


async def test_moves_name_their_errors(noc) -> None:
    cid = noc.client_ids[1]
    try:
        await noc.client.place(noc.tenant_id, cid, "sideways")
    except InvalidInput as err:
        assert err.field == "placement"
    else:
        raise AssertionError("an unknown placement was accepted")
    try:
        await noc.client.place("another-tenant", cid, "dedicated")
    except NotFound:
        pass
    else:
        raise AssertionError("a client of another tenant was moved")
    for placement, resource, says in (
        ("dedicated", "noc_nowhere", "no node of the cluster offers 'noc_nowhere'"),
        ("pooled", "noc_x", "only a dedicated client is pinned to a resource"),
    ):
        try:
            await noc.client.place(noc.tenant_id, cid, placement, resource)
        except InvalidInput as err:
            assert (err.field, err.message) == ("resource", says)
        else:
            raise AssertionError(f"{placement} with {resource} was accepted")
    same = await noc.client.place(noc.tenant_id, cid, "pooled")  # already pooled
    assert same["moved"] is False and same["from"] == same["to"]


def noc_cli(noc, *args: str) -> subprocess.CompletedProcess[str]:
    """The `noc` command against this test's NOC (its Ray cluster, namespace
    and database), as an operator runs it."""
    env = {
        **os.environ,
        "NOC_RAY_NAMESPACE": noc.settings.ray_namespace,
        "NOC_DATABASE_URL": noc.url,
        "NOC_DEDICATE_ITEMS_PER_MIN": str(DEDICATE_AT),
    }
    address = ray.get_runtime_context().gcs_address
    return subprocess.run(
        [sys.executable, "-m", "noc_actors.cli", *args, "--address", address],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_load_signal_names_the_busy_client_and_rebalance_moves_it(noc) -> None:
    """Runs last: it moves clients. c1 takes 600 items now (far above the
    threshold: 'dedicate'); c2, dedicated by the test above, took four
    ('pool'); c0 stays as it is."""
    busy, quiet, calm = noc.client_ids[1], noc.client_ids[2], noc.client_ids[0]
    for n in range(6):
        keys = [f"load-{n}-{i}" for i in range(100)]
        await noc.client.ingest_alerts(noc.tenant_id, busy, drafts(noc, busy, keys))
    rows = {r["client_id"]: r for r in await noc.client.load()}
    assert (await noc.client.load())[0]["client_id"] == busy  # busiest first
    assert rows[busy]["items_per_min"] >= 600 and rows[busy]["suggestion"] == "dedicate"
    assert rows[busy]["p99_batch_ms"] > 0 and rows[busy]["cpu_s"] > 0
    assert rows[quiet]["placement"] == "dedicated" and rows[quiet]["suggestion"] == "pool"
    assert rows[calm]["suggestion"] == "" and rows[busy]["open_alerts"] >= 600

    shown = noc_cli(noc, "status", "--load")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split() == [
        "client",
        "placement",
        "host",
        "items/min",
        "open",
        "cpu",
        "s",
        "p99",
        "ms",
        "suggestion",
    ]
    assert lines[1].startswith(busy) and lines[1].endswith("dedicate")

    dry = noc_cli(noc, "rebalance")
    assert dry.returncode == 0, dry.stderr
    assert f"would move {busy}: pooled -> dedicated" in dry.stdout
    assert f"would move {quiet}: dedicated -> pooled" in dry.stdout
    assert placed(noc, busy)[0] == "pooled"  # nothing moved without --apply

    applied = noc_cli(noc, "rebalance", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert placed(noc, busy) == ("dedicated", names.aggregator_name(busy))
    assert placed(noc, quiet)[0] == "pooled"
    await asyncio.sleep(noc.settings.host_retire_s + 2 * noc.settings.supervisor_watch_interval_s)
    assert not alive(noc, names.aggregator_name(quiet))  # emptied, then retired
    assert f"moved {busy}" in applied.stdout and f"moved {quiet}" in applied.stdout
    report = await noc.client.ingest_alerts(noc.tenant_id, busy, drafts(noc, busy, ["after"]))
    assert report["created"] == 1  # the moved client takes alerts in its new host
