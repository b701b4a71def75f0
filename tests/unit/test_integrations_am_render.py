"""SPEC 12 and Appendix: NOC alerts render back the way Alertmanager 0.25
shows them (GettableAlert, status document, time format)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from noc_actors.domain.integrations.alertmanager import from_postable
from noc_actors.domain.integrations.am_identity import fingerprint
from noc_actors.domain.integrations.am_render import (
    format_time,
    gettable_alert,
    status_document,
)
from noc_actors.domain.integrations.am_wire import PostableAlert

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# Keys, in order, and value types of a GettableAlert from Alertmanager 0.25.
GETTABLE_KEYS = [
    "annotations",
    "endsAt",
    "fingerprint",
    "receivers",
    "startsAt",
    "status",
    "updatedAt",
    "generatorURL",
    "labels",
]


def stored(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "a1",
        "client_id": "c1",
        "site_id": "s1",
        "alert_type": "DEVICE_OFFLINE",
        "severity": "HIGH",
        "status": "NEW",
        "message": "Device d1 offline",
        "first_seen": "2026-11-26T11:00:00.123456+00:00",
        "last_seen": "2026-11-26T11:30:00+00:00",
        "resolved_at": None,
        "metadata": {},
        "source": "alertmanager",
    }
    d.update(kw)
    return d


def test_alertmanager_alert_renders_with_its_labels_and_fingerprint() -> None:
    posted = PostableAlert.model_validate(
        {
            "labels": {"alertname": "DiskFull", "client": "c1"},
            "annotations": {"summary": "s", "empty": ""},
            "generatorURL": "http://p/g",
        }
    )
    am = from_postable(posted, NOW, 0)
    out = gettable_alert(stored(metadata=am.metadata), NOW)
    assert list(out) == GETTABLE_KEYS
    assert out["labels"] == am.labels and out["fingerprint"] == am.fingerprint
    assert out["annotations"] == {"summary": "s", "empty": ""}
    assert out["generatorURL"] == "http://p/g"
    assert out["receivers"] == [{"name": "noc"}]
    assert out["status"] == {"inhibitedBy": [], "silencedBy": [], "state": "active"}
    assert out["startsAt"] == "2026-11-26T11:00:00.123Z"
    assert out["updatedAt"] == "2026-11-26T11:30:00.000Z"
    assert out["endsAt"] == "2026-11-26T12:05:00.000Z"


def test_platform_alert_gets_synthesized_labels_and_no_generator_url() -> None:
    generic = {"labels": {"x": "y"}, "generator_url": "http://g"}
    out = gettable_alert(stored(status="SUPPRESSED", source="api", metadata=generic), NOW)
    assert list(out) == [k for k in GETTABLE_KEYS if k != "generatorURL"]
    assert out["labels"] == {
        "alertname": "DEVICE_OFFLINE",
        "severity": "high",
        "client": "c1",
        "site": "s1",
        "alert_id": "a1",
    }
    assert out["fingerprint"] == fingerprint(out["labels"])
    assert out["annotations"] == {"summary": "Device d1 offline"}
    assert out["status"]["state"] == "suppressed"
    assert "site" not in gettable_alert(stored(site_id=None), NOW)["labels"]


def test_resolved_alert_ends_when_it_was_resolved() -> None:
    out = gettable_alert(stored(status="RESOLVED", resolved_at="2026-11-26T11:45:00Z"), NOW)
    assert out["endsAt"] == "2026-11-26T11:45:00.000Z"
    assert json.loads(json.dumps(out)) == out


def test_format_time_is_rfc3339_utc_with_milliseconds() -> None:
    t = datetime(2026, 11, 26, 11, 0, 0, 999999, tzinfo=UTC)
    assert format_time(t) == "2026-11-26T11:00:00.999Z"


def test_status_document_has_the_shape_amtool_reads() -> None:
    doc = status_document(NOW - timedelta(hours=2), NOW)
    assert list(doc) == ["cluster", "config", "uptime", "versionInfo"]
    assert doc["cluster"] == {"peers": [], "status": "disabled"}
    original = doc["config"]["original"]
    assert isinstance(original, str) and "receiver: noc" in original
    assert doc["uptime"] == "2026-11-26T10:00:00.000Z"
    info = doc["versionInfo"]
    assert set(info) == {"branch", "buildDate", "buildUser", "goVersion", "revision", "version"}
    assert info["version"] == "0.25.0" and all(isinstance(v, str) for v in info.values())
