"""Working from the board in a real browser (issue 15 items 3 and 4):
filters kept in the URL (a reload shows the same view), the "mine" view, a
search box, bulk select with shift-click for acknowledge and resolve, an
incident created from selected alerts and worked through its states from
the incidents panel, maintenance windows created and ended in the page, and
keyboard shortcuts. SQLite only:
what is tested is the page; the API under it is tested on both backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import PII_VALUES, Api, pii_metadata
from tests.e2e.test_dashboard_browser import Tab, alert, browser, post_alerts, sign_in, tab

__all__ = ["browser", "tab"]  # the fixtures, shared with the dashboard's tests

BACKENDS = ("sqlite",)


def cards(page: Any) -> Any:
    return page.locator('[data-testid="alert-card"]')


def card(page: Any, alert_id: str) -> Any:
    return page.locator(f'[data-testid="alert-card"][data-alert-id="{alert_id}"]')


def rest_alert(api: Api, alert_id: str) -> dict[str, Any]:
    with api.client("admin") as http:
        r = http.get(f"/api/noc/alerts/{alert_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_filtered_url_reloads_to_the_same_view_and_mine_shows_my_alerts(
    api: Api, tab: Tab
) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    (crit, high, medium, other), _ = post_alerts(
        api,
        alert(api, "a1", "a1-n", "SECURITY_ANOMALY", "CRITICAL", f"Door forced {tag}"),
        alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "HIGH", f"Camera offline {tag}"),
        alert(api, "a1", "a1-n", "WORK_ORDER_OVERDUE", "MEDIUM", f"Filter change {tag}"),
        alert(api, "a2", "a2-x", "SECURITY_ANOMALY", "CRITICAL", f"Gate forced {tag}"),
    )
    sign_in(page, api.tokens["admin"])
    expect(card(page, other)).to_have_count(1)

    page.get_by_test_id("filter-search").fill(tag)
    page.get_by_test_id("filter-severity-CRITICAL").click()
    page.get_by_test_id("filter-severity-HIGH").click()
    page.get_by_test_id("filter-client").select_option(api.ids["a1"])
    expect(cards(page)).to_have_count(2)
    expect(card(page, crit)).to_have_count(1)
    expect(card(page, high)).to_have_count(1)
    expect(page.get_by_test_id("filtered-out")).to_contain_text("hidden by the filters")
    url = page.url
    assert f"client={api.ids['a1']}" in url and "severity=CRITICAL%2CHIGH" in url
    assert f"q={tag}" in url

    # A shared link (or a reload) opens the same view: same controls, same cards.
    page.reload()
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-loaded", "true")
    expect(cards(page)).to_have_count(2)
    expect(page.get_by_test_id("filter-search")).to_have_value(tag)
    expect(page.get_by_test_id("filter-client")).to_have_value(api.ids["a1"])
    expect(page.get_by_test_id("filter-severity-CRITICAL")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_test_id("filter-severity-MEDIUM")).to_have_attribute("aria-pressed", "false")

    # A pushed alert gets a card only when it matches.
    (late_high, late_low), _ = post_alerts(
        api,
        alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "HIGH", f"Sensor offline {tag}"),
        alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "LOW", f"Spare sensor offline {tag}"),
    )
    expect(card(page, late_high)).to_have_count(1)
    expect(cards(page)).to_have_count(3)
    expect(card(page, late_low)).to_have_count(0)

    # "Mine": the alerts assigned to me, live when one is assigned.
    page.get_by_test_id("filter-clear").click()
    assert "client=" not in page.url and "q=" not in page.url
    page.get_by_test_id("filter-search").fill(tag)
    page.get_by_test_id("filter-mine").click()
    expect(cards(page)).to_have_count(0)
    assert "mine=1" in page.url
    with api.client("admin") as http:
        r = http.post(f"/api/noc/alerts/{medium}/assign", json={"assignee": api.ids["admin"]})
    assert r.status_code == 200, r.text
    expect(cards(page)).to_have_count(1)
    expect(card(page, medium)).to_have_attribute("data-status", "ASSIGNED")
    assert tab.errors == []


def test_bulk_acknowledge_of_20_selected_alerts_reaches_the_rest_state(api: Api, tab: Tab) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    ids, _ = post_alerts(
        api,
        *(
            alert(api, "a1", "a1-s", "UPS_ON_BATTERY", "MEDIUM", f"UPS {i} on battery {tag}")
            for i in range(20)
        ),
    )
    sign_in(page, api.tokens["admin"])
    page.get_by_test_id("filter-search").fill(tag)
    expect(cards(page)).to_have_count(20)

    # Click the first card's box, shift-click the last: all 20 are picked.
    cards(page).first.get_by_test_id("pick").click()
    cards(page).last.get_by_test_id("pick").click(modifiers=["Shift"])
    expect(page.get_by_test_id("bulk-count")).to_have_text("20 selected")
    page.get_by_test_id("bulk-acknowledge").click()
    expect(page.locator('[data-testid="alert-card"][data-status="ACKNOWLEDGED"]')).to_have_count(20)
    expect(page.get_by_test_id("bulk-bar")).to_be_hidden()
    assert {rest_alert(api, i)["status"] for i in ids} == {"ACKNOWLEDGED"}

    # Then resolve ten of them at once, with notes.
    cards(page).nth(0).get_by_test_id("pick").click()
    cards(page).nth(9).get_by_test_id("pick").click(modifiers=["Shift"])
    expect(page.get_by_test_id("bulk-count")).to_have_text("10 selected")
    page.get_by_test_id("bulk-resolve").click()
    expect(page.get_by_test_id("resolve-title")).to_have_text("Resolve 10 alerts")
    page.get_by_test_id("resolve-notes").fill("generator test finished")
    page.get_by_test_id("resolve-confirm").click()
    expect(cards(page)).to_have_count(10)
    resolved = [a for a in (rest_alert(api, i) for i in ids) if a["status"] == "RESOLVED"]
    assert len(resolved) == 10
    assert {a["resolution_notes"] for a in resolved} == {"generator test finished"}
    assert tab.errors == []


def test_an_incident_created_from_two_selected_alerts_appears_with_both(api: Api, tab: Tab) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    ids, _ = post_alerts(
        api,
        alert(api, "a2", "a2-x", "DEVICE_OFFLINE", "HIGH", f"Camera 1 offline {tag}"),
        alert(api, "a2", "a2-x", "DEVICE_OFFLINE", "HIGH", f"Camera 2 offline {tag}"),
    )
    sign_in(page, api.tokens["admin"])
    page.get_by_test_id("filter-search").fill(tag)
    expect(cards(page)).to_have_count(2)
    for alert_id in ids:
        card(page, alert_id).get_by_test_id("pick").click()
    page.get_by_test_id("bulk-incident").click()
    expect(page.get_by_test_id("incident-summary")).to_have_text("2 alerts of A2")
    page.get_by_test_id("incident-title").fill(f"Cameras down {tag}")
    page.get_by_test_id("incident-create").click()

    listed = page.locator('[data-testid="incident"]').filter(has_text=f"Cameras down {tag}")
    expect(listed).to_have_count(1)
    expect(listed.get_by_test_id("incident-alert-count")).to_have_text("2 alerts")
    with api.client("admin") as http:
        found = http.get("/api/noc/incidents", params={"limit": 100}).json()["items"]
    (incident,) = [i for i in found if i["title"] == f"Cameras down {tag}"]
    assert sorted(incident["alert_ids"]) == sorted(ids)
    assert tab.errors == []


def test_keyboard_moves_acknowledges_and_opens_the_help(api: Api, tab: Tab) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    (first, second), _ = post_alerts(
        api,
        alert(api, "a1", "a1-n", "SECURITY_ANOMALY", "CRITICAL", f"Door forced {tag}"),
        alert(api, "a1", "a1-n", "DEVICE_OFFLINE", "LOW", f"Sensor offline {tag}"),
    )
    sign_in(page, api.tokens["admin"])
    page.keyboard.press("/")
    expect(page.get_by_test_id("filter-search")).to_be_focused()
    page.keyboard.type(tag)
    expect(cards(page)).to_have_count(2)
    page.keyboard.press("Escape")  # leave the search box: keys drive the board again

    page.keyboard.press("j")  # the first card in reading order: the CRITICAL column's
    expect(card(page, first)).to_be_focused()
    page.keyboard.press("j")
    expect(card(page, second)).to_be_focused()
    page.keyboard.press("k")
    page.keyboard.press("a")
    expect(card(page, first)).to_have_attribute("data-status", "ACKNOWLEDGED")
    assert rest_alert(api, first)["status"] == "ACKNOWLEDGED"
    assert rest_alert(api, second)["status"] == "NEW"

    page.keyboard.press("?")
    expect(page.get_by_test_id("shortcuts-help")).to_be_visible()
    expect(page.get_by_test_id("shortcuts-help")).to_contain_text("acknowledge")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("shortcuts-help")).to_be_hidden()
    assert tab.errors == []


def test_an_incident_is_worked_through_its_states_from_the_panel(api: Api, tab: Tab) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    ids, _ = post_alerts(
        api,
        alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "HIGH", f"Reader 1 offline {tag}"),
        alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "HIGH", f"Reader 2 offline {tag}"),
    )
    with api.client("admin") as http:
        r = http.post("/api/noc/incidents", json={"alert_ids": ids, "title": f"Readers {tag}"})
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]
    sign_in(page, api.tokens["admin"])
    row = page.locator(f'[data-testid="incident"][data-incident-id="{incident_id}"]')

    for action, state in (
        ("acknowledge", "ACKNOWLEDGED"),
        ("assign", "ASSIGNED"),
        ("start", "IN_PROGRESS"),
    ):
        row.get_by_test_id(f"incident-{action}").click()
        expect(row).to_have_attribute("data-state", state)
    row.get_by_test_id("incident-resolve").click()
    expect(page.get_by_test_id("resolve-title")).to_have_text("Resolve incident")
    page.get_by_test_id("resolve-notes").fill("readers power-cycled")
    page.get_by_test_id("resolve-confirm").click()
    expect(row).to_have_attribute("data-state", "RESOLVED")
    row.get_by_test_id("incident-close").click()
    expect(row).to_have_count(0)  # the panel lists open and resolved ones

    with api.client("admin") as http:
        stored = http.get(f"/api/noc/incidents/{incident_id}").json()
    assert stored["state"] == "CLOSED" and stored["assignee"] == api.ids["admin"]
    assert stored["resolution_notes"] == "readers power-cycled"
    assert {rest_alert(api, i)["status"] for i in ids} == {"RESOLVED"}
    assert tab.errors == []


def test_a_maintenance_window_created_in_the_page_suppresses_a_matching_alert(
    api: Api, tab: Tab
) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    sign_in(page, api.tokens["admin"])
    page.get_by_test_id("maintenance-new").click()
    dialog = page.get_by_test_id("maintenance-dialog")
    dialog.get_by_test_id("mw-client").select_option(api.ids["a1"])
    dialog.get_by_test_id("mw-site").select_option(api.ids["a1-n"])
    dialog.get_by_test_id("mw-types").fill("device_offline")
    # Wall times in Tokyo (UTC+9, no DST): the page fills "now" there and
    # converts back, so the stored start is now, whatever the browser's zone.
    dialog.get_by_test_id("mw-zone").select_option("Asia/Tokyo")
    dialog.get_by_test_id("mw-reason").fill(f"Camera rewiring {tag}")
    dialog.get_by_test_id("mw-create").click()
    expect(dialog).to_be_hidden()
    listed = page.locator('[data-testid="maintenance-window"]').filter(has_text=tag)
    expect(listed).to_have_attribute("data-active", "true")

    with api.client("admin") as http:
        windows = http.get("/api/noc/maintenance", params={"current": "true"}).json()["items"]
    (window,) = [w for w in windows if tag in w["reason"]]
    started = datetime.fromisoformat(window["starts_at"])
    assert abs((datetime.now(UTC) - started).total_seconds()) < 120
    assert window["alert_types"] == ["DEVICE_OFFLINE"] and window["site_id"] == api.ids["a1-n"]

    (hidden, shown), _ = post_alerts(
        api,
        alert(api, "a1", "a1-n", "DEVICE_OFFLINE", "HIGH", f"Camera offline {tag}"),
        alert(api, "a1", "a1-s", "DEVICE_OFFLINE", "HIGH", f"Camera offline {tag}"),
    )
    expect(card(page, shown)).to_have_count(1)
    assert rest_alert(api, hidden)["status"] == "SUPPRESSED"
    expect(card(page, hidden)).to_have_count(0)

    listed.get_by_test_id("maintenance-end").click()
    expect(listed).to_have_count(0)
    (after,), _ = post_alerts(
        api, alert(api, "a1", "a1-n", "DEVICE_OFFLINE", "HIGH", f"Camera 2 offline {tag}")
    )
    expect(card(page, after)).to_have_count(1)
    assert rest_alert(api, after)["status"] == "NEW"
    assert tab.errors == []


def test_a_picked_alert_is_assigned_to_a_searched_user_and_escalated(api: Api, tab: Tab) -> None:
    from playwright.sync_api import expect

    page, tag = tab.page, uuid.uuid4().hex[:8]
    (alert_id,), _ = post_alerts(
        api, alert(api, "a1", "a1-n", "SECURITY_ANOMALY", "HIGH", f"Badge cloned {tag}")
    )
    sign_in(page, api.tokens["admin"])
    card(page, alert_id).get_by_test_id("pick").click()
    page.get_by_test_id("bulk-assign").click()
    options = page.get_by_test_id("assign-options").locator("option")
    page.get_by_test_id("assign-input").fill("operat")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", api.ids["operator"])
    page.get_by_test_id("assign-input").fill(api.ids["operator"])  # what picking the option does
    page.get_by_test_id("assign-confirm").click()
    expect(card(page, alert_id)).to_have_attribute("data-status", "ASSIGNED")
    assert rest_alert(api, alert_id)["assigned_to"] == api.ids["operator"]

    card(page, alert_id).get_by_test_id("pick").click()
    page.get_by_test_id("bulk-escalate").click()
    expect(card(page, alert_id)).to_have_attribute("data-status", "ESCALATED")
    assert rest_alert(api, alert_id)["escalation_level"] == 1
    assert tab.errors == []


RECORD_NOTIFICATIONS = """
window.__shown = [];
if ("Notification" in window) {
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.__shown.push({ title, body: options && options.body });
    }
  };
}
"""
"""Records each notification the page shows (headless Chromium shows none)."""


def test_the_alarm_rings_for_a_new_critical_alert_once_turned_on(api: Api, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=api.base_url)
    context.grant_permissions(["notifications"], origin=api.base_url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    page, tag = context.new_page(), uuid.uuid4().hex[:8]
    try:
        sign_in(page, api.tokens["admin"])
        toggle = page.get_by_test_id("alarm-toggle")
        expect(toggle).to_have_attribute("aria-pressed", "false")  # opt-in
        post_alerts(api, alert(api, "a1", "a1-n", "SECURITY_ANOMALY", "CRITICAL", f"Off {tag}"))
        page.wait_for_timeout(1500)
        assert page.evaluate("window.__shown.length") == 0

        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        post_alerts(api, alert(api, "a1", "a1-n", "DEVICE_OFFLINE", "HIGH", f"High {tag}"))
        (crit,), _ = post_alerts(
            api, alert(api, "a1", "a1-n", "SECURITY_ANOMALY", "CRITICAL", f"Door forced {tag}")
        )
        expect(card(page, crit)).to_have_count(1)
        expect(toggle).to_have_attribute("data-chimes", "1")
        expect(toggle).to_have_attribute("data-notified", "1")
        shown = page.evaluate("window.__shown")
        assert shown == [{"title": "CRITICAL: Security anomaly", "body": f"Door forced {tag}"}]

        page.reload()  # the choice is kept for this browser
        expect(page.get_by_test_id("alarm-toggle")).to_have_attribute("aria-pressed", "true")
    finally:
        context.close()


def test_the_page_follows_the_systems_light_or_dark_setting(api: Api, tab: Tab) -> None:
    page = tab.page
    sign_in(page, api.tokens["viewer"])
    background = "getComputedStyle(document.documentElement).backgroundColor"
    text = "getComputedStyle(document.body).color"
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(background), page.evaluate(text)
    page.emulate_media(color_scheme="light")
    light = page.evaluate(background), page.evaluate(text)
    assert dark == ("rgb(10, 15, 21)", "rgb(219, 228, 238)")
    assert light == ("rgb(243, 246, 249)", "rgb(23, 33, 43)")
    assert tab.errors == []


def test_a_user_without_view_pii_sees_no_seeded_pii_anywhere_in_the_console(
    api: Api, tab: Tab
) -> None:
    """Every part of the page an operator without noc:view_pii can open —
    cards, drawer and timeline, the assign box, the incidents and
    maintenance panels, Trends and Reports — read as HTML (attributes and
    option labels too): no seeded PII value anywhere, masked forms instead."""
    from playwright.sync_api import expect

    name, email, phone, address = PII_VALUES
    page = tab.page
    with api.client("admin") as http:
        user = http.post(
            "/api/noc/users",
            json={"display_name": name, "email": email, "phone": phone,
                  "capabilities": {"noc:view": True, "noc:view_all_clients": True}},
        )  # fmt: skip
        assert user.status_code == 201, user.text
        (alert_id,), _ = post_alerts(
            api,
            alert(api, "a2", "a2-x", "SECURITY_ANOMALY", "HIGH", f"Intruder, call {phone}",
                  metadata=pii_metadata()),
        )  # fmt: skip
        uid = user.json()["id"]
        assert http.post(f"/api/noc/alerts/{alert_id}/assign", json={"assignee": uid}).is_success
        incident = {"alert_ids": [alert_id], "title": "Intruder seen", "assignee": uid}
        assert http.post("/api/noc/incidents", json=incident).is_success
        now = datetime.now(UTC)
        window = {
            "client_id": api.ids["a2"], "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "reason": f"Ask {email}",
        }  # fmt: skip
        assert http.post("/api/noc/maintenance", json=window).is_success

    sign_in(page, api.tokens["operator"])
    seen: dict[str, str] = {}
    expect(card(page, alert_id).get_by_test_id("alert-metadata")).to_contain_text("***-***-5309")
    expect(page.get_by_test_id("incident").filter(has_text="Intruder seen")).to_have_count(1)
    expect(page.get_by_test_id("maintenance-window").filter(has_text="Ask")).to_have_count(1)
    seen["board"] = page.content()

    card(page, alert_id).get_by_test_id("details-button").click()
    expect(page.get_by_test_id("timeline-entry").first).to_be_visible()
    expect(page.get_by_test_id("alert-drawer")).to_contain_text("j***e@example.com")
    seen["drawer"] = page.content()
    page.get_by_test_id("drawer-close").click()

    card(page, alert_id).get_by_test_id("pick").click()
    page.get_by_test_id("bulk-assign").click()
    options = page.get_by_test_id("assign-options").locator("option")
    expect(options.first).to_be_attached()
    labels = options.evaluate_all("os => os.map((o) => o.label)")
    assert "Ja***oe" in labels  # the seeded user, masked
    seen["assign"] = page.content()
    page.get_by_test_id("assign-cancel").click()

    for view in ("trends", "reports"):
        page.get_by_test_id(f"view-tab-{view}").click()
        expect(page.get_by_test_id(f"{view}-view")).to_be_visible()
        page.wait_for_load_state("networkidle")
        seen[view] = page.content()

    for where, html in seen.items():
        for value in PII_VALUES:
            assert value not in html, f"{value!r} on the page ({where})"
    assert tab.errors == []
