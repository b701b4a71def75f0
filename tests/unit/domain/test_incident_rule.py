"""Automatic incidents (SPEC 7 and 16) in the client aggregate: N CRITICAL
alerts of the client within M minutes open one incident in the same
changes as the alerts; later CRITICAL alerts join it while it is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from noc_actors.domain.changes import Changes
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AuditAction, IncidentState, Severity
from noc_actors.domain.incident import AUTO_SOURCE, create_incident
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.domain.policy import TenantPolicy
from tests.aggregates import counted_aggregate as aggregate

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def draft(
    entity: str, severity: Severity = Severity.CRITICAL, site: str = "s1", kind: str = "DOOR"
) -> AlertDraft:
    return AlertDraft(
        "t1",
        "c1",
        f"{kind}_FORCED",
        f"{entity} forced",
        severity=severity,
        site_id=site,
        entity_type="door",
        entity_id=entity,
    )


def incident_events(changes: Changes) -> list[tuple[str, str, list[str]]]:
    return [
        (
            e["type"],
            e["action"],
            e["incident"].get("alert_ids", e["incident"].get("added_alert_ids")),
        )
        for e in changes.events
        if e["type"].startswith("incident_")
    ]


def test_three_critical_alerts_in_one_batch_open_one_incident_with_all_three() -> None:
    agg = aggregate()
    ch = agg.ingest_alerts([draft("d1"), draft("d2"), draft("d3", kind="GATE")], T0)
    ids = [a.id for a in ch.ingest.created]
    assert incident_events(ch) == [("incident_new", "create", ids)]
    assert [e["type"] for e in ch.events] == ["alert_new"] * 3 + ["incident_new"]
    (change,) = ch.incidents
    inc = change.incident
    assert change.created and list(change.added) == ids
    assert (inc.source, inc.created_by, inc.state) == (AUTO_SOURCE, "system", IncidentState.NEW)
    assert (inc.severity, inc.priority, inc.site_id) == (Severity.CRITICAL, "P1", "s1")
    assert inc.title == "3 CRITICAL alerts within 10 minutes: DOOR_FORCED, GATE_FORCED"
    assert inc.automatic
    (entry,) = [e for e in ch.audit if e.entity_type == "incident"]
    assert (entry.action, entry.actor_id, entry.metadata["alert_ids"]) == (
        AuditAction.INCIDENT_CREATE,
        "system",
        ids,
    )


def test_the_burst_may_span_batches_but_not_more_than_the_window() -> None:
    agg = aggregate()
    assert not agg.ingest_alerts([draft("d1"), draft("d2")], T0).incidents
    assert not agg.ingest_alerts([draft("d3")], T0 + 10 * MIN + timedelta(seconds=1)).incidents
    # d1 and d2 are older than 10 minutes now: only d3 and d4 count
    late = agg.ingest_alerts([draft("d4")], T0 + 10 * MIN + timedelta(seconds=2))
    assert not late.incidents
    edge = agg.ingest_alerts([draft("d5")], T0 + 20 * MIN + timedelta(seconds=1))
    (change,) = edge.incidents  # d3 at the window's very edge still counts
    assert len(change.added) == 3


def test_only_open_critical_alerts_count_and_only_they_join() -> None:
    agg = aggregate()
    window = MaintenanceWindow(
        id="mw",
        tenant_id="t1",
        client_id="c1",
        site_id="s9",
        starts_at=T0 - MIN,
        ends_at=T0 + 60 * MIN,
    )
    agg.set_windows([window])
    ch = agg.ingest_alerts(
        [draft("d1"), draft("h1", Severity.HIGH), draft("m1", site="s9"), draft("d2")], T0
    )
    assert not ch.incidents  # HIGH does not count, nor one stored SUPPRESSED
    (opened,) = agg.ingest_alerts([draft("d3")], T0 + MIN).incidents
    joined = agg.ingest_alerts([draft("h2", Severity.HIGH), draft("d4", site="s2")], T0 + 2 * MIN)
    (change,) = joined.incidents
    assert not change.created and change.incident.id == opened.incident.id
    assert [agg.book.get(a).entity_id for a in change.added] == ["d4"]
    assert change.incident.site_id is None and change.site_changed  # it spans two sites now
    (same,) = agg.ingest_alerts([draft("d5", site="s3")], T0 + 3 * MIN).incidents
    assert not same.site_changed  # no site to lose any more: nothing to store but links
    assert incident_events(joined) == [("incident_updated", "link", list(change.added))]
    pushed = [e["incident"] for e in joined.events if e["type"] == "incident_updated"][0]
    assert pushed["alert_count"] == 4 and "alert_ids" not in pushed
    (entry,) = [e for e in joined.audit if e.entity_type == "incident"]
    assert (entry.action, entry.metadata["alert_ids"]) == (
        AuditAction.INCIDENT_LINK,
        list(change.added),
    )


def test_a_repeat_of_an_alert_in_the_incident_changes_nothing() -> None:
    agg = aggregate()
    agg.ingest_alerts([draft("d1"), draft("d2"), draft("d3")], T0)
    again = agg.ingest_alerts([draft("d1")], T0 + MIN)
    assert again.ingest.folded and not again.incidents


def test_the_tenant_sets_the_count_and_the_window() -> None:
    agg = aggregate(TenantPolicy(incident_rule_count=5, incident_rule_window_minutes=1))
    assert not agg.ingest_alerts([draft(f"d{i}") for i in range(4)], T0).incidents
    assert not agg.ingest_alerts([draft("late")], T0 + 2 * MIN).incidents
    (change,) = agg.ingest_alerts([draft(f"e{i}") for i in range(4)], T0 + 2 * MIN).incidents
    assert len(change.added) == 5
    assert change.incident.title.startswith("5 CRITICAL alerts within 1 minutes")


def test_an_operators_incident_is_never_joined_and_its_alerts_do_not_count() -> None:
    agg = aggregate()
    (d1, d2) = agg.ingest_alerts([draft("d1"), draft("d2")], T0).ingest.created
    manual = create_incident([d1, d2], "Doors", T0, incident_id="m1")
    agg.incident_changed(manual)
    assert not agg.ingest_alerts([draft("d3")], T0 + MIN).incidents
    assert not agg.ingest_alerts([draft("d4")], T0 + MIN).incidents
    (change,) = agg.ingest_alerts([draft("d5")], T0 + MIN).incidents
    assert change.created and change.incident.id != "m1"
    assert not {d1.id, d2.id} & set(change.added)


def test_a_resolved_rule_incident_takes_no_more_alerts() -> None:
    agg = aggregate()
    (opened,) = agg.ingest_alerts([draft("d1"), draft("d2"), draft("d3")], T0).incidents
    inc = opened.incident
    agg.incidents.load([])  # as after a restart that read nothing...
    agg.incident_changed(inc)  # ...then the API tells it about the incident
    assert agg.ingest_alerts([draft("d4")], T0 + MIN).incidents[0].incident.id == inc.id
    inc.resolve("op", T0 + 2 * MIN)
    agg.incident_changed(inc)
    assert agg.incidents.automatic() is None and agg.incidents.incident_of("id-1") is None
    for a in list(agg.book.open_alerts()):
        agg.resolve([a.id], "op", T0 + 2 * MIN)
    assert not agg.ingest_alerts([draft("d5"), draft("d6")], T0 + 3 * MIN).incidents


def test_a_tenant_may_turn_the_rule_off() -> None:
    agg = aggregate(TenantPolicy(incident_rule_enabled=False))
    assert not agg.ingest_alerts([draft(f"d{i}") for i in range(5)], T0).incidents
