"""Property-based fuzzing of every ingest endpoint over real HTTP: whatever
the body — valid items, mutated items, wrong types, unknown fields, huge or
odd strings, bad timestamps — the NOC never answers 5xx, and a refused batch
(4xx) writes nothing: no alert and no change to an existing one."""

from __future__ import annotations

import json
import string
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Api

BACKENDS = ("sqlite",)  # the same code runs on both; the ingest tests cover PostgreSQL

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.one_of(
    st.sampled_from(
        [
            "2026-11-26T10:00:00Z",
            "2026-11-26T10:00:00",  # naive
            "9999-12-31T23:59:59-01:00",  # overflows once in UTC
            "0001-01-01T00:00:00+01:00",
            "0001-01-01T00:00:00Z",  # Go's zero time
            "2999-01-01T00:00:00Z",  # far future
            "yesterday",
            "",
        ]
    ),
    st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat()),
)
weird_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=string.printable, min_size=2000, max_size=2100),
    st.sampled_from(["", " ", "\x00", "💥" * 50, "A1", "a1", "../../etc"]),
)


def mutate(item: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """One random change to a valid item: replace, drop or add a field."""
    item = dict(item)
    if not item:
        return {data.draw(st.text(min_size=1, max_size=12)): data.draw(json_values)}
    how = data.draw(st.sampled_from(["keep", "replace", "drop", "add", "time", "text"]))
    key = data.draw(st.sampled_from(sorted(item)))
    if how == "replace":
        item[key] = data.draw(json_values)
    elif how == "drop":
        item.pop(key)
    elif how == "add":
        item[data.draw(st.text(min_size=1, max_size=12))] = data.draw(json_values)
    elif how == "time":
        item[key] = data.draw(timestamps)
    elif how == "text":
        item[key] = data.draw(weird_text)
    return item


def alert_item(api: Api, n: int) -> dict[str, Any]:
    return {
        "alert_type": "FUZZ",
        "message": f"fuzz {n}",
        "client_id": api.ids["a1"],
        "site_id": api.ids["a1-n"],
        "severity": "LOW",
        "entity_type": "fuzz",
        "entity_id": f"f{n}",
        "metadata": {"n": n},
        "dedup_key": f"fuzz-{n}",
        "observed_at": "2026-11-26T10:00:00Z",
    }


def event_item(api: Api, n: int) -> dict[str, Any]:
    return {
        "kind": "device",
        "id": f"fuzz-dev-{n}",
        "client_id": api.ids["a1"],
        "site_id": api.ids["a1-n"],
        "status": "offline",
        "last_seen": "2026-11-26T10:00:00Z",
        "name": "fuzz",
    }


def am_item(api: Api, n: int) -> dict[str, Any]:
    return {
        "labels": {"alertname": f"Fuzz{n}", "client": api.ids["a1"], "severity": "info"},
        "annotations": {"summary": "fuzz"},
        "startsAt": "2026-11-26T10:00:00Z",
        "generatorURL": "http://prometheus/graph",
    }


def pd_event(api: Api, n: int) -> dict[str, Any]:
    return {
        "routing_key": api.tokens["key_a1"],
        "event_action": "trigger",
        "dedup_key": f"fuzz-{n}",
        "payload": {"summary": "fuzz", "source": "fuzz", "severity": "info"},
    }


def fingerprint(api: Api) -> list[tuple[Any, ...]]:
    """Everything an ingest could write: alert rows (created, folded or
    resolved — not the escalation timer's own changes) and the live state."""
    alerts = api.sql("SELECT id, suppressed_count, last_seen, resolved_at FROM alerts ORDER BY id")
    state = api.sql("SELECT client_id, updated_at FROM client_live_state ORDER BY client_id")
    return [tuple(r) for r in alerts] + [tuple(r) for r in state]


def check(api: Api, path: str, body: Any, token: str | None = "key") -> None:
    before = fingerprint(api)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {api.tokens[token]}"
    raw = json.dumps(body).encode()
    r = httpx.post(f"{api.base_url}{path}", content=raw, headers=headers, timeout=60)
    assert r.status_code < 500, (r.status_code, r.text[:500], raw[:500])
    if r.status_code >= 400:
        assert fingerprint(api) == before, f"a refused batch wrote something: {r.text[:300]}"
        assert r.json()["error"]["correlation_id"]


@FUZZ
@given(data=st.data())
def test_alert_batches_never_5xx_nor_half_write(api: Api, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=4))
    items = [mutate(alert_item(api, i), data) for i in range(n)]
    check(api, "/api/noc/alerts", data.draw(st.sampled_from([{"alerts": items}, items, {}])))


@FUZZ
@given(data=st.data())
def test_event_batches_never_5xx_nor_half_write(api: Api, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=4))
    items = [mutate(event_item(api, i), data) for i in range(n)]
    check(api, "/api/noc/events", {"events": items})


@FUZZ
@given(data=st.data())
def test_alertmanager_posts_never_5xx_nor_half_write(api: Api, data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=3))
    items = [mutate(am_item(api, i), data) for i in range(n)]
    for item in items:
        if isinstance(item.get("labels"), dict) and data.draw(st.booleans()):
            item["labels"] = mutate(item["labels"], data)
    check(api, "/api/v2/alerts", items)


@FUZZ
@given(data=st.data())
def test_pagerduty_events_never_5xx_nor_half_write(api: Api, data: st.DataObject) -> None:
    body = mutate(pd_event(api, data.draw(st.integers(0, 3))), data)
    if isinstance(body.get("payload"), dict) and data.draw(st.booleans()):
        body["payload"] = mutate(body["payload"], data)
    check(api, "/v2/enqueue", body, token=None)


@FUZZ
@given(data=st.data())
def test_alertmanager_webhooks_never_5xx_nor_half_write(api: Api, data: st.DataObject) -> None:
    alert = {
        **am_item(api, data.draw(st.integers(0, 3))),
        "status": data.draw(st.sampled_from(["firing", "resolved", "odd"])),
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "c0ffee0123456789",
    }
    payload = {
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "noc",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [mutate(alert, data)],
    }
    check(api, "/api/noc/integrations/alertmanager", mutate(payload, data))
