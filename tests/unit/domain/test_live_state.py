"""SPEC 4: the live state of one client — batches applied in order, the
"already raised" memory, persistence across a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import AttendanceEvent, DeviceEvent, TicketEvent, WorkOrderEvent
from noc_actors.domain.live_state import ClientLiveState, Geofence
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, evaluate_clock

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
POLICY = TenantPolicy()


def state() -> ClientLiveState:
    return ClientLiveState(tenant_id="t1", client_id="c1")


def ticket(status: str = "OPEN", client_id: str = "c1") -> TicketEvent:
    return TicketEvent.model_validate(
        dict(
            id="T1",
            client_id=client_id,
            priority="P1",
            status=status,
            created_at=T0,
            assignee="Jane",
        )
    )


def busy_state() -> ClientLiveState:
    s = state()
    s.set_geofence("s1", 51.5, -0.12, 150)
    events: list[Any] = [
        ticket(),
        WorkOrderEvent(
            id="W1",
            client_id="c1",
            site_id="s1",
            status="COMPLETED",  # type: ignore[arg-type]
            planned_at=T0,
            expires_at=T0 + timedelta(hours=1),
        ),
        DeviceEvent(
            id="D1",
            client_id="c1",
            site_id="s1",
            status="OFFLINE",  # type: ignore[arg-type]
            last_seen=T0,
            name="Cam",
        ),
        AttendanceEvent(
            id="SH1",
            person_id="p1",
            person_name="Al",
            client_id="c1",
            site_id="s1",
            shift_start=T0,
            shift_end=T0 + timedelta(hours=8),
            punch_in=T0,
            gps_accuracy_m=5,
            lat=51.5,
            lon=-0.12,
        ),
    ]
    apply_events(s, events, T0, POLICY)
    evaluate_clock(s, T0 + timedelta(hours=5), POLICY)
    return s


def test_empty_batch_changes_nothing() -> None:
    s = busy_state()
    before = s.to_dict()
    out = apply_events(s, [], T0 + timedelta(hours=5), POLICY)
    assert out.drafts == [] and out.resolves == []
    assert s.to_dict() == before


def test_empty_state_clock_tick_raises_nothing() -> None:
    out = evaluate_clock(state(), T0, POLICY)
    assert out.drafts == [] and out.resolves == []


def test_batch_is_applied_in_order() -> None:
    s = state()
    out = apply_events(s, [ticket(), ticket("CLOSED")], T0 + timedelta(hours=5), POLICY)
    assert [d.alert_type for d in out.drafts] == ["SLA_BREACH"]
    assert [r.alert_type for r in out.resolves] == ["SLA_BREACH"]
    assert s.tickets["T1"].status == "CLOSED"


def test_event_of_another_client_rejects_the_batch_naming_the_item() -> None:
    s = state()
    with pytest.raises(InvalidInput) as err:
        apply_events(s, [ticket(), ticket(client_id="c2")], T0, POLICY)
    assert err.value.field == "client_id" and err.value.item == 1
    assert s.tickets == {}, "nothing of the batch is applied"


def test_something_that_is_not_an_event_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        apply_events(state(), [{"kind": "ticket"}], T0, POLICY)  # type: ignore[list-item]
    assert err.value.field == "kind" and err.value.item == 0


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate_clock(state(), datetime(2026, 11, 26, 8, 0), POLICY)


def test_state_round_trips_through_json() -> None:
    s = busy_state()
    data = json.loads(json.dumps(s.to_dict()))
    assert ClientLiveState.from_dict(data) == s
    assert data["raised"] == {
        "device": {"D1": ["DEVICE_OFFLINE"]},
        "ticket": {"T1": ["SLA_BREACH"]},
    }
    assert data["geofences"] == {"s1": [51.5, -0.12, 150.0]}


def test_reloaded_state_does_not_raise_again_on_the_next_tick() -> None:
    s = busy_state()
    reloaded = ClientLiveState.from_dict(json.loads(json.dumps(s.to_dict())))
    assert evaluate_clock(reloaded, T0 + timedelta(hours=6), POLICY).drafts == []


def test_reloaded_state_still_resolves_what_it_raised() -> None:
    reloaded = ClientLiveState.from_dict(busy_state().to_dict())
    out = apply_events(reloaded, [ticket("CLOSED")], T0 + timedelta(hours=6), POLICY)
    assert [r.alert_type for r in out.resolves] == ["SLA_BREACH"]


def test_reloaded_state_keeps_closed_marks_for_pruning() -> None:
    reloaded = ClientLiveState.from_dict(busy_state().to_dict())
    assert "W1" in reloaded.work_orders
    evaluate_clock(reloaded, T0 + timedelta(hours=24, seconds=1), POLICY)
    assert reloaded.work_orders == {}


def test_unknown_state_version_is_refused() -> None:
    data = state().to_dict()
    data["version"] = 99
    with pytest.raises(InvalidInput) as err:
        ClientLiveState.from_dict(data)
    assert err.value.field == "version"


def test_geofence_is_stored_as_a_tuple_and_validated() -> None:
    s = state()
    s.set_geofence("s1", 10, 20, 50)
    assert s.geofences["s1"] == (10.0, 20.0, 50.0) == Geofence(10, 20, 50)
    with pytest.raises(InvalidInput):
        s.set_geofence("s1", 10, 20, 0)
    with pytest.raises(InvalidInput):
        s.set_geofence("s1", 95, 20, 10)


def test_settle_raises_once_while_the_condition_holds_and_resolves_once() -> None:
    s = state()

    def make() -> Any:
        return s.draft("X", "x", entity_type="ticket", entity_id="T1", site_id=None, now=T0)

    kw: dict[str, Any] = {"make_draft": make, "reason": "fixed"}
    assert len(s.settle("ticket", "T1", "X", holds=True, **kw).drafts) == 1
    assert s.settle("ticket", "T1", "X", holds=True, **kw).drafts == []
    assert len(s.settle("ticket", "T1", "X", holds=False, **kw).resolves) == 1
    assert s.settle("ticket", "T1", "X", holds=False, **kw).resolves == []
    assert s.raised == {}


def test_drafts_carry_the_tenant_and_client_of_the_state() -> None:
    d = state().draft("X", "m", entity_type="device", entity_id="D1", site_id="s1", now=T0)
    assert (d.tenant_id, d.client_id, d.observed_at) == ("t1", "c1", T0)
