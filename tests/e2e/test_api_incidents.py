"""Incidents over real HTTP: created from alerts (severity = the highest of
them), the state machine with an audit row per transition and 409 for the
rest, resolving cascades to the alerts, tenant isolation (404), site scope
(403 audited), PII masking, capabilities and validation naming the field."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from noc_actors.actors.client import NocClient
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from tests.e2e.conftest import PII_VALUES, Api, pii_metadata

URL = "/api/noc/incidents"


def ingest(api: Api, client: str, site: str, *severities: Severity) -> list[str]:
    """Fresh alerts of tenant A (one per severity) through the aggregator."""
    tag = uuid.uuid4().hex[:8]
    drafts = [
        AlertDraft(
            api.ids["tenant_a"],
            api.ids[client],
            "SECURITY_ANOMALY",
            f"door {tag}-{i} forced",
            severity=sev,
            site_id=api.ids[site],
            entity_type="door",
            entity_id=f"door-{tag}-{i}",
            metadata=pii_metadata(),
        )
        for i, sev in enumerate(severities)
    ]

    async def run() -> dict[str, Any]:
        noc = NocClient(api.settings.ray_namespace)
        return await noc.ingest_alerts(api.ids["tenant_a"], api.ids[client], drafts)

    return [item["alert_id"] for item in asyncio.run(run())["items"]]


def audit_rows(api: Api, entity_id: str) -> list[tuple[str, str, str | None]]:
    rows = api.sql(
        "SELECT action, actor_id, source_ip FROM audit_log WHERE entity_id = :e ORDER BY id",
        e=entity_id,
    )
    return [(r[0], r[1], r[2]) for r in rows]


def meta(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


def test_incident_from_alerts_takes_the_highest_severity_and_is_audited(api: Api) -> None:
    low, critical = ingest(api, "a1", "a1-n", Severity.LOW, Severity.CRITICAL)
    with api.client("operator") as c:
        r = c.post(URL, json={"alert_ids": [low, critical], "title": "  Doors forced  "})
        assert r.status_code == 201, r.text
        inc = r.json()
        assert (inc["severity"], inc["priority"], inc["state"]) == ("CRITICAL", "P1", "NEW")
        assert (inc["client_id"], inc["site_id"]) == (api.ids["a1"], api.ids["a1-n"])
        assert inc["title"] == "Doors forced" and inc["created_by"] == api.ids["operator"]
        assert sorted(inc["alert_ids"]) == sorted([low, critical])
        assert inc["sla_target"] > inc["created_at"] and inc["sla_met"] is None
        detail = c.get(f"{URL}/{inc['id']}")
        assert detail.status_code == 200
        assert {a["id"] for a in detail.json()["alerts"]} == {low, critical}
        listed = c.get(URL, params={"client_id": api.ids["a1"], "state": "NEW"}).json()
        assert inc["id"] in {i["id"] for i in listed["items"]}
        assert inc["id"] not in {
            i["id"] for i in c.get(URL, params={"state": "CLOSED"}).json()["items"]
        }
    assert audit_rows(api, inc["id"]) == [("INCIDENT_CREATE", api.ids["operator"], "127.0.0.1")]
    (row,) = api.sql("SELECT metadata FROM audit_log WHERE entity_id = :e", e=inc["id"])
    assert sorted(meta(row[0])["alert_ids"]) == sorted([low, critical])


def test_transitions_follow_the_state_machine_with_an_audit_row_each(api: Api) -> None:
    (alert,) = ingest(api, "a2", "a2-x", Severity.MEDIUM)
    with api.client("operator") as c:
        inc = c.post(URL, json={"alert_ids": [alert], "title": "t"}).json()
        base = f"{URL}/{inc['id']}"
        ack = c.post(f"{base}/acknowledge")
        assert ack.status_code == 200, ack.text
        assert ack.json()["state"] == "ACKNOWLEDGED" and ack.json()["time_to_ack"] >= 0
        for action in ("acknowledge", "start", "close"):
            r = c.post(f"{base}/{action}")
            assert r.status_code == 409, (action, r.text)
            assert r.json()["error"]["code"] == "invalid_transition"
        missing = c.post(f"{base}/assign", json={})
        assert missing.status_code == 422 and "assignee" in missing.json()["error"]["message"]
        assigned = c.post(f"{base}/assign", json={"assignee": api.ids["operator"]})
        assert assigned.json()["state"] == "ASSIGNED" and assigned.json()["assigned_at"]
        assert c.post(f"{base}/start").json()["state"] == "IN_PROGRESS"
        resolved = c.post(f"{base}/resolve", json={"notes": "fixed"})
        assert resolved.json()["state"] == "RESOLVED"
        assert resolved.json()["resolution_notes"] == "fixed"
        assert resolved.json()["sla_met"] is True
        assert c.post(f"{base}/resolve").status_code == 409
        assert c.post(f"{base}/close").json()["state"] == "CLOSED"
        assert c.get(base).json()["state"] == "CLOSED"
        assert c.post(f"{base}/reopen").status_code == 422
    actions = [a for a, who, ip in audit_rows(api, inc["id"]) if who == api.ids["operator"]]
    assert actions == [
        "INCIDENT_CREATE",
        "INCIDENT_ACKNOWLEDGE",
        "INCIDENT_ASSIGN",
        "INCIDENT_START",
        "INCIDENT_RESOLVE",
        "INCIDENT_CLOSE",
    ]


def test_resolving_an_incident_resolves_its_open_alerts(api: Api) -> None:
    first, second, third = ingest(api, "a2", "a2-x", Severity.HIGH, Severity.HIGH, Severity.LOW)
    with api.client("operator") as c:
        inc = c.post(URL, json={"alert_ids": [first, second, third], "title": "t"}).json()
        # One alert is closed already: the cascade leaves it be.
        assert c.post(f"/api/noc/alerts/{third}/resolve").status_code == 200
        r = c.post(f"{URL}/{inc['id']}/resolve", json={"notes": "door replaced"})
        assert r.status_code == 200, r.text
        assert r.json()["cascade"] == {"resolved": sorted([first, second]), "failed": {}}
    rows = api.sql(
        "SELECT id, status, resolved_by, resolution_notes FROM alerts WHERE id IN (:a, :b, :c)",
        a=first,
        b=second,
        c=third,
    )
    assert {r[1] for r in rows} == {"RESOLVED"}
    notes = {r[0]: r[3] for r in rows}
    assert notes[first] == notes[second] == "door replaced"
    assert ("RESOLVE", api.ids["operator"], "127.0.0.1") in audit_rows(api, first)


def test_another_tenants_incident_is_404(api: Api) -> None:
    theirs = api.alerts["b1-x"]
    with api.client("admin_b") as c:
        created = c.post(URL, json={"alert_ids": theirs, "title": "b"})
        assert created.status_code == 201, created.text
        inc_id = created.json()["id"]
    with api.client("admin") as c:
        assert c.get(f"{URL}/{inc_id}").status_code == 404
        r = c.post(f"{URL}/{inc_id}/acknowledge")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert inc_id not in {i["id"] for i in c.get(URL, params={"limit": 500}).json()["items"]}
        # Their alerts cannot go into our incidents either (and are not named ours).
        r = c.post(URL, json={"alert_ids": theirs[:1], "title": "steal"})
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "alert_ids"
    with api.client("admin_b") as c:
        assert c.get(f"{URL}/{inc_id}").status_code == 200
    assert api.sql("SELECT state FROM incidents WHERE id = :i", i=inc_id)[0][0] == "NEW"


def test_site_scoped_guard_sees_its_sites_incidents_and_is_denied_the_others(api: Api) -> None:
    with api.client("admin") as c:
        mine = c.post(URL, json={"alert_ids": api.alerts["a1-n"][:1], "title": "n"}).json()
        other = c.post(URL, json={"alert_ids": api.alerts["a1-s"][:1], "title": "s"}).json()
    with api.client("guard", **{"X-Correlation-ID": "inc-probe-1"}) as c:
        assert c.get(f"{URL}/{mine['id']}").status_code == 200
        denied = c.get(f"{URL}/{other['id']}")
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        listed = {i["id"] for i in c.get(URL, params={"limit": 500}).json()["items"]}
        assert mine["id"] in listed and other["id"] not in listed
        assert c.post(f"{URL}/{other['id']}/acknowledge").status_code == 403
        assert c.post(f"{URL}/{mine['id']}/acknowledge").json()["state"] == "ACKNOWLEDGED"
    rows = api.sql(
        "SELECT actor_id, source_ip, entity_type, entity_id FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'inc-probe-1'"
    )
    expected = (api.ids["guard"], "127.0.0.1", "incident", other["id"])
    assert [tuple(r) for r in rows] == [expected, expected]


def test_user_without_view_pii_gets_incidents_masked(api: Api) -> None:
    alert_id = api.alerts["a1-n"][1]
    name = PII_VALUES[0]
    with api.client("admin") as c:
        inc = c.post(URL, json={"alert_ids": [alert_id], "title": "p", "assignee": name}).json()
        assert inc["state"] == "ASSIGNED" and inc["assignee"] == name
        full = c.get(f"{URL}/{inc['id']}").json()
        assert full["alerts"][0]["metadata"]["email"] == PII_VALUES[1]
    with api.client("operator") as c:
        bodies = [c.get(URL, params={"limit": 500}).text, c.get(f"{URL}/{inc['id']}").text]
        reassigned = c.post(f"{URL}/{inc['id']}/assign", json={"assignee": name})
        bodies.append(reassigned.text)
    for text in bodies:
        for value in PII_VALUES:
            assert value not in text
    masked = json.loads(bodies[1])
    assert masked["assignee"] == "Ja***oe"
    assert masked["alerts"][0]["metadata"]["phone"] == "***-***-5309"
    actions = [a for a, _, _ in audit_rows(api, inc["id"])]
    assert actions == ["INCIDENT_CREATE", "INCIDENT_ASSIGN", "INCIDENT_ASSIGN"]


def test_missing_capability_is_403_and_audited_with_the_source_address(api: Api) -> None:
    (alert,) = ingest(api, "a1", "a1-s", Severity.INFO)
    with api.client("admin") as c:
        inc = c.post(URL, json={"alert_ids": [alert], "title": "v"}).json()
    with api.client("viewer", **{"X-Correlation-ID": "inc-probe-2"}) as c:
        r = c.post(URL, json={"alert_ids": [alert], "title": "v"})
        assert r.status_code == 403 and r.json()["error"]["correlation_id"] == "inc-probe-2"
        assert c.post(f"{URL}/{inc['id']}/acknowledge").status_code == 403
        assert c.post(f"{URL}/{inc['id']}/close").status_code == 403
        assert c.get(f"{URL}/{inc['id']}").status_code == 200
    rows = api.sql(
        "SELECT metadata, source_ip FROM audit_log WHERE "
        "action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'inc-probe-2' ORDER BY id"
    )
    assert [meta(r[0])["capability"] for r in rows] == [
        "noc:assign_incidents",
        "noc:ack_alerts",
        "noc:assign_incidents",
    ]
    assert {r[1] for r in rows} == {"127.0.0.1"}
    assert api.sql("SELECT state FROM incidents WHERE id = :i", i=inc["id"])[0][0] == "NEW"


def test_bad_input_is_422_naming_the_field(api: Api) -> None:
    (a1_alert,) = ingest(api, "a1", "a1-n", Severity.LOW)
    (a2_alert,) = ingest(api, "a2", "a2-x", Severity.LOW)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"alert_ids": [a1_alert], "title": "t", "colour": "red"}, "colour"),
        ({"alert_ids": [], "title": "t"}, "alert_ids"),
        ({"alert_ids": ["x"] * 101, "title": "t"}, "alert_ids"),
        ({"alert_ids": [a1_alert]}, "title"),
        ({"alert_ids": [a1_alert], "title": "t", "priority": "urgent"}, "priority"),
        ({"alert_ids": [a1_alert], "title": "t", "runbook_url": "ftp://x"}, "runbook_url"),
        ({"alert_ids": [a1_alert, a2_alert], "title": "t"}, "alert_ids"),
        ({"alert_ids": [a1_alert, "no-such-alert"], "title": "t"}, "alert_ids"),
    ]
    with api.client("admin") as c:
        for body, field in cases:
            r = c.post(URL, json=body)
            assert r.status_code == 422, (body, r.text)
            err = r.json()["error"]
            assert field in err["message"] and err["correlation_id"], (field, err)
        mixed = c.post(URL, json={"alert_ids": [a1_alert, a2_alert], "title": "t"})
        assert mixed.json()["error"]["fields"][0]["item"] == 1
        assert c.get(URL, params={"state": "DONE"}).status_code == 422
        assert c.get(f"{URL}/no-such-incident").status_code == 404
    assert api.sql("SELECT COUNT(*) FROM incident_alerts WHERE alert_id = :a", a=a2_alert) == [(0,)]


def test_escalating_an_incident_climbs_its_clients_chain(api: Api) -> None:
    """Like an alert's manual escalation: one level up the chain of the
    incident's client and site, then the tenant's admins; audited with the
    level and target, 409 once resolved, 403 without ``noc:escalate``."""
    chain = {
        "client_id": api.ids["a2"],
        "targets": [
            {"kind": "site_oncall", "ref": api.ids["operator"]},
            {"kind": "client_owner", "ref": api.ids["admin"]},
        ],
    }
    with api.client("admin") as c:
        assert c.put("/api/noc/policies/escalation", json=chain).status_code == 200
    (alert,) = ingest(api, "a2", "a2-x", Severity.HIGH)
    with api.client("operator") as c:
        inc = c.post(URL, json={"alert_ids": [alert], "title": "lift stuck"}).json()
        assert (inc["escalation_level"], inc["escalated_to"]) == (0, None)
        base = f"{URL}/{inc['id']}"
        first = c.post(f"{base}/escalate", json={"notes": "no answer on site"})
        assert first.status_code == 200, first.text
        assert (first.json()["escalation_level"], first.json()["escalated_to"]) == (
            1,
            api.ids["operator"],
        )
        assert first.json()["state"] == "NEW" and first.json()["escalated_at"]
        second = c.post(f"{base}/escalate").json()
        assert (second["escalation_level"], second["escalated_to"]) == (2, api.ids["admin"])
        third = c.post(f"{base}/escalate").json()
        assert (third["escalation_level"], third["escalated_to"]) == (3, "tenant_admins")
        assert c.get(base).json()["escalation_level"] == 3  # stored
        assert c.post(f"{base}/resolve").status_code == 200
        closed = c.post(f"{base}/escalate")
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "invalid_transition"
    with api.client("viewer") as c:  # no noc:escalate
        assert c.post(f"{base}/escalate").status_code == 403
    rows = api.sql(
        "SELECT action, metadata FROM audit_log WHERE entity_id = :e AND action = :a ORDER BY id",
        e=inc["id"],
        a="INCIDENT_ESCALATE",
    )
    levels = [(meta(m)["level"], meta(m)["target"]) for _, m in rows]
    assert levels == [(1, api.ids["operator"]), (2, api.ids["admin"]), (3, "tenant_admins")]
    assert meta(rows[0][1])["notes"] == "no answer on site"
