"""Inhibition in the client aggregate (issue 14 item 2): while a source
alert is open its targets are stored SUPPRESSED (``inhibited by <id>``),
never armed; when it closes, the targets still firing come back as NEW."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import Changes
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.events import DeviceEvent
from noc_actors.domain.inhibition import InhibitRule
from tests.aggregates import counted_aggregate as aggregate

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def site_down(site: str = "s1", kind: str = "SITE_DOWN") -> AlertDraft:
    return AlertDraft(
        "t1", "c1", kind, f"{site} unreachable", Severity.CRITICAL, site, "site", site
    )


def offline(device: str, site: str = "s1") -> AlertDraft:
    return AlertDraft(
        "t1", "c1", "DEVICE_OFFLINE", f"{device} offline", None, site, "device", device
    )


def statuses(ch: Changes) -> list[tuple[str | None, AlertStatus]]:
    return [(a.entity_id, a.status) for a in ch.ingest.inserted]


def test_a_site_outage_mutes_its_devices_and_brings_the_firing_ones_back() -> None:
    agg = aggregate()
    (source,) = agg.ingest_alerts([site_down()], T0).ingest.created
    ch = agg.ingest_alerts([offline(f"cam-{i}") for i in range(20)] + [offline("x", "s2")], T0)
    muted = [a for a in ch.ingest.inserted if a.status is AlertStatus.SUPPRESSED]
    assert len(muted) == 20 and {a.site_id for a in muted} == {"s1"}
    assert {a.suppression_reason for a in muted} == {f"inhibited by {source.id}"}
    assert [i.reason for i in ch.ingest.items[:20]] == [f"inhibited by {source.id}"] * 20
    (other,) = ch.ingest.created  # another site's device is not muted
    assert other.site_id == "s2"
    assert [d.alert_id for d in ch.arm] == [other.id]  # no escalation for the muted
    assert [e["alert"]["id"] for e in ch.events if e["type"] == "alert_new"] == [other.id]

    again = agg.ingest_alerts([offline("cam-0")], T0 + MIN)  # a repeat folds into its row
    assert again.ingest.items[0].outcome.value == "suppressed"
    assert again.ingest.folded[muted[0].id].suppressed_count == 1
    # cam-1 comes online and the source resolves cam-3 while muted: they stay away
    online = DeviceEvent(id="cam-1", client_id="c1", site_id="s1", status="ONLINE", last_seen=T0)
    assert not agg.ingest_events([online], T0 + MIN).updated
    assert not agg.resolve_keys([muted[3].dedup_key], None, T0 + MIN).updated

    back = agg.resolve([source.id], "op", T0 + 2 * MIN)
    came = back.ingest.created
    assert len(came) == 18 and not {"cam-1", "cam-3"} & {a.entity_id for a in came}
    assert {a.status for a in came} == {AlertStatus.NEW} and not {a.id for a in came} & {
        a.id for a in muted
    }
    assert {a.dedup_key for a in came} == {
        a.dedup_key for a in muted if a.entity_id not in ("cam-1", "cam-3")
    }
    assert len(back.arm) == 18 and not back.ingest.items  # armed; not items of the call
    pushed = [e["alert"]["entity_id"] for e in back.events if e["type"] == "alert_new"]
    assert sorted(pushed) == sorted(a.entity_id for a in came)
    assert agg.ingest_alerts([offline("cam-2")], T0 + 3 * MIN).ingest.folded  # open again


def test_a_source_mutes_targets_already_open_and_they_return_when_it_closes() -> None:
    agg = aggregate()
    (early,) = agg.ingest_alerts([offline("cam-1")], T0).ingest.created
    ch = agg.ingest_alerts([site_down()], T0 + MIN)
    (source,) = ch.ingest.created
    assert ch.updated[early.id].status is AlertStatus.SUPPRESSED
    assert early.id in ch.cancel  # its escalation is off
    assert [(e["type"], e.get("action")) for e in ch.events] == [
        ("alert_new", None),
        ("alert_updated", "suppressed"),
    ]
    back = agg.resolve([source.id], "op", T0 + 2 * MIN)
    (returned,) = back.ingest.created
    assert (returned.dedup_key, returned.status) == (early.dedup_key, AlertStatus.NEW)


def test_a_second_source_keeps_them_muted_until_it_closes_too() -> None:
    agg = aggregate()
    (down,) = agg.ingest_alerts([site_down()], T0).ingest.created
    (gateway,) = agg.ingest_alerts([site_down(kind="GATEWAY_OFFLINE")], T0 + MIN).ingest.created
    muted = agg.ingest_alerts([offline("cam-1"), offline("cam-2")], T0 + MIN).ingest.inserted
    assert {a.suppression_reason for a in muted} == {f"inhibited by {down.id}"}  # the oldest
    first = agg.resolve([down.id], "op", T0 + 2 * MIN)
    assert not first.ingest.created
    assert {a.suppression_reason for a in first.updated.values() if a.id != down.id} == {
        f"inhibited by {gateway.id}"
    }
    folded = agg.ingest_alerts([offline("cam-1")], T0 + 3 * MIN)  # into the re-pointed row
    assert folded.ingest.items[0].alert_id == muted[0].id
    second = agg.resolve([gateway.id], "op", T0 + 4 * MIN)
    assert sorted(a.entity_id or "" for a in second.ingest.created) == ["cam-1", "cam-2"]


def test_after_a_reload_the_held_rows_come_back_when_their_source_closes() -> None:
    agg = aggregate()
    (source,) = agg.ingest_alerts([site_down()], T0).ingest.created
    muted = agg.ingest_alerts([offline("cam-1"), offline("cam-2")], T0).ingest.inserted
    stale = Alert(**{**_fields(muted[0]), "id": "old", "suppression_reason": "inhibited by gone"})
    fresh = aggregate()
    fresh.load([source], inhibited=[*muted, stale])  # what the store reads back
    back = fresh.resolve([source.id], "op", T0 + MIN)
    assert sorted(a.entity_id or "" for a in back.ingest.created) == ["cam-1", "cam-2"]


def test_tenant_rules_replace_the_default() -> None:
    agg = aggregate()
    rule = InhibitRule.parse(
        {
            "name": "Fire alarm hides door alerts of its site",
            "source_matchers": ['alert_type="FIRE_ALARM"'],
            "target_matchers": ['alert_type=~"DOOR_.*"'],
            "equal": ["site_id"],
        }
    )
    agg.book.inhibition.set_rules([rule])
    agg.ingest_alerts([site_down(kind="FIRE_ALARM")], T0)
    ch = agg.ingest_alerts(
        [
            AlertDraft("t1", "c1", "DOOR_HELD", "door 1 held", None, "s1", "door", "d1"),
            offline("cam-1"),  # the default rule is gone
        ],
        T0,
    )
    assert statuses(ch) == [("d1", AlertStatus.SUPPRESSED), ("cam-1", AlertStatus.NEW)]


def _fields(alert: Alert) -> dict[str, object]:
    return {k: getattr(alert, k) for k in alert.__dataclass_fields__}
