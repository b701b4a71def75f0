"""Backpressure at the door, over real HTTP: an alert storm of 5,000 INFO
alerts for one tenant is shed exactly beyond the threshold (stored
SUPPRESSED, counted, never pushed), the HIGH and CRITICAL alerts in it are
untouched and pushed; a batch that does not fit the bounded ingest queue now
is answered 503 with Retry-After and nothing of it is written (one that
never could is 413)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from noc_actors.actors.client import NocClient
from tests.e2e.conftest import Api

SETTINGS = {"ingest_queue_size": 2000, "backpressure_check_interval_s": 0.5}
THRESHOLD = 1000  # SPEC default: more than 1,000 NEW INFO/LOW alerts


def storm(api: Api, run: str) -> list[dict[str, Any]]:
    """5,000 distinct INFO alerts of client a1 with 30 HIGH/CRITICAL mixed in."""
    items: list[dict[str, Any]] = []
    for i in range(5000):
        items.append(
            {
                "alert_type": "TEMP_DRIFT",
                "message": f"sensor {i} drifting",
                "client_id": api.ids["a1"],
                "severity": "INFO",
                "entity_type": "sensor",
                "entity_id": f"{run}-s{i}",
            }
        )
        if i % 250 == 100:
            sev = "CRITICAL" if i % 500 == 100 else "HIGH"
            items.append(
                {
                    "alert_type": "FIRE_PANEL",
                    "message": f"panel {i}",
                    "client_id": api.ids["a1"],
                    "severity": sev,
                    "entity_type": "panel",
                    "entity_id": f"{run}-p{i}",
                }
            )
    return items


class Listener:
    """Collects the hub's alert events of one tenant in a background thread."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()
        assert self.ready.wait(30)

    async def _run(self) -> None:
        noc = NocClient(self.api.settings.ray_namespace)
        gen = noc.subscribe(f"storm-{uuid.uuid4().hex[:6]}")
        async for batch in gen:
            for ev in batch:
                if ev.get("type") == "subscribed":
                    self.ready.set()
                elif ev.get("tenant_id") == self.api.ids["tenant_a"]:
                    self.events.append(ev)
            if self.stop.is_set():
                break
        await gen.aclose()


def test_storm_sheds_info_beyond_the_threshold_exactly_and_pushes_the_rest(api: Api) -> None:
    run = uuid.uuid4().hex[:6]
    items = storm(api, run)
    listener = Listener(api)
    totals = {"created": 0, "suppressed": 0, "folded": 0}
    with api.client("key") as http:
        for start in range(0, len(items), 1000):
            r = http.post("/api/noc/alerts", json={"alerts": items[start : start + 1000]})
            assert r.status_code == 200, r.text
            for k in totals:
                totals[k] += r.json()[k]
    rows = dict(
        ((sev, status), n)
        for sev, status, n in api.sql(
            "SELECT severity, status, count(*) FROM alerts WHERE entity_id LIKE :p "
            "GROUP BY severity, status",
            p=f"{run}-%",
        )
    )
    # "More than 1,000" triggers: the 1,001st NEW INFO alert is the last kept.
    assert rows[("INFO", "NEW")] == THRESHOLD + 1
    assert rows[("INFO", "SUPPRESSED")] == 5000 - THRESHOLD - 1
    assert rows[("HIGH", "NEW")] == 10 and rows[("CRITICAL", "NEW")] == 10
    assert totals == {"created": THRESHOLD + 1 + 20, "suppressed": 3999, "folded": 0}
    reasons = api.sql(
        "SELECT DISTINCT suppression_reason FROM alerts WHERE entity_id LIKE :p "
        "AND status = 'SUPPRESSED'",
        p=f"{run}-%",
    )
    assert reasons == [("backpressure",)]

    # Pushed: every created alert, no suppressed one; the level change too.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        new = [
            e
            for e in listener.events
            if e["type"] == "alert_new" and e["alert"]["entity_id"].startswith(run)
        ]
        levels = [e for e in listener.events if e["type"] == "backpressure"]
        if len(new) >= THRESHOLD + 21 and levels:
            break
        time.sleep(0.2)
    listener.stop.set()
    assert len(new) == THRESHOLD + 21
    assert all(e["alert"]["status"] == "NEW" for e in new)
    assert sum(e["alert"]["severity"] in ("HIGH", "CRITICAL") for e in new) == 20
    assert levels and levels[-1]["level"] == "ELEVATED"
    # No escalation deadline was armed for a suppressed alert.
    (escalated,) = api.sql(
        "SELECT count(*) FROM alerts WHERE entity_id LIKE :p AND escalation_level > 0",
        p=f"{run}-%",
    )
    assert escalated == (0,)


def test_a_full_ingest_queue_answers_503_and_never_accepts_then_drops(api: Api) -> None:
    """Six concurrent batches of 1,000 against a queue of 2,000 items: some are
    refused with 503 + Retry-After and wrote nothing; every 200 is stored whole."""
    run = uuid.uuid4().hex[:6]
    batches = [
        [
            {
                "alert_type": "QUEUE_PROBE",
                "message": "probe",
                "client_id": api.ids["a2"],
                "severity": "MEDIUM",
                "entity_type": "probe",
                "entity_id": f"{run}-b{b}-{i}",
            }
            for i in range(1000)
        ]
        for b in range(6)
    ]

    def send(batch: list[dict[str, Any]]) -> httpx.Response:
        with api.client("key") as http:
            return http.post("/api/noc/alerts", json={"alerts": batch})

    with ThreadPoolExecutor(len(batches)) as pool:
        answers = list(pool.map(send, batches))
    codes = [r.status_code for r in answers]
    assert set(codes) <= {200, 503} and 503 in codes and 200 in codes, codes
    for b, r in enumerate(answers):
        (stored,) = api.sql(
            "SELECT count(*) FROM alerts WHERE entity_id LIKE :p", p=f"{run}-b{b}-%"
        )[0]
        if r.status_code == 200:
            assert stored == 1000
        else:
            assert stored == 0 and int(r.headers["Retry-After"]) > 0
            assert "queue" in r.json()["error"]["message"]


def test_a_batch_larger_than_the_queue_is_413_not_a_retry_forever(api: Api) -> None:
    items = storm(api, uuid.uuid4().hex[:6])[:2001]
    with api.client("key") as http:
        r = http.post("/api/noc/alerts", json={"alerts": items})
    assert r.status_code == 413, r.text
    assert "smaller batches" in r.json()["error"]["message"]
