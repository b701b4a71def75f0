"""SPEC 4, work orders: overdue past expires_at (also on the clock), resolved
when completed, cancelled or closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import WorkOrderEvent
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, evaluate_clock, work_orders

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(hours=2)
POLICY = TenantPolicy()


def state() -> ClientLiveState:
    return ClientLiveState(tenant_id="t1", client_id="c1")


def order(id: str = "W1", **kw: object) -> WorkOrderEvent:
    base: dict[str, object] = dict(
        id=id, client_id="c1", site_id="s1", status="ASSIGNED", planned_at=T0, expires_at=EXPIRES
    )
    base.update(kw)
    return WorkOrderEvent(**base)  # type: ignore[arg-type]


def test_work_order_becomes_overdue_on_the_clock_without_a_new_event() -> None:
    s = state()
    assert apply_events(s, [order()], T0, POLICY).drafts == []
    (draft,) = evaluate_clock(s, EXPIRES + timedelta(minutes=30), POLICY).drafts
    assert draft.alert_type == "WORK_ORDER_OVERDUE" and draft.severity is Severity.MEDIUM
    assert (draft.entity_type, draft.entity_id, draft.site_id) == ("work_order", "W1", "s1")
    assert draft.metadata["overdue_minutes"] == 30.0
    assert draft.metadata["expires_at"] == EXPIRES.isoformat()


def test_work_order_exactly_at_expiry_is_not_overdue() -> None:
    s = state()
    apply_events(s, [order()], T0, POLICY)
    assert evaluate_clock(s, EXPIRES, POLICY).drafts == []
    assert len(evaluate_clock(s, EXPIRES + timedelta(microseconds=1), POLICY).drafts) == 1


@pytest.mark.parametrize("status", ["ASSIGNED", "RE_ASSIGNED", "INPROGRESS"])
def test_every_unfinished_status_can_be_overdue(status: str) -> None:
    out = apply_events(state(), [order(status=status)], EXPIRES + timedelta(minutes=1), POLICY)
    assert [d.alert_type for d in out.drafts] == ["WORK_ORDER_OVERDUE"]


@pytest.mark.parametrize("status", ["COMPLETED", "CANCELLED", "CLOSED"])
def test_finished_work_order_resolves_its_overdue_alert(status: str) -> None:
    s = state()
    late = EXPIRES + timedelta(hours=1)
    apply_events(s, [order()], late, POLICY)
    out = apply_events(s, [order(status=status)], late, POLICY)
    assert out.drafts == []
    (res,) = out.resolves
    assert (res.alert_type, res.entity_type, res.entity_id) == (
        "WORK_ORDER_OVERDUE",
        "work_order",
        "W1",
    )
    assert evaluate_clock(s, late + timedelta(hours=1), POLICY).drafts == []


def test_finished_work_order_is_never_overdue() -> None:
    s = state()
    apply_events(s, [order(status="COMPLETED")], T0, POLICY)
    assert evaluate_clock(s, EXPIRES + timedelta(hours=5), POLICY).drafts == []


def test_clock_tick_does_not_raise_the_same_overdue_twice() -> None:
    s = state()
    apply_events(s, [order()], T0, POLICY)
    assert len(evaluate_clock(s, EXPIRES + timedelta(minutes=1), POLICY).drafts) == 1
    assert evaluate_clock(s, EXPIRES + timedelta(minutes=2), POLICY).drafts == []
    out = apply_events(s, [order(status="INPROGRESS")], EXPIRES + timedelta(minutes=3), POLICY)
    assert out.drafts == [] and out.resolves == []


def test_extended_expiry_resolves_the_overdue_alert() -> None:
    s = state()
    now = EXPIRES + timedelta(minutes=5)
    apply_events(s, [order()], now, POLICY)
    out = apply_events(s, [order(expires_at=now + timedelta(hours=1))], now, POLICY)
    assert [r.alert_type for r in out.resolves] == ["WORK_ORDER_OVERDUE"]


def test_work_order_first_seen_finished_asks_to_resolve_alerts_of_a_lost_state() -> None:
    out = apply_events(state(), [order(status="CLOSED")], T0, POLICY)
    assert [r.alert_type for r in out.resolves] == ["WORK_ORDER_OVERDUE"]


def test_finished_work_order_is_kept_for_the_retention_period_then_dropped() -> None:
    s = state()
    apply_events(s, [order(status="COMPLETED")], T0, POLICY)
    evaluate_clock(s, T0 + timedelta(hours=24), POLICY)
    assert "W1" in s.work_orders
    evaluate_clock(s, T0 + timedelta(hours=24, seconds=1), POLICY)
    assert s.work_orders == {}


def test_reopened_work_order_is_no_longer_scheduled_for_removal() -> None:
    s = state()
    apply_events(s, [order(status="COMPLETED")], T0, POLICY)
    apply_events(s, [order(status="RE_ASSIGNED", expires_at=T0 + timedelta(days=3))], T0, POLICY)
    evaluate_clock(s, T0 + timedelta(hours=30), POLICY)
    assert "W1" in s.work_orders


def test_work_order_of_another_client_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        work_orders.on_event(state(), order(client_id="other"), T0, POLICY)
    assert err.value.field == "client_id"
