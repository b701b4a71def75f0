"""PagerDuty Events API v2 compatibility: ``POST /v2/enqueue`` with the
integration key as routing_key; trigger / acknowledge / resolve by dedup_key."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.conftest import Api


def event(api: Api, action: str, key: str | None, who: str = "key", **payload: Any) -> dict:
    body: dict[str, Any] = {"routing_key": api.tokens[who], "event_action": action}
    if key is not None:
        body["dedup_key"] = key
    if action == "trigger":
        body["payload"] = {
            "summary": "Chiller 2 pressure high",
            "source": "bms-gw-7",
            "severity": "critical",
            "custom_details": {"client_id": api.ids["a1"], "site_id": api.ids["a1-s"]},
            **payload,
        }
    return body


def enqueue(api: Api, body: dict) -> httpx.Response:
    return httpx.post(f"{api.base_url}/v2/enqueue", json=body, timeout=30)


def rows(api: Api, key: str) -> list[tuple]:
    return [
        tuple(r)
        for r in api.sql(
            "SELECT id, status, severity, acknowledged_by, resolved_by, suppressed_count "
            "FROM alerts WHERE dedup_key LIKE :k",
            k=f"pd:%:{key}",
        )
    ]


def test_trigger_acknowledge_resolve_leave_one_alert_acknowledged_then_resolved(
    api: Api,
) -> None:
    key = f"chiller-{uuid.uuid4().hex[:6]}"
    for _ in range(2):  # a repeated trigger folds
        r = enqueue(api, event(api, "trigger", key))
        assert r.status_code == 202, r.text
        assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": key}
    ((aid, status, severity, _, _, repeats),) = rows(api, key)
    assert (status, severity, repeats) == ("NEW", "CRITICAL", 1)

    assert enqueue(api, event(api, "acknowledge", key)).status_code == 202
    ((_, status, _, acked_by, _, _),) = rows(api, key)
    assert status == "ACKNOWLEDGED" and acked_by == f"key:{api.ids['key']}"

    assert enqueue(api, event(api, "resolve", key)).status_code == 202
    ((same, status, _, _, resolved_by, _),) = rows(api, key)
    assert (same, status, resolved_by) == (aid, "RESOLVED", f"key:{api.ids['key']}")
    actions = [
        r[0]
        for r in api.sql("SELECT action FROM audit_log WHERE entity_id = :i ORDER BY id", i=aid)
    ]
    assert actions == ["ACKNOWLEDGE", "RESOLVE"]
    # Acknowledging or resolving again (or an unknown key) is accepted, changes nothing.
    assert enqueue(api, event(api, "resolve", key)).status_code == 202
    assert enqueue(api, event(api, "acknowledge", "never-seen")).status_code == 202


def test_trigger_without_dedup_key_gets_one_and_a_client_key_needs_no_client(
    api: Api,
) -> None:
    body = event(api, "trigger", None, who="key_a1", custom_details={})
    r = enqueue(api, body)
    assert r.status_code == 202, r.text
    key = r.json()["dedup_key"]
    ((_, status, _, _, _, _),) = rows(api, key)
    assert status == "NEW"
    (client,) = api.sql("SELECT client_id FROM alerts WHERE dedup_key LIKE :k", k=f"pd:%:{key}")
    assert client[0] == api.ids["a1"]


def test_bad_pagerduty_events_are_refused_naming_the_field(api: Api) -> None:
    no_client = event(api, "trigger", "k1", custom_details={})
    r = enqueue(api, no_client)
    assert r.status_code == 422 and "custom_details.client_id" in r.text, r.text
    r = enqueue(api, {"routing_key": api.tokens["key"], "event_action": "trigger"})
    assert r.status_code == 422 and "payload" in r.text
    r = enqueue(api, {"routing_key": api.tokens["key"], "event_action": "resolve"})
    assert r.status_code == 422 and "dedup_key" in r.text
    r = enqueue(api, {**event(api, "trigger", "k2"), "event_action": "explode"})
    assert r.status_code == 422 and "event_action" in r.text
    r = enqueue(api, {**event(api, "trigger", "k3"), "routing_key": "not-a-key"})
    assert r.status_code == 401
    other = event(api, "trigger", "k4", who="key_a1")
    other["payload"]["custom_details"] = {"client_id": api.ids["a2"]}
    assert enqueue(api, other).status_code == 403
    assert api.sql("SELECT count(*) FROM alerts WHERE dedup_key LIKE :k", k="pd:%:k_") == [(0,)]
