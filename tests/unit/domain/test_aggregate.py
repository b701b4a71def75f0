"""The client aggregate: events and clock ticks through rules into the alert
book, with deadlines to arm, alerts to persist and events to publish."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, AuditAction, Severity
from noc_actors.domain.errors import InvalidTransition, NotFound
from noc_actors.domain.escalation import EscalationContacts
from noc_actors.domain.events import DeviceEvent, TicketEvent, WorkOrderEvent
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.domain.oncall import Layer, Override, Restriction, Schedule
from tests.aggregates import counted_aggregate

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def aggregate() -> ClientAggregate:
    agg = counted_aggregate()
    agg.contacts = EscalationContacts(site_oncall={"s1": "u-oncall"}, client_owner={"c1": "u-own"})
    return agg


def critical(entity: str = "x") -> AlertDraft:
    return AlertDraft(
        "t1",
        "c1",
        "SECURITY_ANOMALY",
        "intrusion",
        site_id="s1",
        entity_type="sensor",
        entity_id=entity,
    )


def test_new_alert_is_armed_for_escalation_and_published() -> None:
    agg = aggregate()
    ch = agg.ingest_alerts([critical()], T0)
    (alert,) = ch.ingest.created
    assert alert.severity is Severity.CRITICAL
    assert [(d.alert_id, d.level, d.due_at) for d in ch.arm] == [
        (alert.id, 1, T0 + timedelta(minutes=15))
    ]
    assert [e["type"] for e in ch.events] == ["alert_new"]
    assert ch.events[0]["alert"]["first_seen"] == T0.isoformat()


def test_clock_tick_raises_sla_breach_and_overdue_work_order_without_new_events() -> None:
    agg = aggregate()
    agg.ingest_events(
        [
            TicketEvent(
                id="T1", client_id="c1", site_id="s1", priority="P1", status="OPEN", created_at=T0
            ),
            WorkOrderEvent(
                id="W1",
                client_id="c1",
                site_id="s1",
                status="ASSIGNED",
                planned_at=T0,
                expires_at=T0 + timedelta(hours=1),
            ),
        ],
        T0,
    )
    quiet = agg.tick(T0 + timedelta(minutes=30))
    assert quiet.ingest.inserted == []
    ch = agg.tick(T0 + timedelta(hours=4, seconds=1))
    got = sorted((a.alert_type, a.severity) for a in ch.ingest.created)
    assert got == [("SLA_BREACH", Severity.CRITICAL), ("WORK_ORDER_OVERDUE", Severity.MEDIUM)]
    assert ch.state_changed
    assert agg.tick(T0 + timedelta(hours=5)).ingest.inserted == []


def test_device_back_online_resolves_its_alert_and_cancels_its_deadline() -> None:
    agg = aggregate()
    down = agg.ingest_events(
        [DeviceEvent(id="D1", client_id="c1", site_id="s1", status="OFFLINE", last_seen=T0)], T0
    )
    (alert,) = down.ingest.created
    up = agg.ingest_events(
        [
            DeviceEvent(
                id="D1",
                client_id="c1",
                site_id="s1",
                status="ONLINE",
                last_seen=T0 + timedelta(minutes=5),
            )
        ],
        T0 + timedelta(minutes=5),
    )
    assert up.updated[alert.id].status is AlertStatus.RESOLVED
    assert up.cancel == [alert.id]
    assert [e["action"] for e in up.events] == ["resolved"]
    assert [a.action for a in up.audit] == [AuditAction.RESOLVE]


def test_acknowledge_cancels_escalation_and_writes_an_audit_row() -> None:
    agg = aggregate()
    alert = agg.ingest_alerts([critical()], T0).ingest.created[0]
    ch = agg.acknowledge([alert.id], "u1", T0 + timedelta(minutes=1), source_ip="10.0.0.1")
    assert ch.cancel == [alert.id]
    (entry,) = ch.audit
    assert (entry.action, entry.actor_id, entry.source_ip) == (
        AuditAction.ACKNOWLEDGE,
        "u1",
        "10.0.0.1",
    )


def test_due_deadline_escalates_to_the_next_target_and_arms_the_next_level() -> None:
    agg = aggregate()
    ch = agg.ingest_alerts([critical()], T0)
    first = ch.arm[0]
    at = T0 + timedelta(minutes=15)
    esc = agg.escalate_due(first, at)
    alert = esc.updated[first.alert_id]
    assert alert.status is AlertStatus.ESCALATED and alert.escalation_level == 1
    assert alert.escalated_to == "u-oncall"
    assert [(d.level, d.due_at) for d in esc.arm] == [(2, at + timedelta(minutes=15))]
    second = agg.escalate_due(esc.arm[0], at + timedelta(minutes=15))
    assert second.updated[first.alert_id].escalated_to == "u-own"


def test_stale_or_acknowledged_deadline_does_nothing() -> None:
    agg = aggregate()
    d = agg.ingest_alerts([critical()], T0).arm[0]
    agg.escalate_due(d, T0 + timedelta(minutes=15))
    # The same level again (a replayed deadline) is ignored.
    assert agg.escalate_due(d, T0 + timedelta(minutes=16)).empty
    other = agg.ingest_alerts([critical("y")], T0).arm[0]
    agg.acknowledge([other.alert_id], "u1", T0)
    assert agg.escalate_due(other, T0 + timedelta(minutes=15)).empty


def test_resolved_alert_leaves_the_book_so_acknowledge_finds_nothing_open() -> None:
    """The actor turns this into a 409 after reading the closed row."""
    agg = aggregate()
    alert = agg.ingest_alerts([critical()], T0).ingest.created[0]
    agg.resolve([alert.id], "u1", T0)
    with pytest.raises(NotFound):
        agg.acknowledge([alert.id], "u1", T0)


def test_acknowledging_twice_is_an_invalid_transition() -> None:
    agg = aggregate()
    alert = agg.ingest_alerts([critical()], T0).ingest.created[0]
    agg.acknowledge([alert.id], "u1", T0)
    with pytest.raises(InvalidTransition):
        agg.acknowledge([alert.id], "u1", T0)


def test_backpressure_sweep_suppresses_given_alerts_and_cancels_them() -> None:
    agg = aggregate()
    info = AlertDraft("t1", "c1", "SYNC_DEGRADED", "slow", severity=Severity.INFO, entity_id="e")
    alert = agg.ingest_alerts([info], T0).ingest.created[0]
    ch = agg.sweep([alert.id, "unknown"], T0 + timedelta(hours=2))
    assert ch.updated[alert.id].status is AlertStatus.SUPPRESSED
    assert [a.action for a in ch.audit] == [AuditAction.SUPPRESS]
    assert len(agg.book) == 0


def test_windows_suppress_new_alerts_and_full_maintenance_is_reported() -> None:
    agg = aggregate()
    agg.set_windows([MaintenanceWindow("w", "t1", T0, T0 + timedelta(hours=1), client_id="c1")])
    ch = agg.ingest_alerts([critical()], T0)
    assert ch.ingest.created == [] and ch.arm == [] and ch.events == []
    assert ch.ingest.inserted[0].status is AlertStatus.SUPPRESSED
    assert agg.under_full_maintenance(T0)
    assert not agg.under_full_maintenance(T0 + timedelta(hours=1))


def test_reload_rearms_pending_deadlines_from_stored_alerts() -> None:
    agg = aggregate()
    created = agg.ingest_alerts([critical()], T0).ingest.created
    fresh = aggregate()
    deadlines = fresh.load(created, live_state=agg.state.to_dict())
    assert [(d.alert_id, d.level) for d in deadlines] == [(created[0].id, 1)]


def test_snapshot_counts_open_alerts_from_the_book() -> None:
    agg = aggregate()
    agg.ingest_alerts([critical("a"), critical("b")], T0)
    snap = agg.snapshot(T0 - timedelta(minutes=5), T0, T0)
    assert snap.alerts_open_by_severity["CRITICAL"] == 2
    assert snap.security_anomalies == 2


def test_an_alert_already_overdue_on_arrival_is_escalated_in_the_same_write() -> None:
    """A replayed backlog or a resend after a restart: startsAt 30 minutes ago,
    past CRITICAL's 15 minutes. No round trip through the timer: the alert is
    stored escalated (level 1, one audit row), pushed once (its ``alert_new``
    shows it escalated) and the next level is armed."""
    agg = aggregate()
    late = AlertDraft(
        "t1", "c1", "SECURITY_ANOMALY", "door forced", severity=Severity.CRITICAL,
        entity_type="door", entity_id="d1", observed_at=T0 - timedelta(minutes=30),
    )  # fmt: skip
    changes = agg.ingest_alerts([late, critical("fresh")], T0)
    old, fresh = changes.ingest.inserted
    assert (old.status, old.escalation_level, old.escalated_at) == (AlertStatus.ESCALATED, 1, T0)
    assert fresh.status is AlertStatus.NEW and fresh.escalation_level == 0
    assert [e.action for e in changes.audit] == [AuditAction.ESCALATE]
    assert [(e["type"], e["alert"]["escalation_level"]) for e in changes.events] == [
        ("alert_new", 1),
        ("alert_new", 0),
    ]
    armed = {d.alert_id: (d.level, d.due_at) for d in changes.arm}
    assert armed == {
        old.id: (2, T0 + timedelta(minutes=15)),  # the next level, from now
        fresh.id: (1, T0 + timedelta(minutes=15)),
    }


def test_escalation_follows_the_contacts_in_force_when_it_fires() -> None:
    """Chains are resolved once per site, and again once the contacts (or the
    chain) are replaced, as a reload does."""
    agg = aggregate()
    late = [
        AlertDraft(
            "t1",
            "c1",
            "SECURITY_ANOMALY",
            f"door {i}",
            severity=Severity.CRITICAL,
            site_id="s1",
            entity_type="door",
            entity_id=f"d{i}",
            observed_at=T0 - timedelta(minutes=30),
        )  # fmt: skip
        for i in range(3)
    ]
    first = agg.ingest_alerts(late[:2], T0)
    assert {a.escalated_to for a in first.ingest.inserted} == {"u-oncall"}
    agg.contacts = EscalationContacts(site_oncall={"s1": "u-night"}, client_owner={"c1": "u-own"})
    (moved,) = agg.ingest_alerts(late[2:], T0).ingest.inserted
    assert moved.escalated_to == "u-night"
    agg.contacts = EscalationContacts(client_owner={"c1": "u-own"})  # nobody on call at s1
    later = AlertDraft(
        "t1", "c1", "SECURITY_ANOMALY", "door 9", severity=Severity.CRITICAL, site_id="s1",
        entity_type="door", entity_id="d9", observed_at=T0 - timedelta(minutes=30),
    )  # fmt: skip
    (owner,) = agg.ingest_alerts([later], T0).ingest.inserted
    assert owner.escalated_to == "u-own"


def rota(sid: str, users: tuple[str, ...], **scope: str | None) -> Schedule:
    """A daily 09:00 UTC rotation of ``users`` from 2026-11-20."""
    layer = Layer("primary", users, datetime(2026, 11, 20, 9, 0), timedelta(days=1))
    return Schedule(sid, "t1", sid, "UTC", (layer,), **scope)  # type: ignore[arg-type]


def overdue(entity: str, at: datetime = T0) -> AlertDraft:
    """A CRITICAL alert at s1 seen 30 minutes before ``at``: escalated on arrival."""
    return AlertDraft(
        "t1", "c1", "SECURITY_ANOMALY", "door", severity=Severity.CRITICAL, site_id="s1",
        entity_type="door", entity_id=entity, observed_at=at - timedelta(minutes=30),
    )  # fmt: skip


def test_the_site_on_call_step_asks_the_schedules_when_the_level_fires() -> None:
    """The site's schedule, then the site's fixed on-call user, then the
    client's and the tenant's schedules; the user on call at that moment."""
    agg = aggregate()  # s1's fixed on-call user: u-oncall
    site = rota("site", ("u-ann", "u-bob"), client_id="c1", site_id="s1")
    client = rota("client", ("u-cy",), client_id="c1")
    tenant = rota("tenant", ("u-di",))
    agg.contacts = EscalationContacts(
        site_oncall={"s1": "u-oncall"}, client_owner={"c1": "u-own"}, schedules=(tenant, client)
    )
    (fixed,) = agg.ingest_alerts([overdue("d1")], T0).ingest.inserted
    assert fixed.escalated_to == "u-oncall"  # the site's fixed user beats the client's rota
    agg.contacts = EscalationContacts(client_owner={"c1": "u-own"}, schedules=(tenant, client))
    (by_client,) = agg.ingest_alerts([overdue("d2")], T0).ingest.inserted
    assert by_client.escalated_to == "u-cy"  # no fixed user: the client's rota
    agg.contacts = EscalationContacts(
        site_oncall={"s1": "u-oncall"}, client_owner={"c1": "u-own"}, schedules=(client, site)
    )
    # 2026-11-26 08:00 UTC is still the turn that began on the 25th at 09:00
    # (turn 5 from the 20th: u-bob); at 09:00 it is turn 6, u-ann.
    (night,) = agg.ingest_alerts([overdue("d3")], T0).ingest.inserted
    assert night.escalated_to == "u-bob"
    (day,) = agg.ingest_alerts(
        [overdue("d4", T0 + timedelta(hours=1))], T0 + timedelta(hours=1)
    ).ingest.inserted
    assert day.escalated_to == "u-ann"
    covered = site.with_overrides([Override("o1", "u-eve", T0, T0 + timedelta(hours=2))])
    agg.contacts = EscalationContacts(client_owner={"c1": "u-own"}, schedules=(covered,))
    (swap,) = agg.ingest_alerts(
        [overdue("d5", T0 + timedelta(minutes=30))], T0 + timedelta(minutes=30)
    ).ingest.inserted
    assert swap.escalated_to == "u-eve"  # an override wins


def test_a_rota_with_nobody_on_call_leaves_the_step_unnamed_and_nobody_paged() -> None:
    from noc_actors.domain.notify.contacts import target_users

    agg = aggregate()
    nights = Layer(
        "nights", ("u-ann",), datetime(2026, 11, 20, 18, 0), timedelta(days=1),
        (Restriction(time(18, 0), time(6, 0)),),
    )  # fmt: skip
    only_nights = Schedule("n", "t1", "n", "UTC", (nights,), client_id="c1", site_id="s1")
    agg.contacts = EscalationContacts(client_owner={"c1": "u-own"}, schedules=(only_nights,))
    (at_night,) = agg.ingest_alerts(
        [overdue("d1", T0 - timedelta(hours=3))], T0 - timedelta(hours=3)
    ).ingest.inserted
    assert at_night.escalated_to == "u-ann"
    (by_day,) = agg.ingest_alerts([overdue("d2")], T0).ingest.inserted  # 08:00: nobody
    assert by_day.escalated_to == "site_oncall"
    assert target_users(by_day.escalated_to, ["u-admin"]) == []
