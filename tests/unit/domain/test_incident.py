"""SPEC 7: incidents, their state machine and the critical-burst rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import IncidentState as S
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput, InvalidTransition
from noc_actors.domain.incident import (
    TRANSITION_AUDIT,
    Incident,
    create_incident,
    critical_burst,
)
from noc_actors.domain.policy import TenantPolicy

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def make_alert(
    aid: str, severity: Severity = Severity.CRITICAL, minutes_ago: float = 0, **kw: object
) -> Alert:
    seen = T0 - minutes_ago * MIN
    base: dict[str, object] = dict(
        id=aid,
        tenant_id="t1",
        client_id="c1",
        alert_type="SECURITY_ANOMALY",
        severity=severity,
        message="m",
        dedup_key=aid,
        first_seen=seen,
        last_seen=seen,
        site_id="s1",
    )
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def make_incident(*severities: Severity) -> Incident:
    alerts = [make_alert(f"a{i}", s) for i, s in enumerate(severities or (Severity.HIGH,))]
    return create_incident(alerts, "Door forced", T0, incident_id="i1")


def test_incident_severity_is_the_highest_of_its_alerts() -> None:
    inc = make_incident(Severity.LOW, Severity.CRITICAL, Severity.MEDIUM)
    assert inc.severity is Severity.CRITICAL
    assert inc.priority == "P1"
    assert inc.state is S.NEW
    assert inc.alert_ids == ["a0", "a1", "a2"]
    assert (inc.tenant_id, inc.client_id, inc.site_id) == ("t1", "c1", "s1")


@pytest.mark.parametrize(
    ("severity", "hours"),
    [
        (Severity.CRITICAL, 4),
        (Severity.HIGH, 8),
        (Severity.MEDIUM, 24),
        (Severity.LOW, 72),
        (Severity.INFO, 72),
    ],
)
def test_default_sla_target_follows_severity(severity: Severity, hours: int) -> None:
    assert make_incident(severity).sla_target == T0 + timedelta(hours=hours)


def test_incident_needs_alerts_of_one_client_and_a_title() -> None:
    with pytest.raises(InvalidInput):
        create_incident([], "t", T0)
    with pytest.raises(InvalidInput):
        create_incident([make_alert("a")], "  ", T0)
    with pytest.raises(InvalidInput) as exc:
        create_incident([make_alert("a"), make_alert("b", client_id="c2")], "t", T0)
    assert exc.value.item == 1
    with pytest.raises(InvalidInput):
        create_incident([make_alert("a"), make_alert("b", tenant_id="t2")], "t", T0)


def test_site_is_dropped_when_alerts_span_sites_and_duplicates_fold() -> None:
    a = make_alert("a")
    inc = create_incident([a, make_alert("b", site_id="s2"), a], "t", T0)
    assert inc.site_id is None
    assert inc.alert_ids == ["a", "b"]


def test_full_walk_records_timings() -> None:
    inc = make_incident()
    inc.acknowledge("u1", T0 + 5 * MIN)
    inc.assign("u2", T0 + 10 * MIN, by="u1")
    inc.start(T0 + 12 * MIN)
    assert inc.state is S.IN_PROGRESS
    assert inc.resolve("u2", T0 + 60 * MIN, notes="fixed") == ["a0"]
    inc.close("u1", T0 + 61 * MIN)
    assert inc.state is S.CLOSED
    assert (inc.time_to_ack, inc.time_to_assign, inc.time_to_resolve) == (300, 600, 3600)
    assert inc.sla_met is True
    d = inc.to_dict()
    assert d["time_to_resolve"] == 3600 and d["state"] == "CLOSED" and d["sla_met"] is True


def test_assign_may_skip_acknowledge() -> None:
    inc = make_incident()
    inc.assign("u2", T0 + 3 * MIN, by="u1")
    assert inc.state is S.ASSIGNED
    assert inc.acknowledged_at == T0 + 3 * MIN and inc.acknowledged_by == "u1"


def test_reassign_keeps_state_and_first_assignment_time() -> None:
    inc = make_incident()
    inc.assign("u2", T0 + 3 * MIN)
    inc.start(T0 + 4 * MIN)
    inc.assign("u3", T0 + 9 * MIN)
    assert inc.state is S.IN_PROGRESS and inc.assignee == "u3"
    assert inc.time_to_assign == 180


def test_resolve_is_allowed_from_any_open_state() -> None:
    inc = make_incident()
    inc.resolve(None, T0 + 10 * MIN)
    assert inc.state is S.RESOLVED


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], lambda i: i.close("u", T0)),
        ([], lambda i: i.start(T0)),
        (["ack"], lambda i: i.acknowledge("u", T0)),
        (["ack"], lambda i: i.start(T0)),
        (["resolve"], lambda i: i.resolve("u", T0)),
        (["resolve"], lambda i: i.assign("u", T0)),
        (["resolve", "close"], lambda i: i.close("u", T0)),
        (["resolve", "close"], lambda i: i.add_alerts([make_alert("z")])),
    ],
)
def test_invalid_transitions_are_refused(
    setup: list[str], action: Callable[[Incident], object]
) -> None:
    inc = make_incident()
    steps = {
        "ack": lambda: inc.acknowledge("u", T0),
        "resolve": lambda: inc.resolve("u", T0),
        "close": lambda: inc.close("u", T0),
    }
    for s in setup:
        steps[s]()
    with pytest.raises(InvalidTransition):
        action(inc)


def test_add_alerts_raises_severity_and_tightens_sla() -> None:
    inc = make_incident(Severity.MEDIUM)
    assert inc.sla_target == T0 + timedelta(hours=24)
    added = inc.add_alerts([make_alert("a0"), make_alert("n1", Severity.CRITICAL)])
    assert added == ["n1"]
    assert inc.severity is Severity.CRITICAL
    assert inc.sla_target == T0 + timedelta(hours=4)
    with pytest.raises(InvalidInput):
        inc.add_alerts([make_alert("x", client_id="c2")])


def test_creating_with_an_assignee_assigns_at_once() -> None:
    inc = create_incident([make_alert("a")], "t", T0, assignee="u9", created_by="u1")
    assert inc.state is S.ASSIGNED and inc.assignee == "u9"


def test_every_transition_has_an_audit_action() -> None:
    assert set(TRANSITION_AUDIT) == {
        "create", "acknowledge", "assign", "start", "resolve", "close", "escalate"
    }  # fmt: skip


POLICY = TenantPolicy()


def test_three_critical_alerts_of_a_client_within_ten_minutes_form_an_incident() -> None:
    alerts = [make_alert("a", minutes_ago=9), make_alert("b", minutes_ago=5), make_alert("c")]
    burst = critical_burst(alerts, T0, POLICY)
    assert burst is not None and [a.id for a in burst] == ["a", "b", "c"]


def test_two_critical_alerts_are_not_a_burst() -> None:
    assert critical_burst([make_alert("a"), make_alert("b")], T0, POLICY) is None
    assert critical_burst([], T0, POLICY) is None


def test_burst_window_is_inclusive_at_ten_minutes_and_excludes_older() -> None:
    edge = [make_alert("a", minutes_ago=10), make_alert("b"), make_alert("c")]
    assert critical_burst(edge, T0, POLICY) is not None
    old = [make_alert("a", minutes_ago=10.5), make_alert("b"), make_alert("c")]
    assert critical_burst(old, T0, POLICY) is None


def test_burst_ignores_non_critical_closed_and_already_grouped_alerts() -> None:
    resolved = make_alert("r")
    resolved.resolve("u", T0)
    alerts = [
        make_alert("a"),
        make_alert("b"),
        make_alert("h", Severity.HIGH),
        resolved,
        make_alert("g"),
    ]
    assert critical_burst(alerts, T0, POLICY, in_incident={"g"}) is None
    assert critical_burst(alerts, T0, POLICY) is not None


def test_burst_never_mixes_clients() -> None:
    alerts = [make_alert("a"), make_alert("b"), make_alert("c", client_id="c2")]
    assert critical_burst(alerts, T0, POLICY) is None


def test_burst_numbers_come_from_the_tenant_policy() -> None:
    policy = TenantPolicy(incident_rule_count=2, incident_rule_window_minutes=1)
    assert critical_burst([make_alert("a"), make_alert("b", minutes_ago=0.5)], T0, policy)
    assert critical_burst([make_alert("a"), make_alert("b", minutes_ago=2)], T0, policy) is None


def test_escalation_climbs_the_chain_then_goes_to_the_tenant_admins() -> None:
    from noc_actors.domain.escalation import EscalationTarget

    chain = [EscalationTarget("site_oncall", "u-oncall"), EscalationTarget("client_owner", "u-own")]
    inc = make_incident(Severity.HIGH)
    assert inc.escalate(chain, T0 + MIN) == (1, "u-oncall")
    inc.acknowledge("u1", T0 + 2 * MIN)
    assert inc.escalate(chain, T0 + 3 * MIN) == (2, "u-own")  # any open state
    assert inc.escalate(chain, T0 + 4 * MIN) == (3, "tenant_admins")  # past the end
    assert (inc.state, inc.escalated_at) == (S.ACKNOWLEDGED, T0 + 4 * MIN)
    assert inc.to_dict()["escalation_level"] == 3
    assert TRANSITION_AUDIT["escalate"].value == "INCIDENT_ESCALATE"


def test_a_closed_incident_is_not_escalated() -> None:
    inc = make_incident(Severity.HIGH)
    inc.resolve("u1", T0)
    with pytest.raises(InvalidTransition):
        inc.escalate([], T0)
    assert (inc.escalation_level, inc.escalated_to) == (0, None)
