"""Live rules on the clock, metric snapshots and backpressure, with the real
periodic loops inside the actors (intervals shortened by configuration)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.events import AttendanceEvent, DeviceEvent, TicketEvent, WorkOrderEvent
from noc_actors.domain.policy import TenantPolicy
from tests.integration.actors.conftest import broken_tenant, until

SETTINGS = {
    "clock_rules_interval_s": 0.5,
    "backpressure_check_interval_s": 0.3,
    "backpressure_sweep_interval_s": 0.5,
    "policy": TenantPolicy(
        sla_hours={"P1": 2 / 3600},  # a P1 ticket breaches 2 s after creation
        backpressure_threshold=5,
        backpressure_sweep_age_minutes=1 / 60,
    ),
}


def low_alerts(noc, cid: str, prefix: str, n: int) -> list[AlertDraft]:
    """``n`` NEW LOW alerts of one client (backpressure counts them)."""
    return [
        AlertDraft(
            noc.tenant_id,
            cid,
            "ATTENDANCE_MISSING",
            "x",
            severity=Severity.LOW,
            entity_type="shift",
            entity_id=f"{prefix}-{i}",
        )
        for i in range(n)
    ]


def types_of(noc, cid: str, status: str = "NEW") -> list[str]:
    return sorted(
        r[0]
        for r in noc.sql(
            "SELECT alert_type FROM alerts WHERE client_id = :c AND status = :s", c=cid, s=status
        )
    )


async def test_sla_breach_and_overdue_work_order_appear_without_a_new_event(noc) -> None:
    cid = noc.client_ids[0]
    now = datetime.now(UTC)
    await noc.client.ingest_events(
        noc.tenant_id,
        cid,
        [
            TicketEvent(
                id="T-1",
                client_id=cid,
                site_id=noc.site_of[cid],
                priority="P1",
                status="OPEN",
                created_at=now,
                assignee="Jane Roe",
            ),
            WorkOrderEvent(
                id="WO-1",
                client_id=cid,
                site_id=noc.site_of[cid],
                status="ASSIGNED",
                planned_at=now - timedelta(hours=1),
                expires_at=now + timedelta(seconds=1),
            ),
        ],
    )
    assert types_of(noc, cid) == []
    # No further event: the aggregator's clock loop raises both.
    assert await until(lambda: types_of(noc, cid) == ["SLA_BREACH", "WORK_ORDER_OVERDUE"], 8)
    (sev,) = noc.sql(
        "SELECT severity FROM alerts WHERE client_id = :c AND alert_type = 'SLA_BREACH'", c=cid
    )[0]
    assert sev == "CRITICAL"
    # The live state was persisted: a closing event resolves the breach.
    await noc.client.ingest_events(
        noc.tenant_id,
        cid,
        [
            TicketEvent(
                id="T-1",
                client_id=cid,
                site_id=noc.site_of[cid],
                priority="P1",
                status="CLOSED",
                created_at=now,
            )
        ],
    )
    assert types_of(noc, cid, "RESOLVED") == ["SLA_BREACH"]


async def test_snapshot_holds_the_counts_of_a_scripted_scenario(noc) -> None:
    cid, site = noc.client_ids[1], noc.site_of[noc.client_ids[1]]
    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    await noc.client.ingest_events(
        noc.tenant_id,
        cid,
        [
            TicketEvent(
                id="A", client_id=cid, site_id=site, priority="P3", status="OPEN", created_at=now
            ),
            TicketEvent(
                id="B", client_id=cid, site_id=site, priority="P4", status="NEW", created_at=now
            ),
            TicketEvent(
                id="C",
                client_id=cid,
                site_id=site,
                priority="P3",
                status="CLOSED",
                created_at=now - hour,
            ),
            WorkOrderEvent(
                id="W1",
                client_id=cid,
                site_id=site,
                status="INPROGRESS",
                planned_at=now - 3 * hour,
                expires_at=now - hour,
            ),
            WorkOrderEvent(
                id="W2",
                client_id=cid,
                site_id=site,
                status="ASSIGNED",
                planned_at=now,
                expires_at=now + 5 * hour,
            ),
            WorkOrderEvent(
                id="W3",
                client_id=cid,
                site_id=site,
                status="COMPLETED",
                planned_at=now - hour,
                expires_at=now + hour,
            ),
            DeviceEvent(id="D1", client_id=cid, site_id=site, status="ONLINE", last_seen=now),
            DeviceEvent(id="D2", client_id=cid, site_id=site, status="ONLINE", last_seen=now),
            DeviceEvent(id="D3", client_id=cid, site_id=site, status="OFFLINE", last_seen=now),
            AttendanceEvent(
                id="S1",
                person_id="p1",
                person_name="Ann Guard",
                client_id=cid,
                site_id=site,
                shift_start=now - 2 * hour,
                shift_end=now + 6 * hour,
                punch_in=now - 2 * hour,
            ),
            AttendanceEvent(
                id="S2",
                person_id="p2",
                person_name="Bob Guard",
                client_id=cid,
                site_id=site,
                shift_start=now - 2 * hour,
                shift_end=now + 6 * hour,
            ),
        ],
    )
    metrics = await noc.client.take_snapshot(noc.tenant_id, cid)
    assert metrics is not None
    expected = {
        "tickets_open": 2,
        "work_orders_pending": 2,
        "work_orders_overdue": 1,
        "devices_total": 3,
        "devices_offline": 1,
        "attendance_expected": 2,
        "attendance_present": 1,
        "attendance_missing": 1,
    }
    assert {k: metrics[k] for k in expected} == expected
    assert metrics["tickets_by_priority"]["P3"] == 1 and metrics["tickets_by_priority"]["P4"] == 1
    # Open alerts raised by the rules: overdue work order, offline device, missed shift.
    assert metrics["alerts_open_by_severity"] == {
        "INFO": 0,
        "LOW": 1,
        "MEDIUM": 1,
        "HIGH": 1,
        "CRITICAL": 0,
    }
    stored = noc.sql("SELECT metrics FROM metric_snapshots WHERE client_id = :c", c=cid)
    assert len(stored) == 1
    row = stored[0][0] if isinstance(stored[0][0], dict) else json.loads(stored[0][0])
    assert row["devices_offline"] == 1


async def test_storm_of_low_alerts_raises_the_level_sheds_info_and_sweeps_old_info(noc) -> None:
    cid = noc.client_ids[0]
    info = [
        AlertDraft(
            noc.tenant_id,
            cid,
            "SYNC_DEGRADED",
            "slow",
            severity=Severity.INFO,
            entity_type="gw",
            entity_id=f"old-{i}",
        )
        for i in range(3)
    ]
    await noc.client.ingest_alerts(noc.tenant_id, cid, info)
    await noc.client.ingest_alerts(noc.tenant_id, cid, low_alerts(noc, cid, "l", 5))  # 8 > 5
    assert await until(lambda: _level(noc) == "ELEVATED", 5)
    assert await until(lambda: _shedding(noc, cid), 5)

    shed = await noc.client.ingest_alerts(
        noc.tenant_id,
        cid,
        [
            AlertDraft(
                noc.tenant_id,
                cid,
                "SYNC_DEGRADED",
                "slow",
                severity=Severity.INFO,
                entity_type="gw",
                entity_id="during",
            ),
            AlertDraft(
                noc.tenant_id,
                cid,
                "SECURITY_ANOMALY",
                "intrusion",
                severity=Severity.CRITICAL,
                entity_type="door",
                entity_id="d1",
            ),
        ],
    )
    assert [i["outcome"] for i in shed["items"]] == ["suppressed", "created"]
    # The sweep moves NEW INFO alerts older than the sweep age (1 s here).
    assert await until(lambda: _count(noc, cid, "INFO", "NEW") == 0, 8)
    assert _count(noc, cid, "INFO", "SUPPRESSED") == 4
    assert _count(noc, cid, "CRITICAL", "NEW") == 1
    swept = noc.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'SUPPRESS' AND tenant_id = :t",
        t=noc.tenant_id,
    )
    assert swept == 3

    # Back below the threshold: normal again, INFO is accepted.
    ids = [
        r[0]
        for r in noc.sql(
            "SELECT id FROM alerts WHERE client_id = :c AND severity = 'LOW' AND status = 'NEW'",
            c=cid,
        )
    ]
    await noc.client.transition(noc.tenant_id, cid, "resolve", ids, "u-op")
    assert await until(lambda: _level(noc) is None, 5)
    assert await until(lambda: _not(_shedding(noc, cid)), 5)
    again = await noc.client.ingest_alerts(
        noc.tenant_id,
        cid,
        [
            AlertDraft(
                noc.tenant_id,
                cid,
                "SYNC_DEGRADED",
                "slow",
                severity=Severity.INFO,
                entity_type="gw",
                entity_id="after",
            )
        ],
    )
    assert again["created"] == 1


async def _shedding(noc, cid: str) -> bool:
    return bool((await noc.client.aggregator_status(noc.tenant_id, cid))["shed_info"])


async def _not(aw) -> bool:
    return not await aw


def _level(noc) -> str | None:
    import ray

    from noc_actors.actors import names

    ctl = ray.get_actor(names.BACKPRESSURE, namespace=noc.settings.ray_namespace)
    return ray.get(ctl.levels.remote()).get(noc.tenant_id)


def _count(noc, cid: str, severity: str, status: str) -> int:
    return int(
        noc.scalar(
            "SELECT count(*) FROM alerts WHERE client_id = :c AND severity = :v AND status = :s",
            c=cid,
            v=severity,
            s=status,
        )
    )


async def test_a_tenant_with_a_broken_policy_does_not_stop_the_check_of_the_others(noc) -> None:
    """Issue 11 item 4: the backpressure check went tenant by tenant in one
    step, so one tenant whose stored policy failed stopped it for all."""
    cid = noc.client_ids[1]
    with broken_tenant(noc) as broken:
        await noc.client.ingest_alerts(noc.tenant_id, cid, low_alerts(noc, cid, "iso", 8))
        assert await until(lambda: _level(noc) == "ELEVATED", 5)
        import ray

        from noc_actors.actors import names

        controller = ray.get_actor(names.BACKPRESSURE, namespace=noc.settings.ray_namespace)
        status = await controller.status.remote()
        assert status["tenant_failures"].get(broken, 0) >= 1
        ids = [
            r[0]
            for r in noc.sql(
                "SELECT id FROM alerts WHERE client_id = :c AND entity_id LIKE 'iso-%'", c=cid
            )
        ]
        await noc.client.transition(noc.tenant_id, cid, "resolve", ids, "u-op")
        assert await until(lambda: _level(noc) is None, 5)
