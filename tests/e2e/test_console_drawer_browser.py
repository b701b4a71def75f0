"""The alert drawer's timeline in a real browser (issue 15 item 2): the
scripted story in order (who, level, target, the incident), updated live
when the alert is acknowledged and resolved while the drawer is open; a
user without ``noc:view_pii`` sees no seeded PII value in it; a refused read
says so. SQLite only: what is tested is the page; the API under it is tested
on both backends (``test_api_alert_timeline``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PII_VALUES, Api, pii_metadata
from tests.e2e.test_dashboard_browser import (
    Tab,
    alert,
    browser,
    card_of,
    open_drawer,
    post_alerts,
    sign_in,
    tab,
)

__all__ = ["browser", "tab"]  # the fixtures, shared with the dashboard's tests

BACKENDS = ("sqlite",)
NOTES = "Rang +1 555 867 5309 and jane.roe@example.com: latch replaced"


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture(scope="module")
def jane(api: Api) -> str:
    """An operator whose name, email and phone are the seeded PII values
    (her token in ``api.tokens["jane"]``); her user id."""
    name, email, phone, _ = PII_VALUES
    caps = {"noc:view": True, "noc:view_all_clients": True, "noc:ack_alerts": True}
    with api.client("admin") as c:
        body = {"display_name": name, "email": email, "phone": phone, "capabilities": caps}
        user = ok(c.post("/api/noc/users", json=body), 201)
        api.tokens["jane"] = ok(c.post("/api/noc/tokens", json={"user_id": user["id"]}), 201)[
            "token"
        ]
    return str(user["id"])


def act(api: Api, who: str, alert_id: str, action: str, body: dict[str, Any] | None = None) -> None:
    with api.client(who) as c:
        ok(c.post(f"/api/noc/alerts/{alert_id}/{action}", json=body or {}))


def kinds(drawer: Any) -> list[str]:
    entries = drawer.get_by_test_id("timeline-entry")
    return list(entries.evaluate_all("(els) => els.map((e) => e.dataset.kind)"))


def test_the_drawer_tells_the_story_in_order_and_follows_it_live(
    api: Api, jane: str, tab: Tab, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    story = alert(api, "a1", "a1-n", "SECURITY_ANOMALY", "HIGH", f"Back door forced ({api.tag})")
    (alert_id,), _ = post_alerts(api, story)
    post_alerts(api, story)  # a repeat: folded
    title = f"Back door, north ({api.tag})"
    with api.client("admin") as c:
        incident = ok(
            c.post("/api/noc/incidents", json={"alert_ids": [alert_id], "title": title}), 201
        )
    act(api, "admin", alert_id, "escalate")

    sign_in(page, api.tokens["admin"])
    drawer = open_drawer(page, alert_id)
    section = drawer.get_by_test_id("drawer-timeline")
    expect(section.locator("h3")).to_have_text("Timeline (oldest first)")
    entries = drawer.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(5)
    assert kinds(drawer) == ["created", "correlated", "repeated", "incident_created", "escalated"]
    with api.client("admin") as c:
        shown = ok(c.get(f"/api/noc/alerts/{alert_id}/timeline"))["entries"]
    assert entries.evaluate_all("(els) => els.map((e) => e.querySelector('time').dateTime)") == [
        e["at"] for e in shown
    ]
    repeated = entries.nth(2)
    expect(repeated.get_by_test_id("timeline-what")).to_contain_text("Repeated 1×")
    made = entries.nth(3)
    expect(made.get_by_test_id("timeline-incident")).to_have_text(title)
    expect(made.get_by_test_id("timeline-incident")).to_have_attribute(
        "data-incident-id", incident["id"]
    )
    expect(made.get_by_test_id("timeline-by")).to_have_text("by Admin (you)")
    escalated = entries.nth(4)
    expect(escalated.get_by_test_id("timeline-level")).to_have_text("level 1")
    expect(escalated.get_by_test_id("timeline-target")).to_have_text("Tenant admins")

    # Live: pushes of the open alert re-read its timeline.
    act(api, "jane", alert_id, "acknowledge")
    expect(entries).to_have_count(6)
    expect(entries.nth(5)).to_have_attribute("data-kind", "acknowledged")
    expect(entries.nth(5).get_by_test_id("timeline-by")).to_have_text("by Jane Roe")
    act(api, "jane", alert_id, "resolve", {"notes": NOTES})
    expect(entries).to_have_count(7)
    expect(entries.nth(6)).to_have_attribute("data-kind", "resolved")
    expect(entries.nth(6).get_by_test_id("timeline-notes")).to_have_text(NOTES)
    expect(drawer.get_by_test_id("drawer-status")).to_have_text("RESOLVED")
    assert "null" not in section.inner_text() and "undefined" not in section.inner_text()
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "drawer.png"))
    if os.environ.get("NOC_SAVE_SCREENSHOT") == "1":  # the picture in docs/console.md
        shutil.copyfile(
            tmp_path / "drawer.png", Path(__file__).resolve().parents[2] / "docs" / "drawer.png"
        )
    assert tab.errors == []


def test_a_user_without_view_pii_sees_no_seeded_pii_in_the_timeline(
    api: Api, jane: str, tab: Tab
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    (alert_id,), _ = post_alerts(
        api,
        alert(api, "a2", "a2-x", "SECURITY_ANOMALY", "HIGH", f"Side gate forced ({api.tag})",
              metadata=pii_metadata()),
    )  # fmt: skip
    act(api, "jane", alert_id, "acknowledge")
    act(api, "admin", alert_id, "assign", {"assignee": jane})
    sign_in(page, api.tokens["operator"])
    drawer = open_drawer(page, alert_id)
    entries = drawer.get_by_test_id("timeline-entry")
    expect(entries).to_have_count(4)  # created, correlated, acknowledged, assigned
    expect(entries.nth(2).get_by_test_id("timeline-by")).to_have_text("by Ja***oe")
    expect(entries.nth(3).get_by_test_id("timeline-assignee")).to_have_text("Ja***oe")
    act(api, "jane", alert_id, "resolve", {"notes": NOTES})
    expect(entries).to_have_count(5)
    expect(entries.nth(4).get_by_test_id("timeline-notes")).to_have_text(
        "Rang ***-***-5309 and j***e@example.com: latch replaced"
    )
    for text in (drawer.get_by_test_id("drawer-timeline").inner_text(), drawer.inner_text()):
        for value in PII_VALUES:
            assert value not in text, value
    assert tab.errors == []


def test_a_refused_timeline_read_says_so(api: Api, tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    sign_in(page, api.tokens["viewer"])
    (alert_id,), _ = post_alerts(
        api, alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "LOW", f"Barrier offline ({api.tag})")
    )
    expect(card_of(page, alert_id)).to_be_visible(timeout=3000)
    body = {"error": {"status": 403, "code": "forbidden", "message": "no", "correlation_id": "c"}}
    page.route(
        f"**/api/noc/alerts/{alert_id}/timeline",
        lambda route: route.fulfill(status=403, content_type="application/json", json=body),
    )
    drawer = open_drawer(page, alert_id)
    expect(drawer.get_by_test_id("timeline-error")).to_have_text(
        "You may not see the timeline of this alert."
    )
    expect(drawer.get_by_test_id("drawer-error")).to_be_hidden()  # the alert itself was read
    assert [e for e in tab.errors if "Failed to load resource" not in e] == []
