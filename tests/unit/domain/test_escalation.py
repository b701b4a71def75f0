"""SPEC 5: escalation deadlines, targets, the schedule and its fencing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import Severity
from noc_actors.domain.escalation import (
    Deadline,
    EscalationContacts,
    EscalationPolicy,
    EscalationSchedule,
    EscalationTarget,
    due,
    fencing_ok,
    first_deadline,
    next_deadline,
    pending_deadline,
)
from noc_actors.domain.policy import TenantPolicy

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
POLICY = TenantPolicy()
MIN = timedelta(minutes=1)


def make_alert(severity: Severity = Severity.CRITICAL, **kw: object) -> Alert:
    base: dict[str, object] = dict(
        id="a1",
        tenant_id="t1",
        client_id="c1",
        alert_type="DEVICE_OFFLINE",
        severity=severity,
        message="m",
        dedup_key="k",
        first_seen=T0,
        last_seen=T0,
        site_id="s1",
    )
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def dl(minutes: float, alert_id: str = "a1", level: int = 1) -> Deadline:
    return Deadline(T0 + timedelta(minutes=minutes), alert_id, level, "c1", "t1")


@pytest.mark.parametrize(
    ("severity", "minutes"),
    [(Severity.CRITICAL, 15), (Severity.HIGH, 30), (Severity.MEDIUM, 60), (Severity.LOW, 120)],
)
def test_alert_escalates_after_its_severity_delay(severity: Severity, minutes: int) -> None:
    assert first_deadline(make_alert(severity), POLICY) == T0 + timedelta(minutes=minutes)


def test_info_alert_never_escalates() -> None:
    a = make_alert(Severity.INFO)
    assert first_deadline(a, POLICY) is None
    assert pending_deadline(a, POLICY) is None


def test_critical_alert_escalates_exactly_at_15_minutes_not_before() -> None:
    a = make_alert()
    deadline = first_deadline(a, POLICY)
    assert deadline is not None
    assert not due(a, deadline, T0 + 15 * MIN - timedelta(microseconds=1))
    assert due(a, deadline, T0 + 15 * MIN)
    assert due(a, deadline, T0 + 16 * MIN)


def test_acknowledged_alert_is_not_due_and_gets_no_deadline() -> None:
    a = make_alert()
    deadline = first_deadline(a, POLICY)
    assert deadline is not None
    a.acknowledge("u1", T0 + 5 * MIN)
    assert not due(a, deadline, T0 + 20 * MIN)
    assert first_deadline(a, POLICY) is None
    assert pending_deadline(a, POLICY) is None


def test_suppressed_and_resolved_alerts_are_never_due() -> None:
    s = make_alert()
    s.suppress("maintenance")
    r = make_alert()
    r.resolve("u1", T0)
    for a in (s, r):
        assert not due(a, T0, T0 + 60 * MIN)
        assert first_deadline(a, POLICY) is None


def test_escalated_but_unacknowledged_alert_stays_due_for_next_level() -> None:
    a = make_alert()
    a.escalate("oncall-1", T0 + 15 * MIN)
    nxt = next_deadline(a, 1, POLICY)
    assert nxt == T0 + 30 * MIN
    assert due(a, nxt, T0 + 30 * MIN)


def test_tenant_configured_delays_apply() -> None:
    policy = TenantPolicy(escalation_minutes={Severity.CRITICAL: 5, Severity.INFO: 240})
    assert first_deadline(make_alert(), policy) == T0 + 5 * MIN
    assert first_deadline(make_alert(Severity.INFO), policy) == T0 + 240 * MIN
    assert first_deadline(make_alert(Severity.HIGH), policy) == T0 + 30 * MIN


def test_next_level_counts_from_the_last_escalation() -> None:
    a = make_alert(Severity.HIGH)
    a.escalate("x", T0 + 40 * MIN)  # the timer fired late
    assert next_deadline(a, 1, POLICY) == T0 + 70 * MIN


def test_next_level_without_escalation_time_counts_from_the_schedule() -> None:
    a = make_alert(Severity.HIGH)
    assert next_deadline(a, 2, POLICY) == T0 + 90 * MIN


def test_levels_stop_at_the_tenant_maximum_and_the_chain_length() -> None:
    policy = TenantPolicy(escalation_max_levels=3)
    a = make_alert()
    assert next_deadline(a, 2, policy) is not None
    assert next_deadline(a, 3, policy) is None
    assert next_deadline(a, 1, POLICY, chain_length=2) is not None
    assert next_deadline(a, 2, POLICY, chain_length=2) is None
    assert pending_deadline(a, POLICY, chain_length=0) is None


def test_pending_deadline_rebuilds_from_stored_level() -> None:
    a = make_alert()
    assert pending_deadline(a, POLICY) == dl(15, level=1)
    a.escalate("x", T0 + 15 * MIN)
    d = pending_deadline(a, POLICY)
    assert d is not None and d.level == 2 and d.due_at == T0 + 30 * MIN


CONTACTS = EscalationContacts(
    site_oncall={"s1": "oncall-1"},
    site_incharge={"s1": "incharge-1", "s2": "incharge-2"},
    client_owner={"c1": "owner-1"},
)


def test_targets_follow_site_oncall_incharge_client_owner_tenant_admins() -> None:
    policy = EscalationPolicy.default()
    labels = [policy.target_for(n, CONTACTS, "c1", "s1") for n in range(1, 6)]
    assert [t.label if t else None for t in labels] == [
        "oncall-1",
        "incharge-1",
        "owner-1",
        "tenant_admins",
        None,
    ]


def test_missing_contacts_are_skipped() -> None:
    chain = EscalationPolicy.default().resolve_chain(CONTACTS, "c1", "s2")
    assert [t.kind for t in chain] == ["site_incharge", "client_owner", "tenant_admins"]
    no_site = EscalationPolicy.default().resolve_chain(CONTACTS, "c9", None)
    assert [t.label for t in no_site] == ["tenant_admins"]


def test_a_pinned_ref_wins_over_contacts() -> None:
    policy = EscalationPolicy((EscalationTarget("client_owner", ref="vip"),))
    assert policy.target_for(1, CONTACTS, "c1", "s1") == EscalationTarget("client_owner", "vip")


def test_unknown_target_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        EscalationTarget("the_ceo")  # type: ignore[arg-type]


def test_fencing_accepts_only_the_next_level() -> None:
    assert fencing_ok(0, dl(15, level=1))
    assert not fencing_ok(1, dl(15, level=1))  # already fired (replay, second replica)
    assert not fencing_ok(0, dl(30, level=2))


def test_schedule_pops_due_deadlines_in_order() -> None:
    s = EscalationSchedule([dl(30, "b"), dl(15, "a"), dl(60, "c")])
    assert len(s) == 3 and s.next_due_at() == T0 + 15 * MIN
    assert s.pop_due(T0 + 14 * MIN) == []
    assert [d.alert_id for d in s.pop_due(T0 + 30 * MIN)] == ["a", "b"]
    assert len(s) == 1 and "c" in s


def test_schedule_cancel_is_lazy_and_skips_cancelled() -> None:
    s = EscalationSchedule([dl(15, "a"), dl(30, "b")])
    assert s.cancel("a") is True
    assert s.cancel("a") is False
    assert len(s) == 1
    assert s.next_due_at() == T0 + 30 * MIN
    assert [d.alert_id for d in s.pop_due(T0 + 60 * MIN)] == ["b"]
    assert s.next_due_at() is None and len(s) == 0


def test_schedule_push_replaces_an_alerts_pending_deadline() -> None:
    s = EscalationSchedule([dl(15, "a", level=1)])
    s.push(dl(30, "a", level=2))
    assert len(s) == 1
    assert s.pop_due(T0 + 20 * MIN) == []
    assert s.pop_due(T0 + 30 * MIN) == [dl(30, "a", level=2)]


def test_schedule_compacts_after_many_cancels() -> None:
    s = EscalationSchedule(dl(i, f"a{i}") for i in range(500))
    for i in range(499):
        s.cancel(f"a{i}")
    assert len(s) == 1
    assert len(s._heap) < 200
    assert s.pop_due(T0 + 600 * MIN) == [dl(499, "a499")]


def test_empty_schedule() -> None:
    s = EscalationSchedule()
    assert s.next_due_at() is None and s.pop_due(T0) == [] and len(s) == 0
