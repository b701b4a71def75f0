"""Inhibition rules: an open source alert hides the targets sharing its
``equal`` labels, as Alertmanager's inhibit_rules do."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.inhibition import (
    DEFAULT_RULES,
    REASON_PREFIX,
    InhibitionIndex,
    InhibitRule,
    Release,
    alert_labels,
    inhibited_by,
    inhibitor,
    reason_for,
)

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def _alert(
    alert_id: str,
    alert_type: str,
    *,
    site: str | None = "A",
    client: str = "c1",
    tenant: str = "t1",
    severity: Severity = Severity.HIGH,
    at: datetime = T0,
    status: AlertStatus = AlertStatus.NEW,
    labels: dict[str, Any] | None = None,
    entity_type: str | None = None,
) -> Alert:
    return Alert(
        id=alert_id,
        tenant_id=tenant,
        client_id=client,
        alert_type=alert_type,
        severity=severity,
        message=alert_type,
        dedup_key=alert_id,
        first_seen=at,
        last_seen=at,
        site_id=site,
        status=status,
        entity_type=entity_type,
        metadata={"labels": labels} if labels is not None else {},
    )


def _rule(source: list[str], target: list[str], equal: list[str], **extra: Any) -> InhibitRule:
    data: dict[str, Any] = {
        "id": extra.pop("id", "r"),
        "name": "rule",
        "source_matchers": source,
        "target_matchers": target,
        "equal": equal,
    }
    return InhibitRule.parse({**data, **extra})


def _both(target: Alert, open_alerts: list[Alert], rules: list[InhibitRule]) -> Alert | None:
    """The plain function's answer, checked against the index's."""
    found = inhibitor(target, open_alerts, rules)
    assert InhibitionIndex(rules, open_alerts).inhibitor(target) is found
    return found


# --- the default rule --------------------------------------------------------


def test_site_down_inhibits_device_offline_of_its_site_only() -> None:
    rules = list(DEFAULT_RULES)
    down = _alert("s", "SITE_DOWN", site="A", at=T0)
    assert _both(_alert("d1", "DEVICE_OFFLINE", site="A"), [down], rules) is down
    assert _both(_alert("d2", "DEVICE_OFFLINE", site="B"), [down], rules) is None
    assert _both(_alert("d3", "DEVICE_OFFLINE", site="A", client="c2"), [down], rules) is None
    assert _both(_alert("d4", "SLA_BREACH", site="A"), [down], rules) is None


def test_gateway_offline_is_a_site_outage_too() -> None:
    gateway = _alert("g", "GATEWAY_OFFLINE", site="A")
    assert _both(_alert("d", "DEVICE_OFFLINE", site="A"), [gateway], list(DEFAULT_RULES)) is gateway


def test_device_offline_does_not_inhibit_the_site_outage() -> None:
    device = _alert("d", "DEVICE_OFFLINE", site="A")
    assert _both(_alert("s", "SITE_DOWN", site="A"), [device], list(DEFAULT_RULES)) is None


def test_only_open_sources_of_the_same_tenant_inhibit() -> None:
    rules = list(DEFAULT_RULES)
    target = _alert("d", "DEVICE_OFFLINE")
    resolved = _alert("s1", "SITE_DOWN", status=AlertStatus.RESOLVED)
    suppressed = _alert("s2", "SITE_DOWN", status=AlertStatus.SUPPRESSED)
    other_tenant = _alert("s3", "SITE_DOWN", tenant="t2")
    assert _both(target, [resolved, suppressed, other_tenant], rules) is None
    acked = _alert("s4", "SITE_DOWN", status=AlertStatus.ACKNOWLEDGED)
    assert _both(target, [acked], rules) is acked


def test_default_rule_round_trips_and_reads_as_documented() -> None:
    (rule,) = DEFAULT_RULES
    assert rule.to_dict() == {
        "id": "default-site-outage",
        "name": "Site outage hides its devices",
        "source_matchers": ['alert_type=~"SITE_DOWN|GATEWAY_OFFLINE"'],
        "target_matchers": ['alert_type="DEVICE_OFFLINE"'],
        "equal": ["client_id", "site_id"],
        "enabled": True,
    }
    assert InhibitRule.parse(rule.to_dict()) == rule


# --- labels and equal --------------------------------------------------------


def test_alert_labels_are_the_fields_over_the_alerts_own_labels() -> None:
    a = _alert(
        "a",
        "DEVICE_OFFLINE",
        site=None,
        severity=Severity.CRITICAL,
        labels={"rack": "r1", "site_id": "label-site", "alert_type": "X", "n": 3, "empty": ""},
        entity_type="device",
    )
    assert alert_labels(a) == {
        "rack": "r1",
        "alert_type": "DEVICE_OFFLINE",
        "severity": "CRITICAL",
        "entity_type": "device",
        "source": "platform",
        "client_id": "c1",
    }


def test_equal_labels_missing_on_both_sides_count_as_equal() -> None:
    rules = [_rule(["alert_type=SRC"], ["alert_type=TGT"], ["site_id", "rack"])]
    src = _alert("s", "SRC", site=None)
    assert _both(_alert("t", "TGT", site=None), [src], rules) is src
    assert _both(_alert("t", "TGT", site="A"), [src], rules) is None
    racked = _alert("s2", "SRC", site=None, labels={"rack": "r1"})
    assert _both(_alert("t", "TGT", site=None, labels={"rack": "r1"}), [racked], rules) is racked
    assert _both(_alert("t", "TGT", site=None, labels={"rack": "r2"}), [racked], rules) is None
    assert _both(_alert("t", "TGT", site=None), [racked], rules) is None


def test_rule_without_equal_inhibits_across_sites_of_the_tenant() -> None:
    rules = [_rule(["alert_type=SRC"], ["alert_type=TGT"], [])]
    src = _alert("s", "SRC", site="A", client="c1")
    assert _both(_alert("t", "TGT", site="B", client="c2"), [src], rules) is src


def test_negative_and_regex_matchers() -> None:
    rules = [
        _rule(
            ['severity!="INFO"', 'alert_type=~"SITE_.*"'],
            ['alert_type=~"DEVICE_.*"', 'entity_type!~"camera|sensor"'],
            ["site_id"],
        )
    ]
    src = _alert("s", "SITE_DOWN", severity=Severity.LOW)
    info = _alert("i", "SITE_DOWN", severity=Severity.INFO)
    assert _both(_alert("t", "DEVICE_OFFLINE"), [src], rules) is src
    assert _both(_alert("t", "DEVICE_SPOOF", entity_type="gate"), [src], rules) is src
    assert _both(_alert("t", "DEVICE_OFFLINE", entity_type="camera"), [src], rules) is None
    assert _both(_alert("t", "DEVICE_OFFLINE"), [info], rules) is None
    # Regexes match the whole value: SITE_ must be the start.
    assert _both(_alert("t", "DEVICE_OFFLINE"), [_alert("x", "XSITE_DOWN")], rules) is None


def test_matchers_see_the_alerts_own_labels() -> None:
    rules = [_rule(['team="net"'], ['team="net"', "alert_type=TGT"], ["site_id"])]
    src = _alert("s", "SRC", labels={"team": "net"})
    assert _both(_alert("t", "TGT", labels={"team": "net"}), [src], rules) is src
    assert _both(_alert("t", "TGT", labels={"team": "ops"}), [src], rules) is None


# --- two-sided rules, disabled rules, order ---------------------------------


def test_an_alert_matching_both_sides_never_inhibits_itself() -> None:
    rules = [_rule(['severity="CRITICAL"'], ['alert_type=~".+"'], ["site_id"])]
    a = _alert("a", "SITE_DOWN", severity=Severity.CRITICAL)
    assert _both(a, [a], rules) is None


def test_two_alerts_matching_both_sides_do_not_mute_each_other() -> None:
    rules = [_rule(['severity="CRITICAL"'], ['alert_type=~".+"'], ["site_id"])]
    a = _alert("a", "SITE_DOWN", severity=Severity.CRITICAL)
    b = _alert("b", "DEVICE_OFFLINE", severity=Severity.CRITICAL, at=T0 + M)
    assert _both(a, [a, b], rules) is None
    assert _both(b, [a, b], rules) is None


def test_a_one_sided_source_inhibits_a_target_that_is_a_source_too() -> None:
    rules = [_rule(['severity="CRITICAL"'], ['alert_type="DEVICE_OFFLINE"'], ["site_id"])]
    site = _alert("s", "SITE_DOWN", severity=Severity.CRITICAL)
    device = _alert("d", "DEVICE_OFFLINE", severity=Severity.CRITICAL)
    assert _both(device, [site, device], rules) is site
    assert _both(site, [site, device], rules) is None


def test_disabled_rules_are_skipped() -> None:
    rule = _rule(["alert_type=SRC"], ["alert_type=TGT"], ["site_id"], enabled=False)
    src = _alert("s", "SRC")
    assert not rule.enabled
    assert _both(_alert("t", "TGT"), [src], [rule]) is None
    assert InhibitionIndex([rule]).add(src) == []


def test_the_oldest_source_wins_and_ties_go_to_the_smaller_id() -> None:
    rules = [*DEFAULT_RULES, _rule(["alert_type=SITE_SLOW"], ["alert_type=~DEVICE_.*"], [])]
    target = _alert("d", "DEVICE_OFFLINE")
    late = _alert("late", "SITE_DOWN", at=T0 + 2 * M)
    early_b = _alert("b", "GATEWAY_OFFLINE", at=T0 - M)
    early_a = _alert("a", "SITE_SLOW", site="Z", at=T0 - M)
    assert _both(target, [late, early_b], rules) is early_b
    assert _both(target, [late, early_b, early_a], rules) is early_a
    assert _both(target, [early_a, early_b, late], rules) is early_a


# --- the index ---------------------------------------------------------------

_TYPES = ["SITE_DOWN", "GATEWAY_OFFLINE", "DEVICE_OFFLINE", "DEVICE_SPOOF", "SLA_BREACH"]
_STATUSES = [AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED]


def _random_alerts(rng: random.Random, n: int) -> list[Alert]:
    alerts = []
    for i in range(n):
        labels = {"rack": rng.choice(["r1", "r2"])} if rng.random() < 0.5 else None
        alerts.append(
            _alert(
                f"a{i:04d}",
                rng.choice(_TYPES),
                site=rng.choice(["A", "B", "C", None]),
                client=rng.choice(["c1", "c2"]),
                tenant=rng.choice(["t1", "t1", "t1", "t2"]),
                severity=rng.choice(list(Severity)),
                at=T0 + rng.randrange(20) * M,  # many ties: the id decides
                status=rng.choice(_STATUSES),
                labels=labels,
            )
        )
    return alerts


def _random_rules() -> list[InhibitRule]:
    return [
        *DEFAULT_RULES,
        _rule(['severity="CRITICAL"'], ['alert_type=~"DEVICE_.*|SITE_DOWN"'], ["site_id"], id="r1"),
        _rule(['severity!~"INFO|LOW"', "rack=r1"], ["severity=LOW"], ["rack"], id="r2"),
        _rule(["alert_type=SLA_BREACH"], ["alert_type=SLA_BREACH"], [], id="r3"),
        _rule(["alert_type=SITE_DOWN"], ["alert_type=SLA_BREACH"], [], id="r4", enabled=False),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_agrees_with_the_plain_function(seed: int) -> None:
    rng = random.Random(seed)
    alerts = _random_alerts(rng, 300)
    rules = _random_rules()
    open_alerts = [a for a in alerts if a.is_open]
    index = InhibitionIndex(rules, open_alerts)
    inhibited = 0
    for target in alerts:
        found = index.inhibitor(target)
        assert found is inhibitor(target, open_alerts, rules), target.id
        inhibited += found is not None
    assert inhibited > 20  # the random set exercises the rules

    closing = rng.sample(open_alerts, len(open_alerts) // 2)
    for alert in closing:
        alert.resolve(None, T0 + 30 * M)
        index.remove(alert)
    still_open = [a for a in alerts if a.is_open]
    for target in alerts:
        assert index.inhibitor(target) is inhibitor(target, still_open, rules), target.id


def test_index_add_names_the_rules_and_remove_forgets_the_source() -> None:
    rules = [*DEFAULT_RULES, _rule(["alert_type=SITE_DOWN"], ["alert_type=SLA_BREACH"], [])]
    index = InhibitionIndex(rules)
    down = _alert("s", "SITE_DOWN")
    assert index.sources_of(down) == ["default-site-outage", "r"]
    assert index.add(down) == ["default-site-outage", "r"]
    assert index.add(down) == ["default-site-outage", "r"]  # idempotent
    target = _alert("d", "DEVICE_OFFLINE")
    assert index.inhibitor(target) is down
    assert index.remove(down)
    assert not index.remove(down)
    assert index.inhibitor(target) is None
    assert index.add(_alert("x", "SITE_DOWN", status=AlertStatus.RESOLVED)) == []
    assert index.add(_alert("y", "DEVICE_OFFLINE")) == []


def test_index_skips_a_source_that_closed_without_being_removed() -> None:
    down = _alert("s", "SITE_DOWN")
    index = InhibitionIndex(DEFAULT_RULES, [down])
    down.resolve(None, T0 + M)
    assert index.inhibitor(_alert("d", "DEVICE_OFFLINE")) is None


def test_released_by_keeps_targets_another_source_still_inhibits() -> None:
    first = _alert("s1", "SITE_DOWN", at=T0)
    second = _alert("s2", "GATEWAY_OFFLINE", at=T0 + M)
    index = InhibitionIndex(DEFAULT_RULES, [first, second])
    targets = [_alert(f"d{i}", "DEVICE_OFFLINE", at=T0 + 2 * M) for i in range(2)]
    for t in targets:
        assert index.inhibitor(t) is first
        t.suppress(reason_for(first))
    unrelated = _alert("m", "DEVICE_OFFLINE", at=T0 + 2 * M)
    unrelated.suppress("maintenance window w1")

    # Asked before the source is removed: it is left out all the same.
    assert index.released_by(first, [*targets, unrelated]) == [
        Release(targets[0], second),
        Release(targets[1], second),
    ]
    first.resolve(None, T0 + 3 * M)
    index.remove(first)
    releases = index.released_by(first, targets)
    assert [(r.alert, r.inhibitor) for r in releases] == [(t, second) for t in targets]
    for r in releases:
        assert r.inhibitor is not None
        r.alert.suppression_reason = reason_for(r.inhibitor)

    second.resolve(None, T0 + 4 * M)
    index.remove(second)
    assert index.released_by(first, targets) == []
    assert index.released_by(second, targets) == [Release(t, None) for t in targets]


def test_reason_names_the_source_and_parses_back() -> None:
    source = _alert("abc-123", "SITE_DOWN")
    assert reason_for(source) == "inhibited by abc-123"
    assert reason_for(source).startswith(REASON_PREFIX)
    assert inhibited_by(reason_for(source)) == "abc-123"
    assert inhibited_by(None) is None
    assert inhibited_by("maintenance window w1") is None
    assert inhibited_by(REASON_PREFIX) is None


# --- parsing -------------------------------------------------------------------


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "r1",
        "name": "Site outage",
        "source_matchers": ["alert_type=SITE_DOWN"],
        "target_matchers": ["alert_type=DEVICE_OFFLINE"],
        "equal": ["site_id"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": _DROP}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"id": ""}, "id"),
        ({"id": 7}, "id"),
        ({"source_matchers": []}, "source_matchers"),
        ({"target_matchers": []}, "target_matchers"),
        ({"source_matchers": "alert_type=SITE_DOWN"}, "source_matchers"),
        ({"source_matchers": ["alert_type=SITE_DOWN", "not a matcher"]}, "source_matchers[1]"),
        ({"target_matchers": ['alert_type=~"("']}, "target_matchers[0]"),
        ({"target_matchers": ["a=b", 3]}, "target_matchers[1]"),
        ({"source_matchers": ["{}"]}, "source_matchers[0]"),
        ({"source_matchers": [f"l{i}=v" for i in range(17)]}, "source_matchers"),
        ({"source_matchers": ['{a="1",b="2"}'] * 9}, "source_matchers"),
        ({"equal": _DROP}, "equal"),
        ({"equal": "site_id"}, "equal"),
        ({"equal": ["site_id", "1bad"]}, "equal[1]"),
        ({"equal": ["site_id", "site_id"]}, "equal[1]"),
        ({"equal": [f"l{i}" for i in range(9)]}, "equal"),
        ({"enabled": "yes"}, "enabled"),
        ({"equals": ["site_id"]}, "equals"),
    ],
)
def test_parse_errors_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        InhibitRule.parse(_data(**changes))
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_parse_refuses_what_is_not_an_object() -> None:
    with pytest.raises(InvalidInput) as err:
        InhibitRule.parse(["not", "a", "dict"])  # type: ignore[arg-type]
    assert err.value.field == "inhibit_rule"


def test_parse_accepts_the_limits() -> None:
    rule = InhibitRule.parse(
        _data(
            name="n" * 200,
            source_matchers=[f"l{i}=v" for i in range(16)],
            equal=[f"l{i}" for i in range(8)],
        )
    )
    assert len(rule.source_matchers) == 16 and len(rule.equal) == 8


def test_parse_without_id_takes_a_new_one_and_strips_the_name() -> None:
    rule = InhibitRule.parse(_data(id=_DROP, name="  Outage  "), new_id=lambda: "fresh")
    assert (rule.id, rule.name, rule.enabled) == ("fresh", "Outage", True)
    assert InhibitRule.parse(_data(id=None)).id  # a uuid by default


def test_to_dict_and_parse_round_trip() -> None:
    rule = InhibitRule.parse(
        _data(
            source_matchers=[
                'alert_type=~"SITE_DOWN|GATEWAY_\\\\w+"',
                'note!="say \\"hi\\""',
                "{team=net, rack!~r[0-9]}",
            ],
            target_matchers=['severity!~"INFO|LOW"', 'site_id=""'],
            equal=[],
            enabled=False,
        )
    )
    assert [m.value for m in rule.source_matchers] == [
        "SITE_DOWN|GATEWAY_\\w+",
        'say "hi"',
        "net",
        "r[0-9]",
    ]
    data = rule.to_dict()
    assert data["source_matchers"][2:] == ['team="net"', 'rack!~"r[0-9]"']
    assert data["enabled"] is False
    again = InhibitRule.parse(data)
    assert again == rule
    assert again.to_dict() == data
    gateway = _alert("g", "GATEWAY_SOUTH", labels={"team": "net", "rack": "x1", "note": "n"})
    assert again.is_source(alert_labels(gateway))
