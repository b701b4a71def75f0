"""Flap detection in the client aggregate (issue 14 item 3): a dedup key
that re-opens more than ``flap_threshold`` times in ``flap_window_minutes``
becomes one flapping alert counting the cycles, never escalated by the
timer while it flaps, and settles after ``flap_quiet_minutes``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import Changes
from noc_actors.domain.enums import AlertStatus, AuditAction
from noc_actors.domain.events import DeviceEvent
from noc_actors.domain.policy import TenantPolicy
from tests.aggregates import counted_aggregate as aggregate

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def device(status: str, at: datetime, name: str = "cam-7") -> DeviceEvent:
    return DeviceEvent(id=name, client_id="c1", site_id="s1", status=status, last_seen=at)


def cycles(agg: ClientAggregate, n: int, start: datetime, every: timedelta) -> list[Changes]:
    """``n`` times offline, then online (every ``every``): the changes of each event."""
    out = []
    for i in range(n):
        down = start + 2 * i * every
        out.append(agg.ingest_events([device("OFFLINE", down)], down))
        out.append(agg.ingest_events([device("ONLINE", down + every)], down + every))
    return out


def flapping(agg: ClientAggregate) -> list[Alert]:
    return [a for a in agg.book.open_alerts() if a.flapping]


def test_ten_flaps_in_ten_minutes_are_one_flapping_alert_with_count_ten() -> None:
    agg = aggregate()
    steps = cycles(agg, 10, T0, timedelta(seconds=30))
    created = [a for ch in steps for a in ch.ingest.inserted]
    assert [a.flapping for a in created] == [None] * 5 + ["resolved"]  # the 6th flaps; ends down
    (alert,) = flapping(agg)
    assert (alert.id, alert.flap_count, alert.status) == (created[-1].id, 10, AlertStatus.NEW)
    assert [a.status for a in created[:5]] == [AlertStatus.RESOLVED] * 5
    # it was never armed; the five before were cancelled as they resolved
    assert not [d for ch in steps for d in ch.arm if d.alert_id == alert.id]
    pushed = [
        (e["type"], e["alert"]["flap_count"], e["alert"]["flapping"])
        for ch in steps[10:]
        for e in ch.events
        if e["alert"]["id"] == alert.id
    ]
    assert pushed == [("alert_new", 6, "firing"), ("alert_updated", 6, "resolved")] + [
        ("alert_updated", n, state) for n in (7, 8, 9, 10) for state in ("firing", "resolved")
    ]
    assert {e.get("action") for ch in steps[11:] for e in ch.events} == {"flapping"}
    down = agg.ingest_events([device("OFFLINE", T0 + 11 * MIN)], T0 + 11 * MIN)
    assert down.ingest.flapped[alert.id].flap_count == 11  # online before: a cycle
    again = agg.ingest_events([device("OFFLINE", T0 + 12 * MIN)], T0 + 12 * MIN)
    assert not again.ingest.created and not again.ingest.flapped  # a repeat, not a cycle


def test_exactly_the_threshold_of_reopens_does_not_flap() -> None:
    agg = aggregate(TenantPolicy(flap_threshold=2))
    steps = cycles(agg, 3, T0, MIN)
    assert not any(a.flapping for ch in steps for a in ch.ingest.inserted)
    (fourth,) = agg.ingest_events([device("OFFLINE", T0 + 7 * MIN)], T0 + 7 * MIN).ingest.created
    assert fourth.flapping and fourth.flap_count == 4


def test_reopens_spread_wider_than_the_window_never_flap() -> None:
    agg = aggregate(TenantPolicy(flap_window_minutes=10))
    steps = cycles(agg, 10, T0, timedelta(minutes=2))  # 6 opens take 20 minutes
    assert not any(a.flapping for ch in steps for a in ch.ingest.inserted)


def test_a_flap_settles_resolved_or_firing_after_the_quiet_period() -> None:
    agg = aggregate()
    cycles(agg, 6, T0, timedelta(seconds=10))  # ends online: down
    (alert,) = flapping(agg)
    last = T0 + 120 * timedelta(seconds=1)
    assert not agg.tick(last + 14 * MIN).updated  # not quiet for 15 minutes yet
    settled = agg.tick(last + 15 * MIN)
    assert settled.updated[alert.id].status is AlertStatus.RESOLVED
    assert settled.updated[alert.id].resolution_notes == "flapping settled: resolved"

    other = aggregate()
    cycles(other, 6, T0, timedelta(seconds=10))
    stays = other.ingest_events([device("OFFLINE", last + MIN)], last + MIN)
    (firing,) = stays.ingest.flapped.values()
    done = other.tick(last + 17 * MIN)
    assert done.updated[firing.id].status is AlertStatus.NEW and not firing.flapping
    assert [e.action for e in done.audit] == [AuditAction.FLAP_SETTLED]
    assert [d.alert_id for d in done.arm] == [firing.id]  # escalated as any alert now


def test_a_reloaded_flapping_alert_keeps_counting() -> None:
    agg = aggregate()
    cycles(agg, 7, T0, timedelta(seconds=10))
    (alert,) = flapping(agg)
    fresh = aggregate()
    fresh.load([alert])
    ch = fresh.ingest_events([device("ONLINE", T0 + 3 * MIN)], T0 + 3 * MIN)
    assert not ch.updated and alert.is_open  # the source's resolve leaves it open
    ch = fresh.ingest_events([device("OFFLINE", T0 + 4 * MIN)], T0 + 4 * MIN)
    assert fresh.book.open_for_key(alert.dedup_key) is alert
    assert ch.ingest.flapped[alert.id].flap_count == 8


def test_a_tenant_may_turn_flap_detection_off() -> None:
    agg = aggregate(TenantPolicy(flap_enabled=False))
    steps = cycles(agg, 10, T0, timedelta(seconds=30))
    assert len([a for ch in steps for a in ch.ingest.inserted]) == 10
    assert not flapping(agg)
