"""SPEC 4, attendance: missing punch-in after the grace period, poor GPS
accuracy, punch-in outside the site geofence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import AttendanceEvent
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, attendance, evaluate_clock
from noc_actors.domain.rules.attendance import haversine_m

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
GRACE_END = T0 + timedelta(minutes=15)
POLICY = TenantPolicy()
SITE = (51.5000, -0.1200)


def state() -> ClientLiveState:
    s = ClientLiveState(tenant_id="t1", client_id="c1")
    s.set_geofence("s1", SITE[0], SITE[1], 200)
    return s


def shift(id: str = "SH1", **kw: object) -> AttendanceEvent:
    base: dict[str, object] = dict(
        id=id,
        person_id="p1",
        person_name="Alice Guard",
        client_id="c1",
        site_id="s1",
        shift_start=T0,
        shift_end=T0 + timedelta(hours=8),
    )
    base.update(kw)
    return AttendanceEvent(**base)  # type: ignore[arg-type]


def punched(at: datetime = T0, **kw: Any) -> AttendanceEvent:
    return shift(punch_in=at, gps_accuracy_m=10, lat=SITE[0], lon=SITE[1], **kw)


def scheduled(s: ClientLiveState) -> None:
    apply_events(s, [shift()], T0 - timedelta(hours=1), POLICY)


def test_missing_punch_in_raises_on_the_clock_after_the_grace_period() -> None:
    s = state()
    scheduled(s)
    assert evaluate_clock(s, GRACE_END, POLICY).drafts == []
    (draft,) = evaluate_clock(s, GRACE_END + timedelta(seconds=1), POLICY).drafts
    assert draft.alert_type == "ATTENDANCE_MISSING" and draft.severity is Severity.LOW
    assert (draft.entity_type, draft.entity_id, draft.site_id) == ("attendance", "SH1", "s1")
    assert draft.metadata["person_name"] == "Alice Guard"
    assert draft.metadata["person_id"] == "p1"
    assert "Alice" not in draft.message


def test_tenant_attendance_grace_is_honoured() -> None:
    policy = TenantPolicy(attendance_grace_minutes=5)
    s = state()
    apply_events(s, [shift()], T0, policy)
    assert evaluate_clock(s, T0 + timedelta(minutes=5), policy).drafts == []
    assert len(evaluate_clock(s, T0 + timedelta(minutes=6), policy).drafts) == 1


def test_clock_tick_does_not_raise_the_same_missing_twice() -> None:
    s = state()
    scheduled(s)
    assert len(evaluate_clock(s, GRACE_END + timedelta(minutes=1), POLICY).drafts) == 1
    assert evaluate_clock(s, GRACE_END + timedelta(minutes=2), POLICY).drafts == []


def test_later_punch_in_resolves_the_missing_alert() -> None:
    s = state()
    scheduled(s)
    evaluate_clock(s, GRACE_END + timedelta(minutes=1), POLICY)
    late = GRACE_END + timedelta(minutes=10)
    out = apply_events(s, [punched(late)], late, POLICY)
    assert out.drafts == []
    (res,) = out.resolves
    assert (res.alert_type, res.entity_type, res.entity_id) == (
        "ATTENDANCE_MISSING",
        "attendance",
        "SH1",
    )


def test_punch_in_on_time_raises_nothing() -> None:
    s = state()
    scheduled(s)
    out = apply_events(s, [punched(T0 + timedelta(minutes=2))], T0 + timedelta(minutes=2), POLICY)
    assert out.drafts == [] and out.resolves == []
    assert evaluate_clock(s, T0 + timedelta(hours=2), POLICY).drafts == []


def test_shift_not_yet_started_is_not_missing() -> None:
    s = state()
    apply_events(s, [shift(shift_start=T0 + timedelta(hours=1))], T0, POLICY)
    assert evaluate_clock(s, T0 + timedelta(minutes=30), POLICY).drafts == []


def test_punch_in_with_poor_gps_accuracy_raises_attendance_anomaly() -> None:
    s = state()
    scheduled(s)
    out = apply_events(s, [shift(punch_in=T0, gps_accuracy_m=250)], T0, POLICY)
    (draft,) = out.drafts
    assert draft.alert_type == "ATTENDANCE_ANOMALY" and draft.severity is Severity.MEDIUM
    assert draft.metadata["gps_accuracy_m"] == 250
    assert draft.metadata["person_name"] == "Alice Guard"


def test_gps_accuracy_exactly_at_the_limit_is_not_an_anomaly() -> None:
    s = state()
    scheduled(s)
    assert apply_events(s, [shift(punch_in=T0, gps_accuracy_m=100)], T0, POLICY).drafts == []


def test_tenant_gps_accuracy_limit_is_honoured() -> None:
    policy = TenantPolicy(gps_accuracy_max_m=20)
    s = state()
    apply_events(s, [shift()], T0, policy)
    out = apply_events(s, [shift(punch_in=T0, gps_accuracy_m=25)], T0, policy)
    assert [d.alert_type for d in out.drafts] == ["ATTENDANCE_ANOMALY"]


def test_punch_in_outside_the_site_geofence_raises_geofence_breach() -> None:
    s = state()
    scheduled(s)
    far = shift(punch_in=T0, gps_accuracy_m=10, lat=SITE[0] + 0.01, lon=SITE[1])
    (draft,) = apply_events(s, [far], T0, POLICY).drafts
    assert draft.alert_type == "GEOFENCE_BREACH" and draft.severity is Severity.MEDIUM
    assert draft.metadata["radius_m"] == 200
    assert draft.metadata["distance_m"] == pytest.approx(1112, rel=0.01)


def test_punch_in_inside_the_geofence_raises_nothing() -> None:
    s = state()
    scheduled(s)
    near = shift(punch_in=T0, gps_accuracy_m=10, lat=SITE[0] + 0.001, lon=SITE[1])
    assert apply_events(s, [near], T0, POLICY).drafts == []


def test_site_without_geofence_or_punch_without_position_is_not_checked() -> None:
    s = state()
    other_site = shift(site_id="s2", punch_in=T0, lat=0.0, lon=0.0)
    no_position = shift("SH2", punch_in=T0)
    assert apply_events(s, [other_site, no_position], T0, POLICY).drafts == []


def test_poor_gps_outside_the_fence_raises_both() -> None:
    s = state()
    scheduled(s)
    bad = shift(punch_in=T0, gps_accuracy_m=500, lat=SITE[0] + 0.05, lon=SITE[1])
    out = apply_events(s, [bad], T0, POLICY)
    assert sorted(d.alert_type for d in out.drafts) == ["ATTENDANCE_ANOMALY", "GEOFENCE_BREACH"]


def test_punch_anomalies_are_raised_once_per_shift_and_not_auto_resolved() -> None:
    s = state()
    scheduled(s)
    bad = shift(punch_in=T0, gps_accuracy_m=500, lat=SITE[0] + 0.05, lon=SITE[1])
    apply_events(s, [bad], T0, POLICY)
    out = apply_events(
        s,
        [bad.model_copy(update={"punch_out": T0 + timedelta(hours=8)})],
        T0 + timedelta(hours=8),
        POLICY,
    )
    assert out.drafts == [] and out.resolves == []
    assert apply_events(s, [punched()], T0 + timedelta(hours=8), POLICY).resolves == []


def test_shift_ended_long_ago_is_history_and_raises_nothing() -> None:
    s = state()
    old = shift(shift_start=T0 - timedelta(days=3), shift_end=T0 - timedelta(days=3, hours=-8))
    assert apply_events(s, [old], T0, POLICY).drafts == []
    assert s.shifts == {}


def test_ended_shift_leaves_the_live_state_after_the_retention_period() -> None:
    s = state()
    scheduled(s)
    evaluate_clock(s, T0 + timedelta(hours=8 + 24), POLICY)
    assert "SH1" in s.shifts
    evaluate_clock(s, T0 + timedelta(hours=8 + 24, seconds=1), POLICY)
    assert s.shifts == {} and s.raised == {}


def test_haversine_distance_of_one_degree_of_latitude() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(10, 20, 10, 20) == 0


def test_shift_of_another_client_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        attendance.on_event(state(), shift(client_id="c2"), T0, POLICY)
    assert err.value.field == "client_id"
