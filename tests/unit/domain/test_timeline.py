"""An alert's timeline (``domain.timeline``): entries in time order from its
audit rows and its own fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from noc_actors.domain.enums import AlertStatus
from noc_actors.domain.timeline import LinkedIncident, build_timeline
from tests.unit.domain.test_alert_status import make_alert

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


_alert = make_alert  # the domain tier's alert factory


def _row(n: int, minutes: float, action: str, actor: str = "u1", **kw: Any) -> dict[str, Any]:
    return {
        "id": n,
        "at": T0 + timedelta(minutes=minutes),
        "action": action,
        "actor_id": actor,
        "entity_type": kw.pop("entity_type", "alert"),
        "entity_id": kw.pop("entity_id", "a1"),
        "metadata": kw.pop("metadata", {}),
    }


def test_entries_come_in_time_order_with_who_level_target_and_notes() -> None:
    alert = _alert(suppressed_count=2, last_seen=T0 + timedelta(minutes=3))
    rows = [
        _row(5, 9, "RESOLVE", metadata={"notes": "fixed"}),
        _row(1, 1, "ACKNOWLEDGE"),
        _row(2, 2, "ASSIGN", metadata={"assignee": "u2"}),
        _row(3, 4, "ESCALATE", "system", metadata={"level": 1, "target": "tenant_admins"}),
        _row(4, 5, "VIEW_SENSITIVE"),  # a read: not part of the story
    ]
    entries = build_timeline(alert, rows, names={"u1": "Jane", "u2": "John"})
    assert [e.kind for e in entries] == [
        "created", "acknowledged", "assigned", "repeated", "escalated", "resolved",
    ]  # fmt: skip
    assert entries[1].by == "u1" and entries[1].by_name == "Jane"
    assert entries[2].detail == {"assignee": "u2", "assignee_name": "John"}
    assert entries[3].detail == {"count": 2, "last_seen": alert.last_seen.isoformat()}
    assert entries[4].by == "system" and entries[4].by_name is None
    assert entries[4].detail == {"level": 1, "target": "tenant_admins", "target_name": None}
    assert entries[5].detail == {"notes": "fixed"}


def test_an_incident_row_counts_only_when_it_names_the_alert() -> None:
    rows = [
        _row(1, 1, "INCIDENT_CREATE", entity_type="incident", entity_id="i1",
             metadata={"alert_ids": ["a1", "a2"]}),
        _row(2, 2, "INCIDENT_LINK", "system", entity_type="incident", entity_id="i1",
             metadata={"alert_ids": ["a3"], "rule": "rule:critical_burst"}),
    ]  # fmt: skip
    incidents = {"i1": LinkedIncident("i1", "Doors")}
    entries = build_timeline(_alert(), rows, incidents=incidents)
    assert [e.kind for e in entries] == ["created", "incident_created"]
    assert entries[1].detail == {"incident_id": "i1", "title": "Doors", "rule": None}


def test_a_suppression_at_ingest_says_its_cause_once() -> None:
    shed = _alert(status=AlertStatus.SUPPRESSED, suppression_reason="maintenance:w1")
    entries = build_timeline(shed, [], window_reason="Lift works")
    assert [e.kind for e in entries] == ["created", "suppressed"]
    assert entries[1].detail == {
        "cause": "maintenance", "reason": "maintenance:w1", "window_id": "w1",
        "window_reason": "Lift works",
    }  # fmt: skip
    muted = _alert(status=AlertStatus.SUPPRESSED, suppression_reason="inhibited by a0")
    logged = [_row(1, 1, "SUPPRESS", "system", metadata={"reason": "inhibited by a0"})]
    entries = build_timeline(muted, logged)
    assert [e.kind for e in entries] == ["created", "suppressed"]
    assert entries[1].detail["cause"] == "inhibition" and entries[1].detail["inhibited_by"] == "a0"


def test_correlated_alerts_and_flapping_come_from_the_alert() -> None:
    kin = _alert(id="a0", first_seen=T0 - timedelta(minutes=5), correlation_id="c1")
    alert = _alert(correlation_id="c1", flap_count=6, flapping="firing")
    entries = build_timeline(alert, [], correlated=[kin])
    assert [e.kind for e in entries] == ["created", "correlated", "flapping"]
    assert entries[1].detail["alerts"][0]["id"] == "a0"
    assert entries[2].detail == {"count": 6, "state": "firing"}
