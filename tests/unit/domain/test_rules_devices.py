"""SPEC 4, devices: OFFLINE or silent past the tenant threshold raises
DEVICE_OFFLINE; back online resolves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import DeviceEvent
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, devices, evaluate_clock

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
POLICY = TenantPolicy()


def state() -> ClientLiveState:
    return ClientLiveState(tenant_id="t1", client_id="c1")


def device(id: str = "D1", **kw: object) -> DeviceEvent:
    base: dict[str, object] = dict(
        id=id, client_id="c1", site_id="s1", status="ONLINE", last_seen=T0
    )
    base.update(kw)
    return DeviceEvent(**base)  # type: ignore[arg-type]


def online_known(s: ClientLiveState) -> None:
    apply_events(s, [device()], T0, POLICY)


def test_device_reporting_offline_raises_device_offline_high() -> None:
    s = state()
    online_known(s)
    (draft,) = apply_events(s, [device(status="OFFLINE")], T0, POLICY).drafts
    assert draft.alert_type == "DEVICE_OFFLINE" and draft.severity is Severity.HIGH
    assert (draft.entity_type, draft.entity_id, draft.site_id) == ("device", "D1", "s1")
    assert "OFFLINE" in draft.message


def test_silent_device_goes_offline_on_the_clock_after_30_minutes() -> None:
    s = state()
    online_known(s)
    assert evaluate_clock(s, T0 + timedelta(minutes=30), POLICY).drafts == []
    (draft,) = evaluate_clock(s, T0 + timedelta(minutes=30, seconds=1), POLICY).drafts
    assert draft.alert_type == "DEVICE_OFFLINE"
    assert draft.metadata["threshold_minutes"] == 30


def test_tenant_offline_threshold_is_honoured() -> None:
    policy = TenantPolicy(device_offline_minutes=5)
    s = state()
    apply_events(s, [device()], T0, policy)
    assert evaluate_clock(s, T0 + timedelta(minutes=5), policy).drafts == []
    assert len(evaluate_clock(s, T0 + timedelta(minutes=6), policy).drafts) == 1


def test_clock_tick_does_not_raise_the_same_offline_twice() -> None:
    s = state()
    online_known(s)
    assert len(evaluate_clock(s, T0 + timedelta(hours=1), POLICY).drafts) == 1
    assert evaluate_clock(s, T0 + timedelta(hours=2), POLICY).drafts == []


def test_device_back_online_resolves_its_offline_alert() -> None:
    s = state()
    online_known(s)
    apply_events(s, [device(status="OFFLINE")], T0, POLICY)
    back = T0 + timedelta(minutes=10)
    out = apply_events(s, [device(last_seen=back)], back, POLICY)
    assert out.drafts == []
    (res,) = out.resolves
    assert (res.alert_type, res.entity_type, res.entity_id) == ("DEVICE_OFFLINE", "device", "D1")


def test_online_report_with_a_stale_last_seen_does_not_resolve() -> None:
    s = state()
    online_known(s)
    evaluate_clock(s, T0 + timedelta(hours=1), POLICY)
    out = apply_events(
        s, [device(last_seen=T0 + timedelta(minutes=1))], T0 + timedelta(hours=1), POLICY
    )
    assert out.drafts == [] and out.resolves == []


def test_device_offline_again_after_recovery_raises_again() -> None:
    s = state()
    online_known(s)
    apply_events(s, [device(status="OFFLINE")], T0, POLICY)
    t1 = T0 + timedelta(minutes=1)
    apply_events(s, [device(last_seen=t1)], t1, POLICY)
    out = apply_events(s, [device(status="OFFLINE", last_seen=t1)], t1, POLICY)
    assert [d.alert_type for d in out.drafts] == ["DEVICE_OFFLINE"]


def test_out_of_order_older_device_event_is_ignored() -> None:
    s = state()
    apply_events(s, [device(last_seen=T0 + timedelta(minutes=5))], T0, POLICY)
    out = apply_events(s, [device(status="OFFLINE", last_seen=T0)], T0, POLICY)
    assert out.drafts == [] and s.devices["D1"].status == "ONLINE"


def test_device_first_seen_online_asks_to_resolve_alerts_of_a_lost_state() -> None:
    out = apply_events(state(), [device()], T0, POLICY)
    assert out.drafts == [] and [r.alert_type for r in out.resolves] == ["DEVICE_OFFLINE"]


def test_known_device_staying_online_changes_nothing() -> None:
    s = state()
    online_known(s)
    t1 = T0 + timedelta(minutes=1)
    out = apply_events(s, [device(last_seen=t1)], t1, POLICY)
    assert out.drafts == [] and out.resolves == []


def test_devices_stay_in_the_live_state() -> None:
    s = state()
    online_known(s)
    evaluate_clock(s, T0 + timedelta(days=3), POLICY)
    assert "D1" in s.devices


def test_offline_draft_names_the_device_in_metadata() -> None:
    s = state()
    online_known(s)
    (draft,) = apply_events(s, [device(status="OFFLINE", name="Gate cam")], T0, POLICY).drafts
    assert draft.metadata["device_name"] == "Gate cam"
    assert draft.metadata["last_seen"] == T0.isoformat()


def test_device_of_another_client_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        devices.on_event(state(), device(client_id="c2"), T0, POLICY)
    assert err.value.field == "client_id"
