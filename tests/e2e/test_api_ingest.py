"""Ingest over real HTTP: platform events through the rules and alert
batches, answered per item; integration keys and their client scope; bad
input refused whole with the item and field named, nothing half-written."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from noc_actors.store.db import make_engine
from noc_actors.store.repos import clients
from tests.e2e.conftest import Api

EVENTS = "/api/noc/events"
ALERTS = "/api/noc/alerts"


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def alert(api: Api, client: str = "a1", **kw: Any) -> dict[str, Any]:
    body = {
        "alert_type": "UPS_ON_BATTERY",
        "message": "UPS on battery",
        "client_id": api.ids[client],
        "severity": "high",
        "entity_type": "ups",
        "entity_id": f"ups-{uuid.uuid4().hex[:8]}",
    }
    body.update(kw)
    return body


def count_alerts(api: Api) -> int:
    return int(api.sql("SELECT count(*) FROM alerts")[0][0])


def test_platform_events_raise_alerts_that_are_stored_before_the_answer(api: Api) -> None:
    ticket = f"T-{uuid.uuid4().hex[:6]}"
    device = f"D-{uuid.uuid4().hex[:6]}"
    body = {
        "events": [
            {
                "kind": "ticket",
                "id": ticket,
                "client_id": api.ids["a1"],
                "site_id": api.ids["a1-n"],
                "priority": "P1",
                "status": "OPEN",
                "created_at": ago(5),
                "title": "Lift stuck",
            },
            {
                "kind": "device",
                "id": device,
                "client_id": api.ids["a2"],
                "site_id": api.ids["a2-x"],
                "status": "offline",
                "last_seen": ago(1),
            },
        ]
    }
    with api.client("key") as http:
        r = http.post(EVENTS, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["accepted"] == 2 and out["rejected"] == 0
    assert [i["status"] for i in out["items"]] == ["accepted", "accepted"]
    assert out["created"] == len(out["alerts"]) >= 2
    stored = {
        (row[0], row[1])
        for row in api.sql(
            "SELECT alert_type, entity_id FROM alerts WHERE id IN ("
            + ",".join(f"'{a['alert_id']}'" for a in out["alerts"])
            + ")"
        )
    }
    assert ("SLA_BREACH", ticket) in stored
    assert ("DEVICE_OFFLINE", device) in stored


def test_alert_batch_answers_per_item_and_folds_repeats(api: Api) -> None:
    key = f"k-{uuid.uuid4().hex[:6]}"
    items = [
        alert(api, dedup_key=key, metadata={"rack": "r1"}),
        alert(api, dedup_key=key),
        alert(api, "a2", site_id=api.ids["a2-x"], severity="INFO"),
    ]
    with api.client("key") as http:
        r = http.post(ALERTS, json={"alerts": items})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [i["status"] for i in out["items"]] == ["created", "folded", "created"]
    assert out["items"][0]["alert_id"] == out["items"][1]["alert_id"]
    assert (out["created"], out["folded"], out["accepted"]) == (2, 1, 3)
    ((status, count, source, dedup),) = api.sql(
        "SELECT status, suppressed_count, source, dedup_key FROM alerts WHERE id = :i",
        i=out["items"][0]["alert_id"],
    )
    assert (status, count, source) == ("NEW", 1, "api")
    assert dedup == f"api:{api.ids['a1']}:{key}"
    # The operator reads it back through the REST API.
    with api.client("admin") as http:
        got = http.get(f"{ALERTS}/{out['items'][2]['alert_id']}").json()
    assert got["severity"] == "INFO" and got["site_id"] == api.ids["a2-x"]


def test_a_batch_retried_with_its_idempotency_key_is_applied_once(api: Api) -> None:
    key = f"k-{uuid.uuid4().hex[:6]}"
    items = [alert(api, dedup_key=key), alert(api, "a2", dedup_key=key)]
    batch = f"batch-{uuid.uuid4().hex}"
    with api.client("key", **{"Idempotency-Key": batch}) as http:
        first = http.post(ALERTS, json={"alerts": items})
        again = http.post(ALERTS, json={"alerts": items})
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["replayed"] is False and again.json()["replayed"] is True
    assert again.json()["items"] == first.json()["items"]
    counts = api.sql(
        "SELECT suppressed_count FROM alerts WHERE dedup_key LIKE :k", k=f"api:%:{key}"
    )
    assert sorted(counts) == [(0,), (0,)], "the retry was not counted as a repeat"
    with api.client("key") as http:  # without the key, a resend is a repeat
        resent = http.post(ALERTS, json={"alerts": items[:1]})
    assert resent.json()["items"][0]["status"] == "folded"
    with api.client("key", **{"Idempotency-Key": batch}) as http:  # same key, other items
        other = http.post(ALERTS, json={"alerts": [alert(api)]})
    assert other.status_code == 200 and other.json()["replayed"] is False
    assert other.json()["items"][0]["status"] == "created"
    with api.client("key", **{"Idempotency-Key": "x" * 129}) as http:
        bad = http.post(ALERTS, json={"alerts": items})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.text


def test_two_clients_may_report_the_same_entity_without_a_site(api: Api) -> None:
    entity = f"ups-{uuid.uuid4().hex[:6]}"
    items = [alert(api, "a1", entity_id=entity), alert(api, "a2", entity_id=entity)]
    with api.client("key") as http:
        r = http.post(ALERTS, json={"alerts": items})
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()["items"]] == ["created", "created"]


def test_key_limited_to_client_a1_cannot_create_an_alert_for_a2(api: Api) -> None:
    before = count_alerts(api)
    with api.client("key_a1", **{"User-Agent": "probe/1"}) as http:
        ok = http.post(ALERTS, json={"alerts": [alert(api, "a1")]})
        refused = http.post(ALERTS, json={"alerts": [alert(api, "a1"), alert(api, "a2")]})
        events = http.post(
            EVENTS,
            json={
                "events": [
                    {
                        "kind": "device",
                        "id": "d-x",
                        "client_id": api.ids["a2"],
                        "site_id": api.ids["a2-x"],
                        "status": "online",
                        "last_seen": ago(0),
                    }
                ]
            },
        )
    assert ok.status_code == 200, ok.text
    assert refused.status_code == 403, refused.text
    assert events.status_code == 403, events.text
    assert api.ids["a2"] in refused.json()["error"]["message"]
    assert count_alerts(api) == before + 1, "the refused batch wrote nothing"
    rows = api.sql(
        "SELECT actor_id, entity_id, source_ip FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND actor_id = :a",
        a=f"key:{api.ids['key_a1']}",
    )
    assert len(rows) == 2 and {r[1] for r in rows} == {api.ids["a2"]}
    assert all(r[2] == "127.0.0.1" for r in rows)


def test_tokens_without_noc_ingest_and_other_tenants_clients_are_refused(api: Api) -> None:
    with api.client("viewer") as http:
        assert http.post(ALERTS, json={"alerts": [alert(api)]}).status_code == 403
    with api.client("admin_b") as http:
        r = http.post(ALERTS, json={"alerts": [alert(api, "a1")]})
    assert r.status_code == 422 and "alerts.0.client_id" in r.text
    with api.client(None) as http:
        assert http.post(ALERTS, json={"alerts": [alert(api)]}).status_code == 401


BAD_INPUTS = (
    "unknown field", "wrong type", "bad severity", "naive time", "future time", "long message",
    "long type", "unknown client", "foreign site", "empty batch", "oversized batch",
    "no body key", "big metadata",
)  # fmt: skip


def bad_inputs(api: Api) -> dict[str, tuple[Any, str]]:
    """Each bad input by name: (body, the field its error must name)."""
    far = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    good = alert(api)
    cases = [
        ("unknown field", {"alerts": [good, {**alert(api), "colour": "red"}]}, "alerts.1.colour"),
        ("wrong type", {"alerts": [{**good, "metadata": "x"}]}, "alerts.0.metadata"),
        ("bad severity", {"alerts": [{**good, "severity": "urgent"}]}, "alerts.0.severity"),
        ("naive time", {"alerts": [{**good, "observed_at": "2026-11-26T10:00:00"}]}, "observed_at"),
        ("future time", {"alerts": [good, {**good, "observed_at": far}]}, "alerts.1.observed_at"),
        ("long message", {"alerts": [{**good, "message": "x" * 2001}]}, "alerts.0.message"),
        ("long type", {"alerts": [{**good, "alert_type": "X" * 65}]}, "alerts.0.alert_type"),
        ("unknown client", {"alerts": [good, alert(api, client_id="nope")]}, "alerts.1.client_id"),
        (
            "foreign site",
            {"alerts": [good, {**good, "site_id": api.ids["a2-x"]}]},
            "alerts.1.site_id",
        ),
        ("empty batch", {"alerts": []}, "alerts"),
        ("oversized batch", {"alerts": [good] * 5001}, "alerts"),
        ("no body key", {"events": []}, "alerts"),
        ("big metadata", {"alerts": [{**good, "metadata": {"x": "y" * 20_000}}]}, "metadata"),
    ]
    assert tuple(n for n, _, _ in cases) == BAD_INPUTS, "a case without its name in BAD_INPUTS"
    return {name: (body, field) for name, body, field in cases}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_alert_batches_are_refused_whole_naming_item_and_field(api: Api, name: str) -> None:
    body, field = bad_inputs(api)[name]
    before = count_alerts(api)
    with api.client("key") as http:
        r = http.post(ALERTS, json=body)
    assert r.status_code == 422, (name, r.text)
    error = r.json()["error"]
    assert error["correlation_id"] and field in json.dumps(error), (name, error)
    assert count_alerts(api) == before, f"{name}: nothing may be written"


def test_malformed_json_and_bad_events_name_the_problem(api: Api) -> None:
    with api.client("key", **{"Content-Type": "application/json"}) as http:
        r = http.post(ALERTS, content=b'{"alerts": [')
        assert r.status_code == 422 and "json" in r.text.lower(), r.text
        naive = http.post(
            EVENTS,
            json={
                "events": [
                    {
                        "kind": "ticket",
                        "id": "t",
                        "client_id": api.ids["a1"],
                        "priority": "P1",
                        "status": "OPEN",
                        "created_at": "2026-11-26T10:00:00",
                    }
                ]
            },
        )
        assert naive.status_code == 422 and "events.0.ticket.created_at" in naive.text
        kind = http.post(EVENTS, json={"events": [{"kind": "printer", "id": "p"}]})
        assert kind.status_code == 422 and "events.0" in kind.text


def test_disabled_clients_items_are_rejected_with_the_reason_others_accepted(api: Api) -> None:
    cid = f"a3-{uuid.uuid4().hex[:6]}"

    async def make() -> None:
        engine = make_engine(api.url)
        try:
            async with engine.begin() as db:
                await clients.create_client(
                    db, tenant_id=api.ids["tenant_a"], name=cid, client_id=cid, enabled=False
                )
        finally:
            await engine.dispose()

    asyncio.run(make())
    with api.client("key") as http:
        r = http.post(ALERTS, json={"alerts": [alert(api), alert(api, client_id=cid)]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [i["status"] for i in out["items"]] == ["created", "rejected"]
    assert "disabled" in out["items"][1]["reason"]
    assert api.sql("SELECT count(*) FROM alerts WHERE client_id = :c", c=cid)[0][0] == 0


def test_openapi_documents_the_ingest_endpoints(api: Api) -> None:
    doc = httpx.get(f"{api.base_url}/openapi.json", timeout=30).json()
    assert "post" in doc["paths"]["/api/noc/events"]
    assert "post" in doc["paths"]["/api/noc/alerts"]


def _raw_request(api: Api, head: str, timeout_s: float = 5.0) -> bytes:
    """Send only ``head`` (request line and headers, no body) and read what
    the server answers before the body would have come."""
    host, port = api.base_url.removeprefix("http://").split(":")
    got = b""
    with socket.create_connection((host, int(port)), timeout=timeout_s) as s:
        s.sendall(head.encode())
        try:
            while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < _length(got):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except TimeoutError:
            pass
    return got


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_stranger_is_refused_before_a_byte_of_its_body_is_read(api: Api) -> None:
    """Issue 11 item 3: a request with no token declaring a 100 MB body was
    answered only after the body was read (the server waited for it)."""
    for path in (ALERTS, EVENTS, "/api/v2/alerts", "/api/noc/policies"):
        method = "PUT" if path.endswith("policies") else "POST"
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
        )
        answer = _raw_request(api, head)
        assert answer.startswith(b"HTTP/1.1 401"), (path, answer[:200])
        assert b"unauthenticated" in answer


def test_bodies_over_the_cap_are_413_naming_the_limit(api: Api) -> None:
    cap = api.settings.max_body_bytes
    big = b'{"alerts": [' + b" " * (cap + 1) + b"]}"
    with api.client("key") as http:
        declared = http.post(ALERTS, content=big, headers={"Content-Type": "application/json"})

        def chunks() -> Iterator[bytes]:  # no Content-Length: the body streams past the cap
            yield big[: cap // 2]
            yield big[cap // 2 :]

        streamed = http.post(ALERTS, content=chunks(), headers={"Content-Type": "application/json"})
        fine = http.post(ALERTS, json={"alerts": [alert(api)]})
    assert declared.status_code == 413, declared.text
    assert declared.json()["error"]["code"] == "payload_too_large"
    assert "NOC_MAX_BODY_BYTES" in declared.json()["error"]["message"]
    assert streamed.status_code == 413, streamed.text
    assert "NOC_MAX_BODY_BYTES" in streamed.json()["error"]["message"]
    assert fine.status_code == 200, fine.text
