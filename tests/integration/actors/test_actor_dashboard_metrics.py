"""config/grafana/noc.json draws only metrics the actors export (issue 12
item 6): after some ingest and one escalation, every metric a panel's query
names is on Ray's metrics endpoint, tagged as the panel groups it."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from pathlib import Path

from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.policy import TenantPolicy
from tests.conftest import METRICS_PORT

DASHBOARD = Path(__file__).resolve().parents[3] / "config" / "grafana" / "noc.json"
BACKENDS = ("sqlite",)  # metrics do not depend on the database
SETTINGS = {"policy": TenantPolicy(escalation_minutes={Severity.HIGH: 1 / 60})}
SUFFIXES = ("_bucket", "_sum", "_count")


def panel_metrics() -> dict[str, set[str]]:
    """Each metric a panel's query names -> the labels it groups or shows by."""
    wanted: dict[str, set[str]] = {}
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            labels = set(re.findall(r"by \(([^)]*)\)", target["expr"]))
            labels = {x.strip() for group in labels for x in group.split(",")} - {"le"}
            labels |= set(re.findall(r"\{\{(\w+)\}\}", target.get("legendFormat", "")))
            for name in re.findall(r"\b(ray_noc_\w+)", target["expr"]):
                wanted.setdefault(name, set()).update(labels)
    return wanted


def exported() -> dict[str, set[str]]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5)
    found: dict[str, set[str]] = {}
    for line in body.read().decode().splitlines():
        m = re.match(r"(ray_noc_\w+?)(?:\{(.*)\})? \S+$", line)
        if m:
            labels = set(re.findall(r'(\w+)="', m.group(2) or ""))
            found.setdefault(m.group(1), set()).update(labels)
    return found


async def test_every_panel_draws_a_metric_the_actors_export(noc) -> None:
    wanted = panel_metrics()
    assert len(wanted) >= 8  # the dashboard is not empty
    cid = noc.client_ids[0]
    await noc.client.ingest_alerts(
        noc.tenant_id,
        cid,
        [
            AlertDraft(
                noc.tenant_id,
                cid,
                "SECURITY_ANOMALY",
                "door forced",
                severity=Severity.HIGH,
                site_id=noc.site_of[cid],
                entity_type="door",
                entity_id=f"d{i}",
            )
            for i in range(3)
        ],
    )
    missing: dict[str, set[str]] = dict(wanted)
    deadline = time.monotonic() + 90  # an escalation fires after 1 s; hosts report load every 5 s
    while missing and time.monotonic() < deadline:
        await asyncio.sleep(2)
        found = await asyncio.to_thread(exported)
        for name, labels in list(missing.items()):
            base = next((name.removesuffix(s) for s in SUFFIXES if name.endswith(s)), name)
            have = found.get(name) or found.get(base)
            if have is not None and labels <= have:
                del missing[name]
    assert not missing, f"panels draw metrics nobody exports (or without their labels): {missing}"
