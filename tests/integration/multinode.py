"""A NOC on a three-role Ray cluster on one machine (``ray.cluster_utils``):
a head offering ``noc_head``, two pool nodes offering ``noc_pool`` and one
node offering ``noc_dedicated``, as cluster.yaml sets them up.

Run by ``test_multinode.py`` in a process of its own (a driver joins one Ray
cluster, and the test session already has one):
``python -m tests.integration.multinode DATABASE_URL``. Prints one JSON line:
where each actor ran, the alerts acknowledged and stored, and how long the
clients of a removed pool node took to answer again."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import ray
from ray._common.utils import get_ray_address_file
from ray.cluster_utils import Cluster

from noc_actors.actors.client import NocClient, start_system, stop_system
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine, upgrade
from noc_actors.store.repos import placement
from tests.integration.actors.conftest import seed

CLIENTS = 5  # four pooled (two pools of two) and one dedicated
RECOVERY_LIMIT_S = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _dedicate(url: str, client_id: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await placement.set_placement(conn, client_id=client_id, placement="dedicated")
    finally:
        await engine.dispose()


async def _stored(url: str) -> list[str]:
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT entity_id FROM alerts"))
            return sorted(r[0] for r in rows)
    finally:
        await engine.dispose()


def _drafts(tenant_id: str, client_id: str, site_id: str, key: str) -> list[AlertDraft]:
    return [
        AlertDraft(
            tenant_id,
            client_id,
            "SYNC_DEGRADED",
            f"{key} lagging",
            severity=Severity.MEDIUM,
            site_id=site_id,
            entity_type="gateway",
            entity_id=key,
        )
    ]


async def _ingest(
    client: NocClient, tenant_id: str, site_of: dict[str, str], round_: str, deadline: float
) -> list[str]:
    """One alert per client, each retried until it is acknowledged (or the
    deadline); returns the keys acknowledged."""
    acked: list[str] = []
    for cid, site in site_of.items():
        key = f"{cid}-{round_}"
        while True:
            try:
                report = await client.ingest_alerts(
                    tenant_id, cid, _drafts(tenant_id, cid, site, key)
                )
            except Exception:  # noqa: BLE001 - the host is moving; retry as a sender would
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
                continue
            if report["created"] + report["folded"] == 1:
                acked.append(key)
            break
    return acked


def _alive() -> dict[str, str]:
    """Each live named actor of this (fresh) cluster -> its node id, from the
    GCS's actor table (the state API needs the dashboard, left out here)."""
    table = ray._private.state.actors(actor_state_name="ALIVE")
    return {a["Name"]: a["Address"]["NodeID"] for a in table.values() if a["Name"]}


def _where() -> dict[str, list[str]]:
    """Each live named actor -> the custom resources its node offers."""
    offered = {
        n["NodeID"]: sorted(r for r in n["Resources"] if r.startswith("noc_"))
        for n in ray.nodes()
        if n["Alive"]
    }
    return {name: offered.get(node, []) for name, node in _alive().items()}


def _nodes_of(prefix: str) -> set[str]:
    return {node for name, node in _alive().items() if name.startswith(prefix)}


async def _scenario(
    cluster: Cluster,
    pool_nodes: list[Any],
    dedicated_node: Any,
    client: NocClient,
    tenant_id: str,
    site_of: dict[str, str],
    out: dict[str, Any],
) -> None:
    acked = await _ingest(client, tenant_id, site_of, "before", time.monotonic() + 60)
    out["placed"] = _where()
    out["pool_nodes"] = len(_nodes_of("noc:pool:"))
    # Remove the other pool node (it holds a pool, spread): Ray restarts that
    # pool on the surviving pool node (its resource pins it there), which
    # reloads its clients.
    victim = pool_nodes[1]
    out["victim_held_a_pool"] = victim.node_id in _nodes_of("noc:pool:")
    began = time.monotonic()
    cluster.remove_node(victim, allow_graceful=False)
    acked += await _ingest(client, tenant_id, site_of, "after", began + RECOVERY_LIMIT_S)
    out["recovery_s"] = round(time.monotonic() - began, 2)
    out["placed_after"] = _where()
    # An operator pins a pooled client to the nodes offering noc_vip.
    pinned = next(c for c in site_of if not out["placed"].get(f"noc:aggregator:{c}"))
    await client.place(tenant_id, pinned, "dedicated", "noc_vip")
    out["pinned"] = {"client": pinned, "where": _where()[f"noc:aggregator:{pinned}"]}
    acked += await _ingest(
        client, tenant_id, {pinned: site_of[pinned]}, "pinned", time.monotonic() + 60
    )
    # The only node offering noc_dedicated goes: no node of that role is
    # left, so (NOC_LOST_HOST=anywhere) the supervisor starts the dedicated
    # host on a surviving node without the resource, and it answers again.
    dedicated = next(c for c in site_of if f"noc:aggregator:{c}" in out["placed"])
    host = f"noc:aggregator:{dedicated}"
    began = time.monotonic()
    cluster.remove_node(dedicated_node, allow_graceful=False)
    while "noc_dedicated" in _where().get(host, ["noc_dedicated"]):  # gone, or not moved yet
        if time.monotonic() > began + RECOVERY_LIMIT_S:
            break
        await asyncio.sleep(0.5)
    acked += await _ingest(
        client, tenant_id, {dedicated: site_of[dedicated]}, "rehomed", began + RECOVERY_LIMIT_S
    )
    out["rehome_s"] = round(time.monotonic() - began, 2)
    out["dedicated_after"] = _where().get(host)
    out["acked"] = sorted(acked)


def _forget_current_address(address: str) -> None:
    """Cluster() wrote its address as this machine's "current" Ray: a later
    ``ray.init()`` without an address must not look for it."""
    current = Path(get_ray_address_file(None))
    if current.exists() and current.read_text().strip() == address:
        current.unlink()


def main(url: str) -> dict[str, Any]:
    upgrade(url)
    tag = uuid.uuid4().hex[:6]
    tenant_id, ids, site_of, _ = asyncio.run(seed(url, CLIENTS, tag))
    asyncio.run(_dedicate(url, ids[-1]))
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "resources": {"noc_head": 100},
            "include_dashboard": False,
            # free ports: Redis owns 6379, the test session's own Ray the defaults
            "gcs_server_port": _free_port(),
            "dashboard_agent_listen_port": _free_port(),
            "metrics_export_port": _free_port(),
        },
    )
    # pool node 0 also offers noc_vip: a dedicated client pinned to it lands there
    pool_nodes = [
        cluster.add_node(num_cpus=1, resources={"noc_pool": 10, "noc_vip": 2}),
        cluster.add_node(num_cpus=1, resources={"noc_pool": 10}),
    ]
    dedicated_node = cluster.add_node(num_cpus=1, resources={"noc_dedicated": 4})
    namespace = f"noc-multinode-{tag}"
    ray.init(address=cluster.address, namespace=namespace, log_to_driver=False)
    settings = Settings(
        database_url=url,
        ray_namespace=namespace,
        pool_size=2,
        supervisor_watch_interval_s=1,
        head_resource="noc_head",
        pool_resource="noc_pool",
        dedicated_resource="noc_dedicated",
    )
    out: dict[str, Any] = {}
    try:
        client = start_system(settings)
        asyncio.run(_scenario(cluster, pool_nodes, dedicated_node, client, tenant_id, site_of, out))
        out["stored"] = asyncio.run(_stored(url))
        out["clients"] = ids
        stop_system(namespace)
    finally:
        ray.shutdown()
        cluster.shutdown()
        _forget_current_address(cluster.gcs_address)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
