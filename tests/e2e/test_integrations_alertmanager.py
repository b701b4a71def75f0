"""Prometheus Alertmanager compatibility against the real thing: Debian's
``prometheus-alertmanager`` 0.25 (127.0.0.1, clustering off) forwards to the
NOC's webhook receiver, and ``amtool`` talks to the NOC as if it were an
Alertmanager. Also the API v2 semantics Prometheus relies on."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import debian_tool
from tests.e2e.conftest import Api, free_port

AM_BIN = "prometheus-alertmanager"


def ensure_alertmanager() -> None:
    debian_tool("prometheus-alertmanager", AM_BIN, "amtool")


def wait_until(predicate: Any, timeout_s: float, step: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def alertmanager(api: Api, tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager whose only receiver is the NOC's webhook."""
    ensure_alertmanager()
    port = free_port()
    webhook = f"{api.base_url}/api/noc/integrations/alertmanager"
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        f"""
route:
  receiver: noc
  group_by: ['alertname', 'client']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: noc
    webhook_configs:
      - url: {webhook}
        send_resolved: true
        http_config:
          authorization:
            credentials: {api.tokens["key"]}
"""
    )
    log = (tmp_path / "am.log").open("w")
    proc = subprocess.Popen(
        [
            AM_BIN,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(ready, 30), (tmp_path / "am.log").read_text()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def noc_alert(api: Api, alert_type: str) -> tuple[str, str, str, int] | None:
    rows = api.sql(
        "SELECT status, severity, dedup_key, suppressed_count FROM alerts "
        "WHERE alert_type = :t AND source = 'alertmanager'",
        t=alert_type,
    )
    assert len(rows) <= 1, rows
    return tuple(rows[0]) if rows else None  # type: ignore[return-value]


def test_alerts_posted_to_alertmanager_arrive_in_the_noc_and_resolve(
    api: Api, alertmanager: str
) -> None:
    name = f"DiskFull{uuid.uuid4().hex[:6]}"
    labels = {
        "alertname": name,
        "client": "A1",  # the client's name works as well as its id
        "site": api.ids["a1-n"],
        "severity": "critical",
        "instance": "db-1:9100",
    }
    firing = [{"labels": labels, "annotations": {"summary": "disk 97% full"}}]
    assert httpx.post(f"{alertmanager}/api/v2/alerts", json=firing).status_code == 200
    assert wait_until(lambda: noc_alert(api, name) is not None, 20)
    status, severity, key, _ = noc_alert(api, name)  # type: ignore[misc]
    assert (status, severity) == ("NEW", "CRITICAL")
    # The dedup key is Alertmanager's own fingerprint of the labels, per client.
    (listed,) = [
        a for a in httpx.get(f"{alertmanager}/api/v2/alerts").json() if a["labels"] == labels
    ]
    assert key == f"am:{api.ids['a1']}:{listed['fingerprint']}"

    ended = [{**firing[0], "endsAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}]
    assert httpx.post(f"{alertmanager}/api/v2/alerts", json=ended).status_code == 200
    assert wait_until(lambda: noc_alert(api, name)[0] == "RESOLVED", 20)  # type: ignore[index]


def amtool(api: Api, tmp_path: Path, *args: str) -> str:
    http_config = tmp_path / "amtool-http.yml"
    http_config.write_text(f"authorization:\n  credentials: {api.tokens['key']}\n")
    result = subprocess.run(
        [
            "amtool",
            f"--alertmanager.url={api.base_url}/",
            f"--http.config.file={http_config}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_amtool_adds_an_alert_to_the_noc_and_queries_it(api: Api, tmp_path: Path) -> None:
    ensure_alertmanager()
    name = f"AmtoolProbe{uuid.uuid4().hex[:6]}"
    amtool(
        api,
        tmp_path,
        "alert",
        "add",
        f"alertname={name}",
        f"client={api.ids['a2']}",
        "severity=warning",
        "--annotation=summary=probe from amtool",
    )
    status, severity, _, _ = noc_alert(api, name)  # type: ignore[misc]
    assert (status, severity) == ("NEW", "MEDIUM")
    listed = json.loads(amtool(api, tmp_path, "-o", "json", "alert", "query", f"alertname={name}"))
    assert [a["labels"]["alertname"] for a in listed] == [name]
    assert listed[0]["annotations"]["summary"] == "probe from amtool"
    simple = amtool(api, tmp_path, "alert", "query", f"alertname={name}")
    assert name in simple and "probe from amtool" in simple


def test_prometheus_resends_fold_and_a_past_ends_at_resolves(api: Api) -> None:
    name = f"HighLoad{uuid.uuid4().hex[:6]}"
    alert = {
        "labels": {"alertname": name, "client": api.ids["a1"], "severity": "info"},
        "annotations": {"summary": "load high"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "endsAt": (datetime.now(UTC) + timedelta(minutes=4)).isoformat(),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=load",
    }
    with api.client("key") as http:
        for _ in range(3):
            r = http.post("/api/v2/alerts", json=[alert])
            assert r.status_code == 200 and r.content == b"", r.text
        assert noc_alert(api, name)[::3] == ("NEW", 2)  # type: ignore[index]
        past = {**alert, "endsAt": (datetime.now(UTC) - timedelta(seconds=5)).isoformat()}
        assert http.post("/api/v2/alerts", json=[past]).status_code == 200
    assert noc_alert(api, name)[0] == "RESOLVED"  # type: ignore[index]


def test_alertmanager_api_refuses_bad_input_naming_the_item_and_field(api: Api) -> None:
    good = {"labels": {"alertname": "X", "client": api.ids["a1"]}}
    cases = [
        ([good, {"labels": {"alertname": "Y"}, "colour": "red"}], "1.colour"),
        ([good, {"labels": {"alertname": "Y", "client": "ghost"}}], "1.labels.client"),
        ([{"labels": {}}], "0.labels"),
        ([{**good, "startsAt": "2026-11-26T10:00:00"}], "0.startsAt"),
    ]
    with api.client("key") as http:
        for body, field in cases:
            r = http.post("/api/v2/alerts", json=body)
            assert 400 <= r.status_code < 500, r.text
            assert field in r.text, (field, r.text)
        assert http.post("/api/v2/alerts", json=[good]).status_code == 200
    with api.client("key_a1") as http:
        other = {"labels": {"alertname": "X", "client": api.ids["a2"]}}
        assert http.post("/api/v2/alerts", json=[other]).status_code == 403


def test_an_ingest_key_reads_only_what_came_through_alertmanager_and_reads_are_audited(
    api: Api,
) -> None:
    """Issue 11 item 5: a client-less key listed every client's alerts —
    platform and SUPPRESSED ones too — and nobody knew."""
    name = f"KeyRead{uuid.uuid4().hex[:6]}"
    posted = [
        {"labels": {"alertname": name, "client": api.ids[c], "severity": "warning"}}
        for c in ("a1", "a2")
    ]
    with api.client("key") as http:
        assert http.post("/api/v2/alerts", json=posted).status_code == 200
        everything = http.get("/api/v2/alerts")
    with api.client("key_a1") as http:
        mine = http.get("/api/v2/alerts")
    with api.client("admin") as http:
        as_user = http.get("/api/v2/alerts")
    assert everything.status_code == mine.status_code == as_user.status_code == 200
    names = {a["labels"]["alertname"] for a in everything.json()}
    assert name in names and "SECURITY_ANOMALY" not in names  # the seeded platform alerts
    assert {a["labels"]["client"] for a in mine.json()} == {api.ids["a1"]}
    assert "SECURITY_ANOMALY" in {a["labels"]["alertname"] for a in as_user.json()}
    reads = api.sql(
        "SELECT actor_id, metadata FROM audit_log WHERE action = 'READ_ALERTS' "
        "AND tenant_id = :t ORDER BY id DESC LIMIT 3",
        t=api.ids["tenant_a"],
    )
    actors = [r[0] for r in reads]
    assert actors == [api.ids["admin"], f"key:{api.ids['key_a1']}", f"key:{api.ids['key']}"]
    meta = reads[1][1] if isinstance(reads[1][1], dict) else json.loads(reads[1][1])
    assert meta["alerts"] == len(mine.json()) and meta["source"] == "alertmanager"
