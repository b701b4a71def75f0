"""``GET /api/noc/alerts/{id}/timeline`` over real HTTP (issue 15 item 2): a
scripted story gives its entries in order with who, level and target; an
alert created into an incident (by an operator, by the rule) names it; a
maintenance window's suppression says its reason; a reader without
``noc:view_pii`` gets the values masked as the alert read masks them; scope
and tenancy answer as the alert read does."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import PII_VALUES, Api, pii_metadata

NOTES = "Called +1 555 867 5309, wrote to jane.roe@example.com: door fixed"
MASKED_NOTES = "Called ***-***-5309, wrote to j***e@example.com: door fixed"
INCIDENT_TITLE = "Forced doors, ask jane.roe@example.com"


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def post_alert(api: Api, client: str, site: str, **kw: Any) -> str:
    body = {
        "alert_type": "SECURITY_ANOMALY",
        "message": f"door forced ({api.tag})",
        "client_id": api.ids[client],
        "site_id": api.ids[site],
        "severity": "HIGH",
        "entity_type": "door",
        "entity_id": f"door-{uuid.uuid4().hex[:8]}",
        **kw,
    }
    with api.client("key") as c:
        return str(ok(c.post("/api/noc/alerts", json={"alerts": [body]}))["items"][0]["alert_id"])


def timeline(api: Api, who: str, alert_id: str) -> dict[str, Any]:
    with api.client(who) as c:
        return ok(c.get(f"/api/noc/alerts/{alert_id}/timeline"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def jane(api: Api) -> dict[str, str]:
    """An operator whose name, email and phone are the seeded PII values."""
    name, email, phone, _ = PII_VALUES
    caps = {
        "noc:view": True,
        "noc:view_all_clients": True,
        "noc:ack_alerts": True,
        "noc:assign_incidents": True,
        "noc:escalate": True,
    }
    with api.client("admin") as c:
        user = ok(
            c.post(
                "/api/noc/users",
                json={"display_name": name, "email": email, "phone": phone, "capabilities": caps},
            ),
            201,
        )
        token = ok(c.post("/api/noc/tokens", json={"user_id": user["id"]}), 201)["token"]
    api.tokens["jane"] = token
    return {"id": user["id"], "token": token}


@pytest.fixture(scope="module")
def story(api: Api, jane: dict[str, str]) -> dict[str, Any]:
    """An alert posted, repeated twice, acknowledged, assigned, escalated,
    shelved and unshelved, then resolved with notes."""
    body = {"entity_id": f"door-{api.tag}", "metadata": pii_metadata()}
    alert_id = post_alert(api, "a1", "a1-n", **body)
    for _ in range(2):
        assert post_alert(api, "a1", "a1-n", **body) == alert_id  # folded
    path = f"/api/noc/alerts/{alert_id}"
    with api.client("jane") as j, api.client("admin") as a:
        ok(j.post(f"{path}/acknowledge"))
        ok(a.post(f"{path}/assign", json={"assignee": jane["id"]}))
        ok(j.post(f"{path}/escalate"))
        ok(a.post(f"{path}/shelve", json={"minutes": 30}))
        ok(a.post(f"{path}/unshelve"))
        ok(j.post(f"{path}/resolve", json={"notes": NOTES}))
    return {"id": alert_id}


def test_the_story_of_an_alert_comes_in_order_with_who_level_and_target(
    api: Api, jane: dict[str, str], story: dict[str, Any]
) -> None:
    data = timeline(api, "admin", story["id"])
    assert data["alert_id"] == story["id"] and data["truncated"] is False
    entries = data["entries"]
    assert [e["kind"] for e in entries] == [
        "created", "correlated", "repeated", "acknowledged", "assigned", "escalated",
        "shelved", "unshelved", "resolved",
    ]  # fmt: skip
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times)
    by = {e["kind"]: e for e in entries}
    assert by["created"]["by"] is None
    assert by["created"]["detail"]["severity"] == "HIGH"
    assert by["repeated"]["detail"]["count"] == 2
    for kind in ("acknowledged", "escalated", "resolved"):
        assert by[kind]["by"] == jane["id"] and by[kind]["by_name"] == "Jane Roe", kind
    for kind in ("assigned", "shelved", "unshelved"):
        assert by[kind]["by"] == api.ids["admin"] and by[kind]["by_name"] == "Admin", kind
    assert by["assigned"]["detail"] == {"assignee": jane["id"], "assignee_name": "Jane Roe"}
    # The world's sites have no on-call users: level 1 goes to the tenant admins.
    assert by["escalated"]["detail"] == {"level": 1, "target": "tenant_admins", "target_name": None}
    assert datetime.fromisoformat(by["shelved"]["detail"]["until"]) > times[0] + timedelta(
        minutes=29
    )
    assert by["resolved"]["detail"] == {"notes": NOTES}
    # Correlated: the seeded alerts of the same client and type (both sites).
    kin = {a["id"] for a in by["correlated"]["detail"]["alerts"]}
    assert set(api.alerts["a1-n"]) | set(api.alerts["a1-s"]) <= kin
    # The alert read agrees on who did what.
    with api.client("admin") as c:
        alert = ok(c.get(f"/api/noc/alerts/{story['id']}"))
    assert alert["acknowledged_by"] == jane["id"] and alert["resolved_by"] == jane["id"]
    assert alert["suppressed_count"] == 2


def test_a_reader_without_view_pii_gets_values_masked_as_the_alert_read_masks_them(
    api: Api, story: dict[str, Any]
) -> None:
    data = timeline(api, "operator", story["id"])
    text = json.dumps(data)
    for value in PII_VALUES:
        assert value not in text, value
    by = {e["kind"]: e for e in data["entries"]}
    assert by["acknowledged"]["by_name"] == "Ja***oe"
    assert by["resolved"]["detail"]["notes"] == MASKED_NOTES
    with api.client("operator") as c:
        alert = ok(c.get(f"/api/noc/alerts/{story['id']}"))
    assert by["assigned"]["detail"]["assignee"] == alert["assigned_to"] != alert["acknowledged_by"]
    assert by["assigned"]["detail"]["assignee_name"] == "Ja***oe"
    assert alert["resolution_notes"] == MASKED_NOTES
    # Nobody who read it masked was audited as seeing PII; the admin was.
    rows = api.sql(
        "SELECT actor_id, metadata FROM audit_log WHERE action = 'VIEW_SENSITIVE'"
        " AND entity_id = :id",
        id=story["id"],
    )
    readers = {r[0] for r in rows}
    assert api.ids["operator"] not in readers
    timeline(api, "admin", story["id"])
    rows = api.sql(
        "SELECT metadata FROM audit_log WHERE action = 'VIEW_SENSITIVE' AND entity_id = :id"
        " AND actor_id = :who",
        id=story["id"],
        who=api.ids["admin"],
    )
    metas = [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]
    assert any(m.get("read") == "timeline" for m in metas)


def test_an_alert_created_into_an_incident_names_it_with_its_title(api: Api) -> None:
    alert_id = post_alert(api, "a1", "a1-s")
    with api.client("admin") as c:
        incident = ok(
            c.post("/api/noc/incidents", json={"alert_ids": [alert_id], "title": INCIDENT_TITLE}),
            201,
        )
    entries = timeline(api, "admin", alert_id)["entries"]
    assert [e["kind"] for e in entries][-1] == "incident_created"
    made = entries[-1]
    assert made["by"] == api.ids["admin"]
    assert made["detail"] == {"incident_id": incident["id"], "title": INCIDENT_TITLE, "rule": None}
    masked = timeline(api, "operator", alert_id)["entries"][-1]["detail"]
    assert masked["title"] == "Forced doors, ask j***e@example.com"

    # Three CRITICAL alerts of a client open an incident by the rule; a fourth joins it.
    burst = [post_alert(api, "a2", "a2-x", severity="CRITICAL") for _ in range(4)]
    first = timeline(api, "admin", burst[0])["entries"]
    auto = [e for e in first if e["kind"] == "incident_created"]
    assert len(auto) == 1 and auto[0]["by"] == "system"
    assert auto[0]["detail"]["rule"] == "rule:critical_burst"
    assert auto[0]["detail"]["title"].startswith("3 CRITICAL alerts within 10 minutes")
    last = timeline(api, "admin", burst[3])["entries"]
    linked = [e for e in last if e["kind"].startswith("incident_")]
    assert [e["kind"] for e in linked] == ["incident_linked"]
    assert linked[0]["detail"]["incident_id"] == auto[0]["detail"]["incident_id"]


def test_a_maintenance_suppression_says_the_window_and_its_reason(api: Api) -> None:
    now = datetime.now(UTC)
    window = {
        "client_id": api.ids["a2"],
        "site_id": api.ids["a2-x"],
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "alert_types": ["WORK_ORDER_OVERDUE"],
        "reason": "Lift replacement",
    }
    with api.client("admin") as c:
        made = ok(c.post("/api/noc/maintenance", json=window), 201)
    alert_id = post_alert(api, "a2", "a2-x", alert_type="WORK_ORDER_OVERDUE", severity="MEDIUM")
    entries = timeline(api, "operator", alert_id)["entries"]
    assert [e["kind"] for e in entries][:2] == ["created", "suppressed"]
    assert entries[1]["detail"] == {
        "cause": "maintenance",
        "reason": f"maintenance:{made['id']}",
        "window_id": made["id"],
        "window_reason": "Lift replacement",
    }


def test_scope_and_tenancy_answer_as_the_alert_read_does(api: Api, story: dict[str, Any]) -> None:
    south = api.alerts["a1-s"][0]
    with api.client("guard") as c:  # sees site a1-n only
        denied = c.get(f"/api/noc/alerts/{south}/timeline")
        assert denied.status_code == c.get(f"/api/noc/alerts/{south}").status_code == 403
        assert denied.json()["error"]["code"] == "forbidden"
        # Its own site's alert: the correlated alerts of other sites are left out.
        mine = ok(c.get(f"/api/noc/alerts/{story['id']}/timeline"))
    kin = next(e for e in mine["entries"] if e["kind"] == "correlated")["detail"]["alerts"]
    assert {a["id"] for a in kin} >= set(api.alerts["a1-n"])
    assert not {a["id"] for a in kin} & set(api.alerts["a1-s"])
    rows = api.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'UNAUTHORIZED_ACCESS' AND entity_id = :id",
        id=south,
    )
    assert rows[0][0] >= 2
    with api.client("admin") as c:
        theirs = api.alerts["b1-x"][0]
        assert c.get(f"/api/noc/alerts/{theirs}/timeline").status_code == 404
        unknown = c.get("/api/noc/alerts/no-such-alert/timeline")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    with api.client(None) as c:
        assert c.get(f"/api/noc/alerts/{story['id']}/timeline").status_code == 401
