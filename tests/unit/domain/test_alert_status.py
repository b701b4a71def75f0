"""SPEC 3: the alert status machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.alert import Alert, parse_severity
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidTransition

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def make_alert(**kw: object) -> Alert:
    base: dict[str, object] = dict(
        id="a1",
        tenant_id="t1",
        client_id="c1",
        alert_type="DEVICE_OFFLINE",
        severity=Severity.HIGH,
        message="m",
        dedup_key="k",
        first_seen=T0,
        last_seen=T0,
    )
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def test_severity_is_ordered_info_low_medium_high_critical() -> None:
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert max([Severity.LOW, Severity.CRITICAL, Severity.MEDIUM]) is Severity.CRITICAL


def test_new_alert_walks_ack_assign_resolve_and_records_timings() -> None:
    a = make_alert()
    a.acknowledge("u1", T0 + timedelta(minutes=5))
    assert a.status is AlertStatus.ACKNOWLEDGED and a.acknowledged_by == "u1"
    a.assign("u2", T0 + timedelta(minutes=6), by="u1")
    assert a.status is AlertStatus.ASSIGNED and a.assigned_to == "u2"
    a.resolve("u2", T0 + timedelta(minutes=30), notes="replaced battery")
    assert a.status is AlertStatus.RESOLVED
    assert a.time_to_ack == 300
    assert a.time_to_resolve == 1800
    assert a.resolution_notes == "replaced battery"
    assert not a.is_open


@pytest.mark.parametrize("closed", [AlertStatus.RESOLVED, AlertStatus.SUPPRESSED])
@pytest.mark.parametrize("action", ["acknowledge", "resolve", "assign", "escalate"])
def test_resolved_or_suppressed_alert_refuses_every_transition(
    closed: AlertStatus, action: str
) -> None:
    a = make_alert(status=closed)
    call = {
        "acknowledge": lambda: a.acknowledge("u", T0),
        "resolve": lambda: a.resolve("u", T0),
        "assign": lambda: a.assign("u", T0),
        "escalate": lambda: a.escalate("x", T0),
    }[action]
    with pytest.raises(InvalidTransition) as err:
        call()
    assert err.value.from_status == closed and err.value.action == action
    assert a.status is closed


def test_acknowledging_twice_is_refused() -> None:
    a = make_alert()
    a.acknowledge("u1", T0)
    with pytest.raises(InvalidTransition):
        a.acknowledge("u2", T0)
    assert a.acknowledged_by == "u1"


def test_escalated_alert_can_still_be_acknowledged() -> None:
    a = make_alert()
    assert a.escalate("oncall", T0 + timedelta(minutes=30)) == 1
    assert a.status is AlertStatus.ESCALATED and a.awaiting_ack
    a.acknowledge("u1", T0 + timedelta(minutes=31))
    assert a.status is AlertStatus.ACKNOWLEDGED and not a.awaiting_ack


def test_assign_without_ack_counts_as_acknowledged() -> None:
    a = make_alert()
    a.assign("u2", T0 + timedelta(minutes=2), by="u1")
    assert a.acknowledged_at == T0 + timedelta(minutes=2) and a.acknowledged_by == "u1"


def test_fold_counts_repeat_and_bumps_last_seen_but_never_backwards() -> None:
    a = make_alert()
    a.fold(T0 + timedelta(minutes=1))
    a.fold(T0 + timedelta(seconds=30))
    assert a.suppressed_count == 2
    assert a.last_seen == T0 + timedelta(minutes=1)


def test_fold_into_closed_alert_is_refused() -> None:
    a = make_alert(status=AlertStatus.RESOLVED)
    with pytest.raises(InvalidTransition):
        a.fold(T0)


def test_suppress_keeps_the_alert_with_its_reason() -> None:
    a = make_alert()
    a.suppress("maintenance:w1")
    assert a.status is AlertStatus.SUPPRESSED and a.suppression_reason == "maintenance:w1"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("warning", Severity.MEDIUM),
        ("info", Severity.INFO),
        ("error", Severity.HIGH),
        ("HIGH", Severity.HIGH),
        ("bogus", Severity.LOW),
        (None, Severity.LOW),
    ],
)
def test_monitoring_severity_words_map_onto_noc_severities(
    word: str | None, expected: Severity
) -> None:
    assert parse_severity(word, Severity.LOW) is expected


def test_domain_errors_survive_pickling_with_their_data() -> None:
    """Ray carries actor exceptions to callers by pickling them."""
    import pickle

    from noc_actors.domain.errors import InvalidInput, NotFound, PermissionDenied

    for err in (
        InvalidTransition("a1", "RESOLVED", "acknowledge"),
        NotFound("alert", "a1"),
        PermissionDenied("noc:ack_alerts", "not yours"),
        InvalidInput("client_id", "unknown client", item=3),
    ):
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err) and str(copy) == str(err)
        assert vars(copy) == vars(err)


def test_to_json_gives_iso_times_and_plain_values_that_json_can_dump() -> None:
    import json

    a = make_alert(metadata={"person_name": "Ann"})
    a.acknowledge("u1", T0 + timedelta(minutes=5))
    d = a.to_json()
    assert d["first_seen"] == T0.isoformat()
    assert d["acknowledged_at"] == (T0 + timedelta(minutes=5)).isoformat()
    assert d["resolved_at"] is None and d["time_to_ack"] == 300
    assert (d["severity"], d["status"]) == ("HIGH", "ACKNOWLEDGED")
    assert json.loads(json.dumps(d))["metadata"] == {"person_name": "Ann"}
    d["metadata"]["person_name"] = "changed"
    assert a.metadata == {"person_name": "Ann"}  # a copy, not the alert's own dict
