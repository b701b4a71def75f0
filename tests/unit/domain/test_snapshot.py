"""SPEC 8: metric snapshots are computed from the live state — real numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import AttendanceEvent, DeviceEvent, TicketEvent, WorkOrderEvent
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events
from noc_actors.domain.snapshot import MetricSnapshot, compute_snapshot

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=5)
START = NOW - timedelta(minutes=5)
POLICY = TenantPolicy()


def ticket(id: str, priority: str, status: str = "OPEN") -> TicketEvent:
    return TicketEvent.model_validate(
        dict(id=id, client_id="c1", priority=priority, status=status, created_at=T0)
    )


def order(id: str, status: str, expires_at: datetime) -> WorkOrderEvent:
    return WorkOrderEvent(
        id=id,
        client_id="c1",
        site_id="s1",
        status=status,  # type: ignore[arg-type]
        planned_at=T0,
        expires_at=expires_at,
    )


def device(id: str, status: str, last_seen: datetime) -> DeviceEvent:
    return DeviceEvent(
        id=id,
        client_id="c1",
        site_id="s1",
        status=status,  # type: ignore[arg-type]
        last_seen=last_seen,
    )


def shift(id: str, start: datetime, punch_in: datetime | None = None) -> AttendanceEvent:
    return AttendanceEvent(
        id=id,
        person_id=f"p-{id}",
        client_id="c1",
        site_id="s1",
        shift_start=start,
        shift_end=start + timedelta(hours=1),
        punch_in=punch_in,
    )


def alert(n: int, severity: Severity, typ: str = "EXTERNAL", **kw: Any) -> Alert:
    base: dict[str, Any] = dict(
        id=f"a{n}",
        tenant_id="t1",
        client_id="c1",
        alert_type=typ,
        severity=severity,
        message="m",
        dedup_key=f"k{n}",
        first_seen=T0,
        last_seen=T0,
    )
    base.update(kw)
    return Alert(**base)


def live_state() -> ClientLiveState:
    s = ClientLiveState(tenant_id="t1", client_id="c1")
    started = NOW - timedelta(minutes=40)
    events: list[Any] = [
        ticket("T1", "P1"),  # past its 4 h SLA
        ticket("T2", "P3"),
        ticket("T3", "P2", "CLOSED"),
        order("W1", "ASSIGNED", NOW - timedelta(minutes=1)),  # overdue
        order("W2", "INPROGRESS", NOW + timedelta(hours=1)),
        order("W3", "COMPLETED", NOW - timedelta(hours=1)),
        device("D1", "ONLINE", NOW - timedelta(minutes=1)),
        device("D2", "OFFLINE", NOW - timedelta(minutes=1)),
        device("D3", "ONLINE", NOW - timedelta(hours=1)),  # silent
        shift("S1", started, punch_in=started + timedelta(minutes=3)),  # present
        shift("S2", started, punch_in=started + timedelta(minutes=30)),  # present, late
        shift("S3", started),  # missing
        shift("S4", NOW - timedelta(minutes=5)),  # within grace: neither
        shift("S5", NOW + timedelta(minutes=10)),  # not started
        shift("S6", NOW - timedelta(hours=2)),  # ended before the window
    ]
    apply_events(s, events, NOW, POLICY)
    return s


def snapshot(alerts: list[Alert] | None = None) -> MetricSnapshot:
    return compute_snapshot(live_state(), alerts or [], START, NOW, NOW, POLICY)


def test_ticket_counts_open_overdue_and_by_priority() -> None:
    snap = snapshot()
    assert (snap.tickets_open, snap.tickets_overdue) == (2, 1)
    assert snap.tickets_by_priority == {
        "P1": 1,
        "P2": 0,
        "P3": 1,
        "P4": 0,
        "LOW": 0,
        "MEDIUM": 0,
        "HIGH": 0,
    }


def test_work_order_counts_pending_overdue_and_status_mix() -> None:
    snap = snapshot()
    assert (snap.work_orders_pending, snap.work_orders_overdue) == (2, 1)
    assert snap.work_orders_by_status == {
        "ASSIGNED": 1,
        "RE_ASSIGNED": 0,
        "INPROGRESS": 1,
        "COMPLETED": 1,
        "CANCELLED": 0,
        "CLOSED": 0,
    }


def test_attendance_expected_present_missing_late() -> None:
    snap = snapshot()
    assert snap.attendance_expected == 4
    assert (snap.attendance_present, snap.attendance_missing, snap.attendance_late) == (2, 1, 1)


def test_tenant_grace_changes_missing_and_late() -> None:
    policy = TenantPolicy(attendance_grace_minutes=45)
    snap = compute_snapshot(live_state(), [], START, NOW, NOW, policy)
    assert (snap.attendance_missing, snap.attendance_late) == (0, 0)


def test_device_counts_total_and_offline_including_silent() -> None:
    snap = snapshot()
    assert (snap.devices_total, snap.devices_offline) == (3, 2)


def test_open_alerts_by_severity_has_all_five_keys() -> None:
    snap = snapshot()
    assert snap.alerts_open_by_severity == {
        "INFO": 0,
        "LOW": 0,
        "MEDIUM": 0,
        "HIGH": 0,
        "CRITICAL": 0,
    }
    assert snap.security_anomalies == 0


def test_only_open_alerts_of_this_client_are_counted() -> None:
    alerts = [
        alert(1, Severity.CRITICAL),
        alert(2, Severity.HIGH, status=AlertStatus.ESCALATED),
        alert(3, Severity.HIGH, status=AlertStatus.ACKNOWLEDGED),
        alert(4, Severity.LOW, status=AlertStatus.ASSIGNED),
        alert(5, Severity.LOW, status=AlertStatus.RESOLVED),
        alert(6, Severity.INFO, status=AlertStatus.SUPPRESSED),
        alert(7, Severity.MEDIUM, client_id="c2"),
        alert(8, Severity.MEDIUM, tenant_id="t2"),
    ]
    assert snapshot(alerts).alerts_open_by_severity == {
        "INFO": 0,
        "LOW": 1,
        "MEDIUM": 0,
        "HIGH": 2,
        "CRITICAL": 1,
    }


def test_security_anomalies_count_open_spoof_geofence_and_security_alerts() -> None:
    alerts = [
        alert(1, Severity.CRITICAL, "SECURITY_ANOMALY"),
        alert(2, Severity.CRITICAL, "DEVICE_SPOOF"),
        alert(3, Severity.MEDIUM, "GEOFENCE_BREACH"),
        alert(4, Severity.MEDIUM, "GEOFENCE_BREACH", status=AlertStatus.RESOLVED),
        alert(5, Severity.HIGH, "DEVICE_OFFLINE"),
    ]
    assert snapshot(alerts).security_anomalies == 3


def test_empty_state_gives_zeros_with_every_key() -> None:
    s = ClientLiveState(tenant_id="t1", client_id="c1")
    snap = compute_snapshot(s, [], START, NOW, NOW, POLICY)
    assert snap.tickets_open == snap.devices_total == snap.attendance_expected == 0
    assert set(snap.work_orders_by_status) == {
        "ASSIGNED",
        "RE_ASSIGNED",
        "INPROGRESS",
        "COMPLETED",
        "CANCELLED",
        "CLOSED",
    }
    assert len(snap.tickets_by_priority) == 7 and len(snap.alerts_open_by_severity) == 5


def test_snapshot_carries_its_window_and_round_trips_through_json() -> None:
    snap = snapshot([alert(1, Severity.HIGH)])
    assert (snap.tenant_id, snap.client_id) == ("t1", "c1")
    assert (snap.window_start, snap.window_end, snap.computed_at) == (START, NOW, NOW)
    data = json.loads(json.dumps(snap.to_dict()))
    assert data["window_start"] == START.isoformat()
    assert MetricSnapshot.from_dict(data) == snap


def test_window_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        compute_snapshot(live_state(), [], NOW, START, NOW, POLICY)
    assert err.value.field == "window_end"
