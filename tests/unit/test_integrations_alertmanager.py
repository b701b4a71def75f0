"""SPEC 12 and Appendix: Alertmanager API v2 and webhook payloads become alert
drafts. Rendering is tested in test_integrations_am_render, matchers in
test_integrations_matchers."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.integrations.alertmanager import (
    AmAlert,
    PostableAlert,
    WebhookAlert,
    WebhookPayload,
    dedup_key,
    fingerprint,
    from_postable,
    from_webhook,
    parse_postable,
)
from noc_actors.domain.limits import MAX_BATCH

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# Label sets and the fingerprints a real Alertmanager 0.25 printed for them
# (webhook payloads and GET /api/v2/alerts).
AM_025_FINGERPRINTS = [
    (
        {"alertname": "DiskFull", "client": "c1", "instance": "db-1:9100", "severity": "critical"},
        "ac862513787409ec",
    ),
    ({"alertname": "HighLatency", "job": "api", "severity": "warning"}, "fd90eb03967b8a6a"),
    ({"a": "b"}, "d2b371819297f98a"),
    ({"a": "z"}, "d2cf718192b07442"),
    ({"alertname": "Foo", "client": "c1", "severity": "critical"}, "d2443583f94e9169"),
    ({"alertname": "Ünïcode", "site": "s-é"}, "819a131211639633"),
]

# A webhook notification exactly as Alertmanager 0.25 sent it (note the
# nanoseconds and the Go zero time).
AM_025_WEBHOOK = """{"receiver":"noc","status":"firing","alerts":[{"status":"firing",
"labels":{"alertname":"DiskFull","client":"c1","instance":"db-1:9100","severity":"critical"},
"annotations":{"summary":"disk 95%"},"startsAt":"2026-11-26T11:16:51.187070307Z",
"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph?g0.expr=up",
"fingerprint":"ac862513787409ec"}],"groupLabels":{"alertname":"DiskFull"},
"commonLabels":{"alertname":"DiskFull"},"commonAnnotations":{"summary":"disk 95%"},
"externalURL":"http://vm:34401","version":"4","groupKey":"{}:{alertname=\\"DiskFull\\"}",
"truncatedAlerts":0}"""


def postable(**kw: Any) -> PostableAlert:
    data: dict[str, Any] = {"labels": {"alertname": "DiskFull", "client": "c1"}}
    data.update(kw)
    return PostableAlert.model_validate(data)


def mapped(labels: dict[str, str], annotations: dict[str, str] | None = None) -> AmAlert:
    return from_postable(postable(labels=labels, annotations=annotations or {}), NOW, 0)


# --- fingerprint ---------------------------------------------------------------


@pytest.mark.parametrize(("labels", "expected"), AM_025_FINGERPRINTS)
def test_fingerprint_matches_alertmanager_0_25(labels: dict[str, str], expected: str) -> None:
    assert fingerprint(labels) == expected


def test_fingerprint_ignores_label_order_and_empty_set_is_fnv_offset_basis() -> None:
    assert fingerprint({"b": "2", "a": "1"}) == fingerprint({"a": "1", "b": "2"})
    assert fingerprint({}) == "cbf29ce484222325"


def test_empty_label_values_are_dropped_before_fingerprinting_as_alertmanager_does() -> None:
    alert = postable(labels={"alertname": "Ünïcode", "site": "s-é", "x": ""})
    assert from_postable(alert, NOW, 0).fingerprint == "819a131211639633"


# --- postable model --------------------------------------------------------------


def test_postable_needs_only_labels_and_go_zero_times_mean_not_set() -> None:
    # amtool sends the zero time for both when none is given.
    zero = "0001-01-01T00:00:00.000Z"
    alert = postable(startsAt=zero, endsAt=zero)
    assert alert.startsAt is None and alert.endsAt is None
    assert alert.annotations == {} and alert.generatorURL is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"labels": {}}, "labels"),
        ({"labels": {"x": ""}}, "labels"),
        ({"labels": {"1bad": "v"}}, "labels"),
        ({"labels": {"a.b": "v"}}, "labels"),
        ({"labels": {"a": "v" * 1025}}, "labels"),
        ({"labels": {f"l{i}": "v" for i in range(65)}}, "labels"),
        ({"labels": {"a": "b"}, "annotations": {"bad-name": "x"}}, "annotations"),
        ({"labels": {"a": "b"}, "annotations": {"d": "x" * 8193}}, "annotations"),
        ({"labels": {"a": "b"}, "generatorURL": "h" * 2049}, "generatorURL"),
        ({"labels": {"a": "b"}, "foo": 1}, "foo"),
        ({"labels": {"a": "b"}, "startsAt": "2026-11-26T10:00:00"}, "startsAt"),
        ({"labels": {"a": "b"}, "endsAt": "2026-11-26T10:00:00"}, "endsAt"),
        (
            {"labels": {"a": "b"}, "startsAt": "2026-11-26T10:00Z", "endsAt": "2026-11-26T09:00Z"},
            "endsAt",
        ),
    ],
)
def test_postable_refuses_bad_input_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        PostableAlert.model_validate(data)
    assert err.value.errors()[0]["loc"][0] == field


def test_out_of_range_offset_on_the_zero_time_is_a_validation_error_not_a_crash() -> None:
    with pytest.raises(ValidationError):
        postable(startsAt="0001-01-01T00:00:00+01:00")


def test_batch_is_limited_to_5000_and_errors_name_the_item() -> None:
    assert len(parse_postable([{"labels": {"a": "b"}}] * MAX_BATCH)) == MAX_BATCH
    with pytest.raises(ValidationError):
        parse_postable([{"labels": {"a": "b"}}] * (MAX_BATCH + 1))
    with pytest.raises(ValidationError) as err:
        parse_postable([{"labels": {"a": "b"}}, {"labels": {}}])
    assert err.value.errors()[0]["loc"][:2] == (1, "labels")


# --- mapping table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        *[(v, Severity.CRITICAL) for v in ("critical", "CRIT", "page", "emergency", "fatal")],
        *[(v, Severity.CRITICAL) for v in ("disaster",)],
        *[(v, Severity.HIGH) for v in ("error", "High", "major")],
        *[(v, Severity.MEDIUM) for v in ("warning", "warn", "medium", "minor", "average")],
        ("low", Severity.LOW),
        *[(v, Severity.INFO) for v in ("info", "informational", "notice", "debug", "none")],
    ],
)
def test_severity_label_maps_case_insensitively(label: str, severity: Severity) -> None:
    alert = mapped({"alertname": "X", "severity": label})
    assert alert.severity is severity
    assert "severity_label" not in alert.metadata


def test_missing_or_unknown_severity_is_medium_and_unknown_value_is_kept() -> None:
    assert mapped({"alertname": "X"}).severity is Severity.MEDIUM
    odd = mapped({"alertname": "X", "severity": "sev-2"})
    assert odd.severity is Severity.MEDIUM
    assert odd.metadata["severity_label"] == "sev-2"


def test_client_site_type_message_and_entity_come_from_labels_and_annotations() -> None:
    alert = mapped(
        {"alertname": "DiskFull", "client": "acme", "site": "s1", "instance": "db-1", "job": "n"},
        {"description": "long text", "summary": "disk 95%"},
    )
    assert (alert.client_ref, alert.site_ref) == ("acme", "s1")
    assert (alert.alert_type, alert.message) == ("DiskFull", "disk 95%")
    assert (alert.entity_type, alert.entity_id) == ("instance", "db-1")


def test_fallbacks_client_id_site_id_description_message_job() -> None:
    alert = mapped({"alertname": "A", "client_id": "c9", "site_id": "s9", "job": "api"})
    assert (alert.client_ref, alert.site_ref) == ("c9", "s9")
    assert alert.message == "A"
    assert (alert.entity_type, alert.entity_id) == ("job", "api")
    assert mapped({"alertname": "A"}, {"description": "d", "message": "m"}).message == "d"
    assert mapped({"alertname": "A"}, {"message": "m"}).message == "m"


def test_no_alertname_no_client_no_entity() -> None:
    alert = mapped({"team": "db"})
    assert alert.alert_type == "PrometheusAlert" and alert.message == "PrometheusAlert"
    assert alert.client_ref is None and alert.site_ref is None
    assert alert.entity_type is None and alert.entity_id is None


def test_long_alertname_and_message_are_truncated() -> None:
    alert = mapped({"alertname": "A" * 300}, {"summary": "s" * 5000})
    assert len(alert.alert_type) == 64 and len(alert.message) == 2000


def test_metadata_keeps_the_whole_alert() -> None:
    start = "2026-11-26T11:00:00Z"
    a = from_postable(
        postable(
            labels={"alertname": "A", "client": "c1"},
            annotations={"summary": "s"},
            startsAt=start,
            generatorURL="http://prom/graph",
        ),
        NOW,
        0,
    )
    assert a.metadata == {
        "labels": {"alertname": "A", "client": "c1"},
        "annotations": {"summary": "s"},
        "generator_url": "http://prom/graph",
        "starts_at": "2026-11-26T11:00:00+00:00",
        "ends_at": None,
        "fingerprint": fingerprint({"alertname": "A", "client": "c1"}),
    }


def test_draft_uses_client_scoped_fingerprint_key_and_alertmanager_source() -> None:
    a = from_postable(postable(startsAt="2026-11-26T11:00:00Z"), NOW, 0)
    d = a.draft("t1", "client-uuid", "site-uuid")
    assert d.dedup_key == dedup_key("client-uuid", a.fingerprint)
    assert d.dedup_key == f"am:client-uuid:{a.fingerprint}" and d.key() == d.dedup_key
    assert (d.tenant_id, d.client_id, d.site_id) == ("t1", "client-uuid", "site-uuid")
    assert d.source == "alertmanager" and d.severity is Severity.MEDIUM
    assert d.observed_at == datetime(2026, 11, 26, 11, tzinfo=UTC)
    assert d.metadata == a.metadata and d.metadata is not a.metadata


# --- resolved and future ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ends_at", "resolved"),
    [
        (None, False),
        ("0001-01-01T00:00:00Z", False),
        ("2026-11-26T12:05:00Z", False),
        ("2026-11-26T12:00:00Z", True),
        ("2026-11-26T11:59:00+01:00", True),
    ],
)
def test_postable_is_resolved_when_ends_at_is_not_after_now(
    ends_at: str | None, resolved: bool
) -> None:
    assert from_postable(postable(endsAt=ends_at), NOW, 0).resolved(NOW) is resolved


def test_starts_at_more_than_an_hour_ahead_is_refused_with_the_item_index() -> None:
    ok = NOW + timedelta(minutes=59)
    assert from_postable(postable(startsAt=ok.isoformat()), NOW, 3).starts_at == ok
    late = (NOW + timedelta(hours=1, seconds=1)).isoformat()
    with pytest.raises(InvalidInput) as err:
        from_postable(postable(startsAt=late), NOW, 3)
    assert (err.value.field, err.value.item) == ("startsAt", 3)


# --- webhook ---------------------------------------------------------------------


def test_real_alertmanager_webhook_parses_and_keeps_its_fingerprint() -> None:
    payload = WebhookPayload.model_validate(json.loads(AM_025_WEBHOOK))
    alert = from_webhook(payload.alerts[0], NOW, 0)
    assert alert.fingerprint == "ac862513787409ec" and alert.ends_at is None
    assert alert.starts_at == datetime(2026, 11, 26, 11, 16, 51, 187070, tzinfo=UTC)
    assert not alert.resolved(NOW)
    assert alert.severity is Severity.CRITICAL and alert.client_ref == "c1"


def test_webhook_ignores_unknown_fields_but_requires_version_4() -> None:
    data = json.loads(AM_025_WEBHOOK)
    data["newField"] = {"x": 1}
    data["alerts"][0]["newAlertField"] = "y"
    assert WebhookPayload.model_validate(data).alerts[0].status == "firing"
    data["version"] = "5"
    with pytest.raises(ValidationError) as err:
        WebhookPayload.model_validate(data)
    assert err.value.errors()[0]["loc"] == ("version",)


def test_webhook_resolved_status_or_past_ends_at_resolves() -> None:
    base = {"labels": {"alertname": "A"}, "startsAt": "2026-11-26T11:00:00Z"}
    resolved = WebhookAlert.model_validate({**base, "status": "resolved"})
    assert from_webhook(resolved, NOW, 0).resolved(NOW)
    past = WebhookAlert.model_validate({**base, "status": "firing", "endsAt": "2026-11-26T11:30Z"})
    assert from_webhook(past, NOW, 0).resolved(NOW)
    firing = WebhookAlert.model_validate({**base, "status": "firing"})
    a = from_webhook(firing, NOW, 0)
    assert not a.resolved(NOW) and a.fingerprint == fingerprint({"alertname": "A"})


def test_webhook_refuses_naive_times_and_bad_fingerprints() -> None:
    base = {"status": "firing", "labels": {"a": "b"}}
    with pytest.raises(ValidationError):
        WebhookAlert.model_validate({**base, "startsAt": "2026-11-26T11:00:00"})
    with pytest.raises(ValidationError):
        WebhookAlert.model_validate({**base, "fingerprint": "not-hex"})


# --- one import path ---------------------------------------------------------


def test_every_public_name_is_importable_from_the_alertmanager_module() -> None:
    """The route imports from ``alertmanager``; the split modules stay an
    implementation detail."""
    facade = importlib.import_module("noc_actors.domain.integrations.alertmanager")
    for module in ("am_identity", "am_wire", "am_render", "matchers"):
        part = importlib.import_module(f"noc_actors.domain.integrations.{module}")
        for name in part.__all__:
            assert getattr(facade, name) is getattr(part, name), f"{module}.{name}"
            assert name in facade.__all__, name
    for name in ("MAX_MATCHERS", "SOURCE", "RECEIVER", "AM_VERSION"):
        assert hasattr(facade, name), name
