"""SPEC 4, tickets: SLA breach (also on the clock), escalation, auto-resolve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.draft import RuleOutput
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import TicketEvent
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, evaluate_clock, tickets

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
POLICY = TenantPolicy()


def state() -> ClientLiveState:
    return ClientLiveState(tenant_id="t1", client_id="c1")


def ticket(id: str = "T1", **kw: object) -> TicketEvent:
    base: dict[str, object] = dict(
        id=id, client_id="c1", site_id="s1", priority="P1", status="OPEN", created_at=T0
    )
    base.update(kw)
    return TicketEvent(**base)  # type: ignore[arg-type]


def types(out: RuleOutput) -> list[str]:
    return [d.alert_type for d in out.drafts]


def test_p1_ticket_breaches_sla_on_the_clock_without_a_new_event() -> None:
    s = state()
    assert apply_events(s, [ticket()], T0, POLICY).drafts == []
    assert evaluate_clock(s, T0 + timedelta(hours=3, minutes=59), POLICY).drafts == []
    out = evaluate_clock(s, T0 + timedelta(hours=4, seconds=1), POLICY)
    (draft,) = out.drafts
    assert draft.alert_type == "SLA_BREACH" and draft.severity is Severity.CRITICAL
    assert (draft.entity_type, draft.entity_id) == ("ticket", "T1")


def test_ticket_exactly_at_sla_deadline_does_not_breach() -> None:
    s = state()
    apply_events(s, [ticket()], T0, POLICY)
    assert evaluate_clock(s, T0 + timedelta(hours=4), POLICY).drafts == []
    assert types(evaluate_clock(s, T0 + timedelta(hours=4, microseconds=1), POLICY)) == [
        "SLA_BREACH"
    ]


@pytest.mark.parametrize(
    ("priority", "hours", "severity"),
    [
        ("P1", 4, Severity.CRITICAL),
        ("HIGH", 4, Severity.CRITICAL),
        ("P2", 8, Severity.HIGH),
        ("MEDIUM", 8, Severity.HIGH),
        ("P3", 24, Severity.HIGH),
        ("LOW", 24, Severity.HIGH),
        ("P4", 72, Severity.HIGH),
    ],
)
def test_sla_per_priority_and_breach_severity(
    priority: str, hours: int, severity: Severity
) -> None:
    s = state()
    apply_events(s, [ticket(priority=priority)], T0, POLICY)
    assert evaluate_clock(s, T0 + timedelta(hours=hours), POLICY).drafts == []
    (draft,) = evaluate_clock(s, T0 + timedelta(hours=hours, seconds=1), POLICY).drafts
    assert draft.severity is severity
    assert draft.metadata["priority"] == priority and draft.metadata["sla_hours"] == hours


def test_tenant_configured_sla_hours_are_honoured() -> None:
    policy = TenantPolicy(sla_hours={"p1": 1, "P4": 2})
    s = state()
    apply_events(s, [ticket("A"), ticket("B", priority="P4")], T0, policy)
    assert types(evaluate_clock(s, T0 + timedelta(minutes=61), policy)) == ["SLA_BREACH"]
    out = evaluate_clock(s, T0 + timedelta(minutes=121), policy)
    assert [d.entity_id for d in out.drafts] == ["B"]


def test_clock_tick_does_not_raise_the_same_breach_twice() -> None:
    s = state()
    apply_events(s, [ticket()], T0, POLICY)
    assert len(evaluate_clock(s, T0 + timedelta(hours=5), POLICY).drafts) == 1
    assert evaluate_clock(s, T0 + timedelta(hours=6), POLICY).drafts == []
    assert apply_events(s, [ticket(assignee="Bob")], T0 + timedelta(hours=7), POLICY).drafts == []


def test_ticket_already_past_its_sla_breaches_when_it_arrives() -> None:
    out = apply_events(state(), [ticket()], T0 + timedelta(hours=5), POLICY)
    assert types(out) == ["SLA_BREACH"]


def test_onhold_ticket_still_breaches() -> None:
    out = apply_events(state(), [ticket(status="ONHOLD")], T0 + timedelta(hours=5), POLICY)
    assert types(out) == ["SLA_BREACH"]


@pytest.mark.parametrize("status", ["RESOLVED", "CLOSED", "CANCELLED"])
def test_closing_a_breached_escalated_ticket_resolves_its_alerts(status: str) -> None:
    s = state()
    now = T0 + timedelta(hours=5)
    out = apply_events(s, [ticket(escalation_level=1)], now, POLICY)
    assert sorted(types(out)) == ["SLA_BREACH", "TICKET_ESCALATED"]
    out = apply_events(s, [ticket(status=status, escalation_level=1)], now, POLICY)
    assert out.drafts == []
    assert sorted((r.alert_type, r.entity_type, r.entity_id) for r in out.resolves) == [
        ("SLA_BREACH", "ticket", "T1"),
        ("TICKET_ESCALATED", "ticket", "T1"),
    ]
    assert s.raised == {}
    assert evaluate_clock(s, now + timedelta(hours=1), POLICY).drafts == []


def test_closing_a_ticket_twice_resolves_only_once() -> None:
    s = state()
    now = T0 + timedelta(hours=5)
    apply_events(s, [ticket()], now, POLICY)
    assert len(apply_events(s, [ticket(status="CLOSED")], now, POLICY).resolves) == 1
    assert apply_events(s, [ticket(status="CLOSED")], now, POLICY).resolves == []


def test_ticket_first_seen_closed_asks_to_resolve_alerts_of_a_lost_state() -> None:
    out = apply_events(state(), [ticket(status="CLOSED")], T0, POLICY)
    assert out.drafts == []
    assert {r.alert_type for r in out.resolves} == {"SLA_BREACH", "TICKET_ESCALATED"}


def test_reopened_ticket_breaches_again() -> None:
    s = state()
    now = T0 + timedelta(hours=5)
    apply_events(s, [ticket()], now, POLICY)
    apply_events(s, [ticket(status="CLOSED")], now, POLICY)
    assert types(apply_events(s, [ticket(status="OPEN")], now, POLICY)) == ["SLA_BREACH"]


def test_closed_ticket_leaves_the_live_state_after_the_retention_period() -> None:
    s = state()
    apply_events(s, [ticket(status="CLOSED")], T0, POLICY)
    evaluate_clock(s, T0 + timedelta(hours=23), POLICY)
    assert "T1" in s.tickets
    evaluate_clock(s, T0 + timedelta(hours=24, seconds=1), POLICY)
    assert s.tickets == {} and s.closed_at == {}


def test_lower_priority_no_longer_past_its_sla_resolves_the_breach() -> None:
    s = state()
    now = T0 + timedelta(hours=5)
    apply_events(s, [ticket()], now, POLICY)
    out = apply_events(s, [ticket(priority="P3")], now, POLICY)
    assert [r.alert_type for r in out.resolves] == ["SLA_BREACH"]


def test_rising_escalation_level_raises_ticket_escalated_medium() -> None:
    s = state()
    apply_events(s, [ticket()], T0, POLICY)
    (draft,) = apply_events(s, [ticket(escalation_level=1)], T0, POLICY).drafts
    assert draft.alert_type == "TICKET_ESCALATED" and draft.severity is Severity.MEDIUM
    assert draft.metadata["escalation_level"] == 1
    assert draft.metadata["previous_escalation_level"] == 0


def test_same_or_lower_escalation_level_raises_nothing() -> None:
    s = state()
    apply_events(s, [ticket(escalation_level=2)], T0, POLICY)
    assert apply_events(s, [ticket(escalation_level=2)], T0, POLICY).drafts == []
    assert apply_events(s, [ticket(escalation_level=1)], T0, POLICY).drafts == []


def test_each_further_rise_raises_again() -> None:
    s = state()
    apply_events(s, [ticket(escalation_level=1)], T0, POLICY)
    assert types(apply_events(s, [ticket(escalation_level=2)], T0, POLICY)) == ["TICKET_ESCALATED"]


def test_ticket_first_seen_already_escalated_raises_ticket_escalated() -> None:
    assert types(apply_events(state(), [ticket(escalation_level=1)], T0, POLICY)) == [
        "TICKET_ESCALATED"
    ]


def test_escalation_of_a_closed_ticket_raises_nothing() -> None:
    out = apply_events(state(), [ticket(status="CLOSED", escalation_level=3)], T0, POLICY)
    assert out.drafts == []


def test_breach_draft_carries_tenant_client_site_entity_and_assignee() -> None:
    t = ticket(assignee="Jane Doe", title="Lift stuck", site_id="s9")
    (draft,) = apply_events(state(), [t], T0 + timedelta(hours=5), POLICY).drafts
    assert (draft.tenant_id, draft.client_id, draft.site_id) == ("t1", "c1", "s9")
    assert draft.metadata["assignee"] == "Jane Doe" and draft.metadata["title"] == "Lift stuck"
    assert "Jane" not in draft.message and "T1" in draft.message
    assert draft.observed_at == T0 + timedelta(hours=5)


def test_ticket_without_site_gives_a_draft_without_site() -> None:
    (draft,) = apply_events(state(), [ticket(site_id=None)], T0 + timedelta(hours=5), POLICY).drafts
    assert draft.site_id is None


def test_ticket_of_another_client_is_rejected() -> None:
    with pytest.raises(InvalidInput) as err:
        tickets.on_event(state(), ticket(client_id="c2"), T0, POLICY)
    assert err.value.field == "client_id"
