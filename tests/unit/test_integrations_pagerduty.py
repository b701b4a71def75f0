"""SPEC 12 and Appendix: PagerDuty Events API v2 events become alert drafts;
trigger needs a payload, acknowledge and resolve need a dedup_key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.integrations.pagerduty import (
    PdEvent,
    accepted_response,
    pd_dedup_key,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def trigger(**payload: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"summary": "Disk full on host-1", "source": "host-1", "severity": "error"}
    p.update(payload)
    return {"routing_key": "rk", "event_action": "trigger", "dedup_key": "k1", "payload": p}


def event(data: dict[str, Any]) -> PdEvent:
    return PdEvent.model_validate(data)


def error_locs(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as err:
        PdEvent.model_validate(data)
    return [e["loc"] for e in err.value.errors()]


@pytest.mark.parametrize(
    ("pd", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("error", Severity.HIGH),
        ("warning", Severity.MEDIUM),
        ("info", Severity.INFO),
    ],
)
def test_severity_mapping(pd: str, severity: Severity) -> None:
    draft = event(trigger(severity=pd)).draft("t1", "c1", None, "k1", NOW)
    assert draft.severity is severity


def test_trigger_draft_fields() -> None:
    data = trigger(
        timestamp="2015-07-17T08:42:58.315+0000",
        component="mysql",
        group="prod-datapipe",
        custom_details={"client_id": "acme", "site": "s1", "free_space": "1%"},
        **{"class": "disk"},
    )
    data |= {
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "images": [{"src": "https://example.com/i.png"}],
    }
    ev = event(data)
    assert (ev.client_ref(), ev.site_ref()) == ("acme", "s1")
    d = ev.draft("t1", "client-uuid", "site-uuid", "k1", NOW)
    assert d.source == "pagerduty" and d.alert_type == "disk"
    assert d.message == "Disk full on host-1"
    assert (d.entity_type, d.entity_id) == ("source", "host-1")
    assert d.dedup_key == "pd:client-uuid:k1" == pd_dedup_key("client-uuid", "k1")
    assert (d.tenant_id, d.client_id, d.site_id) == ("t1", "client-uuid", "site-uuid")
    assert d.observed_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert d.metadata == {
        "pd_dedup_key": "k1",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"client_id": "acme", "site": "s1", "free_space": "1%"},
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "images": [{"src": "https://example.com/i.png"}],
    }


def test_minimal_trigger_defaults() -> None:
    data = trigger()
    del data["dedup_key"]
    ev = event(data)
    assert ev.dedup_key is None and ev.client_ref() is None and ev.site_ref() is None
    d = ev.draft("t1", "c1", None, "generated-key", NOW)
    assert d.alert_type == "PagerDutyEvent" and d.observed_at is None
    assert d.metadata == {"pd_dedup_key": "generated-key"}
    assert d.dedup_key == "pd:c1:generated-key"


def test_client_and_site_refs_fall_back_and_ignore_non_strings() -> None:
    ev = event(trigger(custom_details={"client": "acme", "site_id": "s9"}))
    assert (ev.client_ref(), ev.site_ref()) == ("acme", "s9")
    ev = event(trigger(custom_details={"client_id": 42, "client": " ", "site": ["x"]}))
    assert (ev.client_ref(), ev.site_ref()) == (None, None)


def test_long_class_is_truncated_and_long_keys_are_hashed_to_fit_the_column() -> None:
    d = event(trigger(**{"class": "c" * 255})).draft("t1", "c1", None, "k1", NOW)
    assert len(d.alert_type) == 64
    key = pd_dedup_key("c" * 128, "k" * 255)
    assert len(key) <= 300 and key.startswith("pd:" + "c" * 128 + ":sha256:")
    assert key == pd_dedup_key("c" * 128, "k" * 255)


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_only_routing_key_action_and_dedup_key(action: str) -> None:
    ev = event({"routing_key": "rk", "event_action": action, "dedup_key": "k1"})
    assert ev.payload is None and ev.client_ref() is None
    assert error_locs({"routing_key": "rk", "event_action": action}) == [("dedup_key",)]


def test_trigger_needs_a_payload() -> None:
    assert error_locs({"routing_key": "rk", "event_action": "trigger"}) == [("payload",)]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"routing_key": ""}, ("routing_key",)),
        ({"routing_key": "r" * 257}, ("routing_key",)),
        ({"event_action": "snooze"}, ("event_action",)),
        ({"dedup_key": "k" * 256}, ("dedup_key",)),
        ({"dedup_key": ""}, ("dedup_key",)),
        ({"extra": 1}, ("extra",)),
    ],
)
def test_top_level_validation(change: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert error_locs(trigger() | change) == [loc]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"summary": "s" * 1025}, "summary"),
        ({"source": ""}, "source"),
        ({"source": "s" * 256}, "source"),
        ({"severity": "fatal"}, "severity"),
        ({"timestamp": "2026-11-26T10:00:00"}, "timestamp"),
        ({"timestamp": "2026-11-26"}, "timestamp"),
        ({"custom_details": {"x": "y" * 20_000}}, "custom_details"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_payload_validation(payload: dict[str, Any], field: str) -> None:
    assert error_locs(trigger(**payload)) == [("payload", field)]


def test_payload_severity_is_required() -> None:
    data = trigger()
    del data["payload"]["severity"]
    assert error_locs(data) == [("payload", "severity")]


def test_nested_links_and_images_refuse_unknown_fields() -> None:
    assert error_locs(trigger() | {"links": [{"href": "h", "foo": 1}]}) == [("links", 0, "foo")]
    assert error_locs(trigger() | {"images": [{"alt": "a"}]}) == [("images", 0, "src")]


def test_future_timestamp_within_an_hour_is_now_beyond_is_refused() -> None:
    soon = event(trigger(timestamp=(NOW + timedelta(minutes=30)).isoformat()))
    assert soon.draft("t1", "c1", None, "k1", NOW).observed_at is None
    late = event(trigger(timestamp=(NOW + timedelta(hours=2)).isoformat()))
    with pytest.raises(InvalidInput) as err:
        late.draft("t1", "c1", None, "k1", NOW)
    assert err.value.field == "payload.timestamp"


def test_accepted_response_is_pagerdutys_202_body() -> None:
    assert accepted_response("k1") == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "k1",
    }
