"""Shelving (issue 14 item 5) in the client aggregate: a shelved alert is
not escalated before its shelf ends, then escalated if still
unacknowledged; an ended shelf puts it back (pushed, audited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.alert import Alert
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, AuditAction
from noc_actors.domain.errors import InvalidTransition
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.transitions import apply_transition
from tests.aggregates import counted_aggregate

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def critical() -> tuple[ClientAggregate, Alert, Deadline]:
    agg = counted_aggregate()
    draft = AlertDraft("t1", "c1", "SECURITY_ANOMALY", "door forced", None, "s1", "door", "d1")
    ch = agg.ingest_alerts([draft], T0)
    (alert,) = ch.ingest.created
    (deadline,) = ch.arm
    assert deadline.due_at == T0 + 15 * MIN  # CRITICAL escalates after 15 minutes
    return agg, alert, deadline


def test_a_shelved_critical_alert_escalates_only_after_its_shelf() -> None:
    agg, alert, first = critical()
    ch, errors = apply_transition(agg, "shelve", [alert.id], "op", T0 + MIN, shelve_minutes=30)
    assert not errors and ch.updated[alert.id].shelved_until == T0 + 31 * MIN
    assert ch.cancel == [alert.id]
    assert [(d.level, d.due_at) for d in ch.arm] == [(1, T0 + 31 * MIN)]
    (entry,) = ch.audit
    assert (entry.action, entry.metadata) == (
        AuditAction.SHELVE,
        {"until": (T0 + 31 * MIN).isoformat()},
    )
    assert [e["action"] for e in ch.events] == ["shelved"]
    assert agg.escalate_due(first, T0 + 15 * MIN).empty  # the old deadline is stale
    fired = agg.escalate_due(Deadline(T0 + 31 * MIN, alert.id, 1, "c1", "t1"), T0 + 31 * MIN)
    assert fired.updated[alert.id].status is AlertStatus.ESCALATED
    assert alert.shelved_until is None  # escalated: back on the board


def test_an_acknowledged_alert_comes_off_its_shelf_at_the_clock() -> None:
    agg, alert, _ = critical()
    agg.acknowledge([alert.id], "op", T0 + MIN)
    apply_transition(agg, "shelve", [alert.id], "op", T0 + MIN, shelve_minutes=10)
    assert not agg.tick(T0 + 10 * MIN).updated
    back = agg.tick(T0 + 11 * MIN)
    assert back.updated[alert.id].shelved_until is None
    assert [(e.action, e.actor_id) for e in back.audit] == [(AuditAction.UNSHELVE, "system")]
    assert [e["action"] for e in back.events] == ["unshelved"]
    assert not agg.tick(T0 + 12 * MIN).updated  # once


def test_an_operator_takes_it_off_the_shelf_and_its_escalation_resumes() -> None:
    agg, alert, _ = critical()
    apply_transition(agg, "shelve", [alert.id], "op", T0 + MIN, shelve_minutes=120)
    ch, errors = apply_transition(agg, "unshelve", [alert.id], "op", T0 + 5 * MIN)
    assert not errors and [d.due_at for d in ch.arm] == [T0 + 15 * MIN]
    _, errors = apply_transition(agg, "unshelve", [alert.id], "op", T0 + 6 * MIN)
    assert isinstance(errors[alert.id], InvalidTransition)


def test_a_closed_alert_cannot_be_shelved() -> None:
    agg, alert, _ = critical()
    agg.resolve([alert.id], "op", T0 + MIN)
    _, errors = apply_transition(agg, "shelve", [alert.id], "op", T0 + 2 * MIN, shelve_minutes=5)
    assert list(errors) == [alert.id]
    with pytest.raises(InvalidTransition):
        alert.shelve("op", T0, T0 + MIN)
