"""Periodic work survives restarts (issue 11 item 11): an actor Ray restarts
starts its own loops from its constructor, without waiting for a call.

The supervisor's watch runs every two minutes here, so it is not what brings
the loops back (its ping would hand a restarted host its clients); and no
test sends traffic after its kill — a quiet client must still get its clock
rules (an SLA breach falling due), its snapshots and its escalations."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import ray

from noc_actors.actors import names
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.events import TicketEvent
from noc_actors.domain.policy import TenantPolicy
from tests.integration.actors.conftest import broken_tenant, until

SLA_S = 8.0
ESCALATE_S = 3.0
SETTINGS = {
    "clock_rules_interval_s": 0.5,
    "snapshot_interval_s": 1.0,
    "supervisor_watch_interval_s": 120.0,
    "policy": TenantPolicy(
        sla_hours={"P1": SLA_S / 3600},
        escalation_minutes={Severity.HIGH: ESCALATE_S / 60},
    ),
}
CLIENTS = 3


def count(noc, query: str, **params) -> int:
    return int(noc.scalar(query, **params) or 0)


def breaches(noc, cid: str) -> int:
    return count(
        noc,
        "SELECT count(*) FROM alerts WHERE client_id = :c AND alert_type = 'SLA_BREACH'",
        c=cid,
    )


def snapshots(noc, cid: str) -> int:
    return count(noc, "SELECT count(*) FROM metric_snapshots WHERE client_id = :c", c=cid)


async def test_a_quiet_client_whose_host_restarts_still_breaches_its_sla_and_snapshots(noc) -> None:
    cid = noc.client_ids[0]
    await noc.client.ingest_events(
        noc.tenant_id,
        cid,
        [
            TicketEvent(
                id="P1-idle",
                client_id=cid,
                site_id=noc.site_of[cid],
                priority="P1",
                status="OPEN",
                created_at=datetime.now(UTC),
            )
        ],
    )
    host_name = (await noc.client.aggregator_status(noc.tenant_id, cid))["host"]
    host = ray.get_actor(host_name, namespace=noc.settings.ray_namespace)
    ray.kill(host, no_restart=False)  # Ray restarts it; nobody calls it afterwards
    killed_at = time.monotonic()
    before = snapshots(noc, cid)
    assert breaches(noc, cid) == 0

    assert await until(lambda: snapshots(noc, cid) >= before + 2, 15), "no snapshot after restart"
    assert await until(lambda: breaches(noc, cid) == 1, SLA_S + 15), "SLA breach never raised"
    print(f"SLA breach raised {time.monotonic() - killed_at:.1f}s after the kill")
    status = await host.status.remote(None)
    assert status["restarted"] and cid in status["clients"]
    load = next(j for j in status["jobs"] if j["name"] == "load-clients")
    assert load["last_success"] is not None and not load["late"]


async def test_a_restarted_supervisor_starts_the_system_by_itself(noc) -> None:
    """It places a client created while it was down, with no call to it."""
    supervisor = ray.get_actor(names.SUPERVISOR, namespace=noc.settings.ray_namespace)
    ray.kill(supervisor, no_restart=False)
    new = f"late-{noc.client_ids[0]}"
    await _create_client(noc, new)

    def placed() -> bool:
        host = noc.scalar("SELECT host FROM client_placement WHERE client_id = :c", c=new)
        return host is not None

    assert await until(placed, 20), "the restarted supervisor did not start"
    host_name = noc.scalar("SELECT host FROM client_placement WHERE client_id = :c", c=new)
    host = ray.get_actor(host_name, namespace=noc.settings.ray_namespace)

    async def loaded() -> bool:
        return bool((await host.status.remote(new))["loaded"])

    assert await until(loaded, 10)


async def test_a_restarted_timer_fires_pending_escalations_with_no_call_to_it(noc) -> None:
    """And a tenant whose stored policy no longer validates does not keep
    the other tenants' escalations from being re-armed (issue 11 item 4)."""
    with broken_tenant(noc) as broken:
        await _restart_timer_and_escalate(noc, broken)


async def _restart_timer_and_escalate(noc, broken: str) -> None:
    cid = noc.client_ids[1]
    draft = AlertDraft(
        noc.tenant_id,
        cid,
        "SECURITY_ANOMALY",
        "door forced",
        severity=Severity.HIGH,
        site_id=noc.site_of[cid],
        entity_type="door",
        entity_id="idle-timer",
    )
    report = await noc.client.ingest_alerts(noc.tenant_id, cid, [draft])
    alert_id = report["items"][0]["alert_id"]
    await asyncio.sleep(1.5)  # the host's buffered arm (held up to 1 s) has reached the timer
    timer = ray.get_actor(names.ESCALATION_TIMER, namespace=noc.settings.ray_namespace)
    ray.kill(timer, no_restart=False)

    def levels() -> int:
        return count(
            noc,
            "SELECT count(*) FROM audit_log WHERE entity_id = :a AND action = 'ESCALATE'",
            a=alert_id,
        )

    assert await until(lambda: levels() >= 1, ESCALATE_S + 15), "the escalation never fired"
    status = await timer.status.remote()
    assert not status["armed"]  # the broken tenant is still to be re-armed: unhealthy


async def _create_client(noc, client_id: str) -> None:
    from noc_actors.store.db import make_engine
    from noc_actors.store.repos import clients

    engine = make_engine(noc.url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            await clients.create_client(
                conn, tenant_id=noc.tenant_id, name=f"Late {client_id}", client_id=client_id
            )
    finally:
        await engine.dispose()
