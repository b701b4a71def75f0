"""Each kind of actor killed in turn under steady ingest: a client pool, the
escalation timer, the backpressure controller, the broadcast hub, the
supervisor and a Serve replica. For each: every alert answered 2xx is in
the database exactly once; escalations that fall due during the outage
fire, each level once; snapshots and clock rules go on afterwards; and
ingest answers 2xx again within a few seconds. Figures are printed."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import ray

from noc_actors.actors import names
from noc_actors.domain.enums import Severity
from noc_actors.domain.policy import TenantPolicy
from tests.chaos.load import Load, record
from tests.e2e.conftest import Api

BACKENDS = ("postgres",)
REDIS = True
REPLICAS = 2
ESCALATE_S = 3.0
SETTINGS = {
    "request_timeout_s": 10.0,
    "snapshot_interval_s": 2.0,
    "clock_rules_interval_s": 1.0,
    "supervisor_watch_interval_s": 1.0,
    "policy": TenantPolicy(escalation_minutes={Severity.CRITICAL: ESCALATE_S / 60}),
}
VICTIMS = ("pool", "timer", "backpressure", "hub", "supervisor", "replica")


def victim_handle(api: Api, kind: str) -> Any:
    ns = api.settings.ray_namespace
    if kind == "replica":
        replicas = [
            a
            for a in ray.util.list_named_actors(all_namespaces=True)
            if a["name"].startswith("SERVE_REPLICA::") and "noc" in a["name"]
        ]
        assert replicas, "no Serve replica found"
        return ray.get_actor(replicas[0]["name"], namespace=replicas[0]["namespace"])
    name = {
        "pool": names.pool_name(0),
        "timer": names.ESCALATION_TIMER,
        "backpressure": names.BACKPRESSURE,
        "hub": names.BROADCAST_HUB,
        "supervisor": names.SUPERVISOR,
    }[kind]
    return ray.get_actor(name, namespace=ns)


def escalation_levels(api: Api, alert_id: str) -> list[int]:
    import json

    rows = api.sql(
        "SELECT metadata FROM audit_log WHERE entity_id = :a AND action = 'ESCALATE' ORDER BY id",
        a=alert_id,
    )
    return [(r[0] if isinstance(r[0], dict) else json.loads(r[0]))["level"] for r in rows]


def snapshots(api: Api) -> int:
    return int(
        api.sql("SELECT count(*) FROM metric_snapshots WHERE client_id = :c", c=api.ids["a1"])[0][0]
    )


@pytest.mark.parametrize("kind", VICTIMS)
def test_killing_an_actor_under_ingest_loses_nothing_and_everything_goes_on(
    api: Api, kind: str
) -> None:
    load = Load(api, f"kill-{kind}-", batch=10).start()
    try:
        time.sleep(2)
        critical = [
            {
                "alert_type": "SECURITY_ANOMALY",
                "message": f"door forced ({kind})",
                "client_id": api.ids["a2"],
                "site_id": api.ids["a2-x"],
                "severity": "CRITICAL",
                "entity_type": "door",
                "entity_id": f"esc-{kind}-{uuid.uuid4().hex[:6]}-{i}",
            }
            for i in range(3)
        ]
        with api.client("key") as http:
            r = http.post("/api/noc/alerts", json={"alerts": critical})
        assert r.status_code == 200, r.text
        escalating = [i["alert_id"] for i in r.json()["items"]]
        before_snapshots = snapshots(api)
        # Due ESCALATE_S after ingest: during the outage of what is killed now.
        ray.kill(victim_handle(api, kind), no_restart=kind == "replica")
        killed_at = time.monotonic()
        time.sleep(6)
    finally:
        load.stop()

    recovery = load.first_ok_after(killed_at + 0.5)
    lost, doubled = load.report(f"{kind} killed under ingest", recovery)
    assert not lost and not doubled
    # The escalations due during the outage fire, each level exactly once.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(escalation_levels(api, a) for a in escalating):
        time.sleep(0.5)
    for alert_id in escalating:
        levels = escalation_levels(api, alert_id)
        assert levels and levels == sorted(set(levels)) and levels[0] == 1, (kind, levels)
    # Snapshots (every 2 s) and clock rules go on.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and snapshots(api) < before_snapshots + 2:
        time.sleep(0.5)
    assert snapshots(api) >= before_snapshots + 2, f"snapshots stopped after the {kind} kill"
    assert recovery is not None and recovery < 10.0, f"no 2xx after the {kind} kill"
    with api.client("admin") as c:  # the system says it is whole again
        deadline = time.monotonic() + 20
        while (h := c.get("/api/noc/health")).json()["status"] != "healthy":
            assert time.monotonic() < deadline, h.text
            time.sleep(0.5)
    record(f"{kind}: escalation levels {[escalation_levels(api, a) for a in escalating]}")
