"""The NOC on a Ray cluster of several nodes (issue 12 items 4 and 5), one
machine standing in for them: head actors on the node offering ``noc_head``,
pools spread over the ``noc_pool`` nodes, a dedicated client on the
``noc_dedicated`` node; a pool node removed under ingest, its pool restarts
on the surviving pool node and every acknowledged alert is stored once; a
client pinned by the operator to a resource runs on the node offering it;
the last ``noc_dedicated`` node removed, its dedicated host runs again on a
surviving node (``NOC_LOST_HOST=anywhere``).

The cluster runs in a process of its own (``multinode.py``): this session's
driver is already joined to the shared test cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from noc_actors.actors import names
from noc_actors.store.db import normalise_url

ROOT = Path(__file__).resolve().parents[2]
HEAD_ACTORS = (
    names.SUPERVISOR,
    names.ESCALATION_TIMER,
    names.BACKPRESSURE,
    names.BROADCAST_HUB,
    names.NOTIFIER,
)


def test_roles_land_on_their_nodes_and_a_lost_pool_node_loses_nothing(tmp_path: Path) -> None:
    url = normalise_url(f"sqlite:///{tmp_path}/noc.db")
    run = subprocess.run(
        [sys.executable, "-m", "tests.integration.multinode", url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RAY_DEDUP_LOGS": "0"},
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    placed, dedicated = out["placed"], out["clients"][-1]
    for name in HEAD_ACTORS:
        assert placed[name] == ["noc_head"], (name, placed)
    pools = {n: r for n, r in placed.items() if n.startswith(names.POOL_PREFIX)}
    assert len(pools) == 2 and all("noc_pool" in r for r in pools.values()), placed
    assert out["pool_nodes"] == 2  # spread, one pool per pool node
    assert placed[names.aggregator_name(dedicated)] == ["noc_dedicated"], placed
    after = out["placed_after"]
    assert {n for n in after if n.startswith(names.POOL_PREFIX)} == set(pools)
    assert all("noc_pool" in after[n] for n in pools), after
    assert out["victim_held_a_pool"]
    assert "noc_vip" in out["pinned"]["where"], out["pinned"]  # the operator's resource
    # the last noc_dedicated node lost: its host runs on a surviving node
    assert out["dedicated_after"] is not None, out
    assert "noc_dedicated" not in out["dedicated_after"], out
    # every acknowledged alert stored, once; none stored unacknowledged
    assert len(out["acked"]) == 2 * len(out["clients"]) + 2
    assert out["stored"] == out["acked"]
    print(f"\npool node removed: its clients answered again after {out['recovery_s']} s")
    print(f"last dedicated node removed: its client answered again after {out['rehome_s']} s")
