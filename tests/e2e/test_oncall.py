"""On-call schedules end to end (issue 13 item 2): schedules and overrides
over the API, the timeline across a daylight-saving change, who is on call,
and an escalation of a site's alert that reaches the site's on-call user —
through the aggregator (which asks the schedule when the level fires), the
notifier and a real webhook receiver on loopback."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Api
from tests.e2e.receivers import HttpReceiver, wait_for

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def made(api: Api) -> Iterator[dict[str, list[str]]]:
    """Schedules and contact points a test adds, deleted after it."""
    out: dict[str, list[str]] = {"schedules": [], "contacts": []}
    yield out
    with api.client("admin") as c:
        for sid in out["schedules"]:
            c.delete(f"/api/noc/schedules/{sid}")
        for cid in out["contacts"]:
            c.delete(f"/api/noc/contact-points/{cid}")


def local(at: datetime) -> str:
    """``at`` as a Berlin wall time without offset, to the minute."""
    return at.astimezone(BERLIN).replace(tzinfo=None, second=0, microsecond=0).isoformat()


def add_schedule(api: Api, made: dict[str, list[str]], **body: Any) -> dict[str, Any]:
    body = {"name": f"rota-{uuid.uuid4().hex[:6]}", "time_zone": "Europe/Berlin", **body}
    with api.client("admin") as c:
        r = c.post("/api/noc/schedules", json=body)
    assert r.status_code == 201, r.text
    made["schedules"].append(r.json()["id"])
    return dict(r.json())


def hook_of(api: Api, made: dict[str, list[str]], who: str, url: str) -> None:
    body = {
        "name": f"{who}-{uuid.uuid4().hex[:6]}",
        "channel": "webhook",
        "user_id": api.ids[who],
        "config": {"url": url},
    }
    with api.client("admin") as c:
        r = c.post("/api/noc/contact-points", json=body)
    assert r.status_code == 201, r.text
    made["contacts"].append(r.json()["id"])


def site_alert(api: Api) -> str:
    item = {
        "alert_type": "SECURITY_ANOMALY",
        "message": "door forced",
        "client_id": api.ids["a1"],
        "site_id": api.ids["a1-n"],
        "severity": "CRITICAL",
        "entity_type": "door",
        "entity_id": f"door-{uuid.uuid4().hex[:6]}",
    }
    with api.client("key") as c:
        r = c.post("/api/noc/alerts", json={"alerts": [item]})
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["alert_id"])


def escalated_to(api: Api, alert_id: str) -> str:
    with api.client("admin") as c:
        r = c.post(f"/api/noc/alerts/{alert_id}/escalate")
    assert r.status_code == 200, r.text
    return str(r.json()["escalated_to"])


def rotation(api: Api, *who: str, start: datetime, hours: float = 24) -> list[dict[str, Any]]:
    return [
        {
            "name": "primary",
            "users": [api.ids[w] for w in who],
            "start": local(start),
            "shift_hours": hours,
        }
    ]


def test_a_site_escalation_reaches_the_sites_on_call_user_and_an_override_wins(
    api: Api, made: dict[str, list[str]], receiver: HttpReceiver
) -> None:
    now = datetime.now(UTC)
    schedule = add_schedule(
        api,
        made,
        client_id=api.ids["a1"],
        site_id=api.ids["a1-n"],
        layers=rotation(api, "operator", "viewer", start=now - timedelta(hours=1)),
    )
    assert schedule["on_call"]["user_id"] == api.ids["operator"]
    hook_of(api, made, "operator", receiver.url("/operator"))
    hook_of(api, made, "viewer", receiver.url("/viewer"))
    hook_of(api, made, "admin", receiver.url("/admin"))

    first = site_alert(api)
    assert escalated_to(api, first) == api.ids["operator"]  # level 1: the site's on-call
    wait_for(lambda: len(receiver.received) >= 1, timeout_s=20)
    time.sleep(1.0)  # nothing else arrives (the notifier looks every 0.2 s)
    assert [r.path for r in receiver.received] == ["/operator"]
    assert receiver.received[0].json()["alert"]["id"] == first

    # The viewer covers the next hour: the next escalation reaches them.
    with api.client("admin") as c:
        r = c.post(
            f"/api/noc/schedules/{schedule['id']}/overrides",
            json={
                "user_id": api.ids["viewer"],
                "start": (now - timedelta(minutes=5)).isoformat(),
                "end": (now + timedelta(hours=1)).isoformat(),
                "note": "swap",
            },
        )
        assert r.status_code == 201, r.text
        who = c.get(
            "/api/noc/oncall", params={"client_id": api.ids["a1"], "site_id": api.ids["a1-n"]}
        )
    assert who.status_code == 200, who.text
    assert who.json()["escalates_to"]["user_id"] == api.ids["viewer"]
    assert who.json()["items"][0]["source"] == "override"
    second = site_alert(api)
    assert escalated_to(api, second) == api.ids["viewer"]
    wait_for(lambda: len(receiver.received) >= 2, timeout_s=20)
    assert receiver.received[1].path == "/viewer"
    assert receiver.received[1].json()["alert"]["id"] == second

    # An hour and a half on, the override is over and the rotation goes on.
    later = (now + timedelta(hours=1, minutes=30)).isoformat()
    with api.client("admin") as c:
        who = c.get(
            "/api/noc/oncall",
            params={"client_id": api.ids["a1"], "site_id": api.ids["a1-n"], "at": later},
        )
    assert who.json()["escalates_to"]["user_id"] == api.ids["operator"]
    rows = api.sql(
        "SELECT count(*) FROM audit_log WHERE entity_type = 'oncall_schedule' AND entity_id = :i",
        i=schedule["id"],
    )
    assert rows[0][0] == 2  # created, override added


def test_the_timeline_hands_off_at_the_same_local_time_across_a_dst_change(
    api: Api, made: dict[str, list[str]]
) -> None:
    schedule = add_schedule(
        api,
        made,
        layers=[
            {
                "name": "days",
                "users": [api.ids["operator"], api.ids["viewer"]],
                "start": "2026-10-20T09:00",
                "shift_hours": 24,
            }
        ],
    )
    with api.client("viewer") as c:
        r = c.get(
            f"/api/noc/schedules/{schedule['id']}",
            params={"from": "2026-10-24T00:00:00+00:00", "to": "2026-10-27T00:00:00+00:00"},
        )
    assert r.status_code == 200, r.text
    handoffs = [s["start"] for s in r.json()["shifts"]][1:]
    # 09:00 in Berlin: 07:00Z in summer time, 08:00Z after the change on the 25th
    assert handoffs == [
        "2026-10-24T07:00:00+00:00",
        "2026-10-25T08:00:00+00:00",
        "2026-10-26T08:00:00+00:00",
    ]
    # turns from the 20th: operator, viewer, operator, viewer (23rd), operator (24th), ...
    users = [s["user_id"] for s in r.json()["shifts"]]
    assert users == [api.ids[w] for w in ("viewer", "operator", "viewer", "operator")]


def test_schedules_refuse_bad_input_naming_the_field_and_keep_to_scope(
    api: Api, made: dict[str, list[str]]
) -> None:
    good = rotation(api, "operator", start=datetime.now(UTC))
    with api.client("admin") as c:
        cases = {
            "time_zone": {"name": "x", "time_zone": "Mars/Olympus", "layers": good},
            "layers": {
                "name": "x",
                "time_zone": "UTC",
                "layers": [{**good[0], "users": ["nobody-here"]}],
            },
            "layers.0.start": {
                "name": "x",
                "time_zone": "UTC",
                "layers": [{**good[0], "start": "2026-03-01T09:00:00+01:00"}],
            },
            "site_id": {
                "name": "x",
                "time_zone": "UTC",
                "client_id": api.ids["a2"],
                "site_id": api.ids["a1-n"],
                "layers": good,
            },
        }
        for field, body in cases.items():
            r = c.post("/api/noc/schedules", json=body)
            assert r.status_code == 422, (field, r.text)
            assert field in r.text, (field, r.text)
        assert api.sql("SELECT count(*) FROM oncall_schedules WHERE name = 'x'")[0][0] == 0
    schedule = add_schedule(api, made, client_id=api.ids["a1"], layers=good)
    with api.client("operator") as c:  # sees every client, may not configure
        assert c.get(f"/api/noc/schedules/{schedule['id']}").status_code == 200
        r = c.post(f"/api/noc/schedules/{schedule['id']}/overrides", json={})
        assert r.status_code == 403
    with api.client("admin_b") as c:  # another tenant: not there at all
        assert c.get(f"/api/noc/schedules/{schedule['id']}").status_code == 404
    with api.client("guard") as c:  # sees site a1-n of a1: the client's schedule applies
        r = c.get(
            "/api/noc/oncall", params={"client_id": api.ids["a1"], "site_id": api.ids["a1-n"]}
        )
        assert r.status_code == 200, r.text
        assert [i["schedule_id"] for i in r.json()["items"]] == [schedule["id"]]
        assert c.get("/api/noc/oncall", params={"client_id": api.ids["a2"]}).status_code == 403
