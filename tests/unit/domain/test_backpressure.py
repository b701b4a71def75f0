"""SPEC 6: backpressure levels, shedding and the suppression sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from noc_actors.domain.alert import Alert
from noc_actors.domain.backpressure import (
    BackpressurePolicy,
    LevelTracker,
    count_new_info_low,
    sweep_candidates,
)
from noc_actors.domain.enums import BackpressureLevel as L
from noc_actors.domain.enums import Severity
from noc_actors.domain.policy import TenantPolicy

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
decide = BackpressurePolicy.decide


def make_alert(aid: str, severity: Severity, age_minutes: float) -> Alert:
    seen = T0 - timedelta(minutes=age_minutes)
    return Alert(
        id=aid,
        tenant_id="t1",
        client_id="c1",
        alert_type="EXTERNAL",
        severity=severity,
        message="m",
        dedup_key=aid,
        first_seen=seen,
        last_seen=seen,
    )


def test_exactly_1000_new_info_low_alerts_stays_normal() -> None:
    assert decide(1000, False, 1000) is L.NORMAL


def test_1001_new_info_low_alerts_is_elevated() -> None:
    assert decide(1001, False, 1000) is L.ELEVATED


def test_full_queue_is_critical_whatever_the_count() -> None:
    assert decide(0, True, 1000) is L.CRITICAL
    assert decide(5000, True, 1000) is L.CRITICAL
    assert BackpressurePolicy.rejects_ingest(L.CRITICAL)
    assert not BackpressurePolicy.rejects_ingest(L.ELEVATED)


def test_threshold_counts_new_info_and_low_only() -> None:
    alerts = [make_alert(f"a{i}", sev, 0) for i, sev in enumerate(Severity)]
    alerts[0].acknowledge("u1", T0)  # an acknowledged INFO no longer counts
    assert count_new_info_low(alerts) == 1
    assert count_new_info_low([]) == 0


def test_sweep_takes_only_new_info_alerts_older_than_one_hour() -> None:
    old_info = make_alert("old", Severity.INFO, 61)
    exactly_hour = make_alert("hour", Severity.INFO, 60)
    young_info = make_alert("young", Severity.INFO, 30)
    old_low = make_alert("low", Severity.LOW, 120)
    acked = make_alert("acked", Severity.INFO, 120)
    acked.acknowledge("u1", T0)
    alerts = [young_info, old_low, acked, exactly_hour, old_info]
    picked = sweep_candidates(alerts, T0, TenantPolicy(), L.ELEVATED)
    assert [a.id for a in picked] == ["old"]


def test_sweep_does_nothing_while_normal() -> None:
    alerts = [make_alert("old", Severity.INFO, 600)]
    assert sweep_candidates(alerts, T0, TenantPolicy(), L.NORMAL) == []


def test_sweep_is_oldest_first_and_uses_the_tenant_age() -> None:
    alerts = [make_alert("b", Severity.INFO, 20), make_alert("a", Severity.INFO, 25)]
    policy = TenantPolicy(backpressure_sweep_age_minutes=15)
    assert [a.id for a in sweep_candidates(alerts, T0, policy, L.CRITICAL)] == ["a", "b"]


def test_tracker_reports_only_changes() -> None:
    t = LevelTracker()
    assert t.observe("t1", 1000, False, 1000, T0) is None
    up = t.observe("t1", 1001, False, 1000, T0)
    assert up is not None and (up.previous, up.level) == (L.NORMAL, L.ELEVATED)
    assert t.observe("t1", 1500, False, 1000, T0) is None
    assert t.level("t1") is L.ELEVATED and t.snapshot() == {"t1": L.ELEVATED}
    down = t.observe("t1", 999, False, 1000, T0)
    assert down is not None and down.level is L.NORMAL
    assert down.to_dict()["previous"] == "ELEVATED"
    assert t.snapshot() == {}


def test_tracker_observe_all_returns_changes_and_drops_vanished_tenants() -> None:
    t = LevelTracker()
    changes = t.observe_all({"t1": 2000, "t2": 10}, False, T0, lambda _: 1000)
    assert [(c.tenant_id, c.level) for c in changes] == [("t1", L.ELEVATED)]
    changes = t.observe_all({"t2": 10}, True, T0, lambda _: 1000)
    assert [(c.tenant_id, c.level) for c in changes] == [("t1", L.CRITICAL), ("t2", L.CRITICAL)]
    changes = t.observe_all({}, False, T0, lambda _: 1000)
    assert {c.tenant_id for c in changes} == {"t1", "t2"}
    assert all(c.level is L.NORMAL for c in changes)
    assert t.observe_all({}, False, T0, lambda _: 1000) == []
