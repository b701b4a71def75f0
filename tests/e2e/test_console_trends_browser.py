"""The operator console's Trends and Reports views in a real browser (issue
15 item 1), on Debian's Chromium like ``test_dashboard_browser``.

One stack, one browser and one signed-in page for the module (its tests run
in order and go on from where the one before left the page): per-client
snapshot charts with one point per scripted snapshot of the last 24 hours,
moved by a live snapshot push; the alert rate moved by a posted and a
resolved alert without a reload; the three reports for a chosen period and
the CSV download of a table as shown."""

from __future__ import annotations

import asyncio
import csv
import io
import math
import os
import shutil
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.actors.client import NocClient
from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import Severity
from noc_actors.store.repos import alerts, clients, incidents, snapshots
from tests.e2e.conftest import Api
from tests.e2e.test_api_reads import in_db as in_db_here
from tests.e2e.test_dashboard_browser import Tab, alert, browser, post_alerts, sign_in

T = TypeVar("T")
BACKENDS = ("sqlite",)
SCRIPTED = 287  # snapshots of client a1 in the last 24 hours, every 5 minutes
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
CHARTS = ("alerts_open", "tickets_overdue", "devices_offline", "guards_present")
DOCS = Path(__file__).resolve().parents[2] / "docs"
__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the dashboard's tests


@pytest.fixture(scope="module")
def tab(browser: Any, api: Api) -> Iterator[Tab]:
    """One page for the module, signed in as the tenant admin."""
    context = browser.new_context(
        viewport={"width": 1600, "height": 1000}, base_url=api.base_url, accept_downloads=True
    )
    t = Tab(context.new_page())
    t.page.on("console", lambda m: m.type == "error" and t.errors.append(m.text))
    t.page.on("pageerror", lambda e: t.errors.append(str(e)))
    t.page.set_default_timeout(15_000)
    sign_in(t.page, api.tokens["admin"])
    try:
        yield t
    finally:
        context.close()


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` in another thread: Playwright's sync API owns this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def in_db(api: Api, work: Callable[[AsyncConnection], Awaitable[None]]) -> None:
    off_loop(in_db_here, api, work)


def open_view(page: Any, view: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id(f"view-tab-{view}").click()
    expect(page.get_by_test_id(f"view-tab-{view}")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id(f"{view}-view")).to_be_visible()
    expect(page.get_by_test_id("alert-board")).to_be_hidden()


def screenshot(page: Any, tmp_path: Path, name: str) -> None:
    """A full-page picture under the test's tmp dir, and in docs/ with NOC_SAVE_SCREENSHOT=1."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("NOC_SAVE_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS / name)


def metrics(i: int) -> dict[str, Any]:
    """The scripted snapshot ``i`` (0: the oldest): slow waves, like a day's."""
    wave = lambda period, phase=0.0: math.sin(i / period + phase)  # noqa: E731
    expected = 12 if 72 <= i < 216 else 6  # the day shift is larger
    return {
        "alerts_open_by_severity": {
            "CRITICAL": round(1 + wave(18)), "HIGH": round(3 + 2 * wave(30, 1)),
            "MEDIUM": round(4 + 2 * wave(45, 2)), "LOW": round(2 + wave(25)), "INFO": 1,
        },
        "tickets_overdue": round(4 + 3 * wave(40)),
        "devices_offline": 2 if 120 <= i < 150 else int(i % 50 == 0),
        "devices_total": 20,
        "attendance_present": expected - (i % 23 == 0) - (110 <= i < 140),
        "attendance_expected": expected,
    }  # fmt: skip


def script_snapshots(api: Api) -> None:
    """SCRIPTED five-minute snapshots of a1 over the last 24 hours, and one older (not shown)."""
    now = datetime.now(UTC)
    step = timedelta(minutes=5)
    ends = [(i, now - timedelta(minutes=2) - (SCRIPTED - 1 - i) * step) for i in range(SCRIPTED)]
    ends.append((0, now - timedelta(hours=26)))
    rows = [
        {
            "tenant_id": api.ids["tenant_a"],
            "client_id": api.ids["a1"],
            "window_start": end - step,
            "window_end": end,
            "metrics": {
                "window_start": (end - step).isoformat(),
                "window_end": end.isoformat(),
                **metrics(i),
            },
        }  # fmt: skip
        for i, end in ends
    ]

    async def write(db: AsyncConnection) -> None:
        await snapshots.insert_snapshots(db, rows)

    in_db(api, write)


def test_client_trends_chart_one_point_per_snapshot_of_the_last_24_hours_and_follow_pushes(
    api: Api, tab: Tab
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    script_snapshots(api)
    open_view(page, "trends")
    assert "view=trends" in page.url
    card = page.locator(f'[data-testid="client-trend"][data-client-id="{api.ids["a1"]}"]')
    expect(card).to_have_attribute("data-state", "ok")
    expect(card.locator("h3")).to_have_text("A1")
    charts = card.get_by_test_id("trend-chart")
    expect(charts).to_have_count(len(CHARTS))
    for metric in CHARTS:
        chart = card.locator(f'[data-testid="trend-chart"][data-metric="{metric}"]')
        expect(chart.locator("[data-point]")).to_have_count(SCRIPTED)
        expect(chart.locator("svg title").first).not_to_be_empty()
        assert chart.locator("svg").get_attribute("aria-label")
    # Oldest first; each point carries its values.
    overdue = card.locator('[data-metric="tickets_overdue"] [data-point]')
    assert [overdue.nth(i).get_attribute("data-tickets_overdue") for i in (0, SCRIPTED - 1)] == [
        str(metrics(i)["tickets_overdue"]) for i in (0, SCRIPTED - 1)
    ]
    severity = card.locator('[data-metric="alerts_open"] [data-point]')
    assert severity.evaluate_all("(els) => els.map((el) => Number(el.dataset.critical))") == [
        metrics(i)["alerts_open_by_severity"]["CRITICAL"] for i in range(SCRIPTED)
    ]
    guards = card.locator('[data-metric="guards_present"] [data-point]').nth(100)
    assert guards.get_attribute("data-attendance_present") == str(
        metrics(100)["attendance_present"]
    )
    assert guards.get_attribute("data-attendance_expected") == "12"
    other = page.locator(f'[data-testid="client-trend"][data-client-id="{api.ids["a2"]}"]')
    expect(other.get_by_test_id("trend-empty")).to_be_visible()

    # A snapshot taken now is pushed (metrics_update): one more point, the real numbers.
    async def take() -> None:
        await NocClient(api.settings.ray_namespace).take_snapshot(
            api.ids["tenant_a"], api.ids["a1"]
        )

    off_loop(asyncio.run, take())
    for metric in CHARTS:
        chart = card.locator(f'[data-testid="trend-chart"][data-metric="{metric}"]')
        expect(chart.locator("[data-point]")).to_have_count(SCRIPTED + 1)
    live = card.locator('[data-metric="alerts_open"] [data-point]').last
    assert live.get_attribute("data-high") == str(len(api.alerts["a1-n"] + api.alerts["a1-s"]))

    page.reload()  # the URL keeps the view; the REST read has the pushed one too
    expect(page.get_by_test_id("view-tab-trends")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("trends-view")).to_have_attribute("data-snapshots-loaded", "true")
    expect(card.locator('[data-metric="devices_offline"] [data-point]')).to_have_count(SCRIPTED + 1)
    assert tab.errors == []


def rate_totals(page: Any) -> tuple[int, int]:
    return (
        int(page.get_by_test_id("rate-new-total").inner_text()),
        int(page.get_by_test_id("rate-resolved-total").inner_text()),
    )


def test_alert_rate_chart_counts_a_posted_and_a_resolved_alert_live(
    api: Api, tab: Tab, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    if page.get_by_test_id("view-tab-trends").get_attribute("aria-current") != "page":
        open_view(page, "trends")
    view = page.get_by_test_id("trends-view")
    expect(view).to_have_attribute("data-rate-loaded", "true")
    chart = page.get_by_test_id("rate-chart")
    expect(chart.locator("[data-point]")).to_have_count(24 * 12)  # 5-minute buckets
    with api.client("admin") as http:
        rest = http.get("/api/noc/reports/alert-rate").json()
    assert rate_totals(page) == (rest["new"], rest["resolved"])
    new_before, resolved_before = rate_totals(page)

    (alert_id,), _ = post_alerts(
        api, alert(api, "a2", "a2-x", "DEVICE_OFFLINE", "HIGH", f"Dome camera offline ({api.tag})")
    )
    expect(page.get_by_test_id("rate-new-total")).to_have_text(str(new_before + 1))
    points = chart.locator("[data-point]")
    sum_new = "(els) => els.reduce((n, el) => n + Number(el.dataset.new), 0)"
    assert points.evaluate_all(sum_new) == new_before + 1
    with api.client("admin") as http:
        assert http.post(f"/api/noc/alerts/{alert_id}/resolve", json={}).status_code == 200
    expect(page.get_by_test_id("rate-resolved-total")).to_have_text(str(resolved_before + 1))
    assert rate_totals(page)[0] == new_before + 1  # the resolve did not count as new
    screenshot(page, tmp_path, "trends.png")

    page.get_by_test_id("rate-period").select_option(label="Last 6 h")
    expect(chart.locator("[data-point]")).to_have_count(6 * 12)
    expect(page.get_by_test_id("rate-chart")).to_have_attribute("data-hours", "6")
    assert tab.errors == []


def seed_history(api: Api) -> str:
    """A site of a2 whose only alerts are 20 days old (resolved, 4 folded
    duplicates each), and two incidents of a1 with an SLA: met 20 days ago,
    missed yesterday. Returns the site's name."""
    tid, now = api.ids["tenant_a"], datetime.now(UTC)
    site = f"a2-old-{api.tag}"

    async def write(db: AsyncConnection) -> None:
        await clients.create_site(db, tenant_id=tid, client_id=api.ids["a2"], name="Old depot",
                                  site_id=site)  # fmt: skip
        old = []
        for i in range(3):
            seen = now - timedelta(days=20, minutes=i)
            a = Alert(
                id=f"old-{i}-{api.tag}", tenant_id=tid, client_id=api.ids["a2"],
                alert_type="DEVICE_OFFLINE", severity=Severity.CRITICAL, message="old outage",
                dedup_key=f"old-{i}-{api.tag}", first_seen=seen, last_seen=seen, site_id=site,
                suppressed_count=4,
            )  # fmt: skip
            a.resolve(api.ids["admin"], seen + timedelta(minutes=30))
            old.append(a)
        await alerts.insert_alerts(db, old)
        for n, (ago, sla_h, took_h) in enumerate(
            ((timedelta(days=20), 4, 1), (timedelta(days=1), 1, 3))
        ):
            created = now - ago
            inc = await incidents.create_incident(
                db, tenant_id=tid, client_id=api.ids["a1"], site_id=api.ids["a1-n"],
                title=f"incident {n}", severity="HIGH", now=created,
                alert_ids=api.alerts["a1-n"][:1], sla_target=created + timedelta(hours=sla_h),
            )  # fmt: skip
            await incidents.update_incident(
                db, tenant_id=tid, incident_id=inc["id"], state="RESOLVED",
                resolved_at=created + timedelta(hours=took_h),
            )  # fmt: skip

    in_db(api, write)
    return "Old depot"


def table_rows(section: Any) -> list[list[str]]:
    """A report table as shown: the header row, then the body rows."""
    rows: list[list[str]] = (
        section.get_by_test_id("report-table")
        .locator("tr")
        .evaluate_all("(trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim()))")
    )
    return rows


def download_csv(page: Any, section: Any, tmp_path: Path) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        section.get_by_test_id("report-csv").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target.name, list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))


def test_reports_for_a_chosen_period_with_charts_tables_and_csv_downloads(
    api: Api, tab: Tab, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    old_site = seed_history(api)
    page.reload()  # the site names are read on a load
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-loaded", "true")
    open_view(page, "reports")
    assert "view=reports" in page.url and "view=trends" not in page.url
    view = page.get_by_test_id("reports-view")
    expect(view).to_have_attribute("data-loaded-days", "30")  # the default period
    page.get_by_test_id("report-period").select_option("7")
    expect(view).to_have_attribute("data-loaded-days", "7")
    mttr, sla, noisy = (page.get_by_test_id(f"report-{k}") for k in ("mttr", "sla", "noisy"))
    with api.client("admin") as http:
        rest = {
            k: http.get(f"/api/noc/reports/{k}", params={"days": 7}).json()
            for k in ("mttr", "sla-compliance", "noisy-sites")
        }

    # MTTR: a bar per severity, a row per severity and one for all.
    expect(mttr.get_by_test_id("report-chart").locator("[data-point]")).to_have_count(5)
    rows = table_rows(mttr)
    assert rows[0] == ["Severity", "Resolved", "Mean time to resolve", "Mean (seconds)"]
    assert [r[0] for r in rows[1:]] == [*SEVERITIES, "All"]
    assert rows[-1][1] == str(rest["mttr"]["resolved"])
    assert rows[1][1] == "0"  # the CRITICAL alerts were resolved 20 days ago

    # SLA: one client (a1) with a miss yesterday; the met one is 20 days old.
    expect(sla.get_by_test_id("report-chart").locator("[data-point]")).to_have_count(1)
    assert table_rows(sla)[1:] == [
        ["A1", "1", "0", "0.0%", "0"],
        ["All clients", "1", "0", "0.0%", "0"],
    ]
    expect(sla.get_by_test_id("report-summary")).to_contain_text("0.0% within SLA")

    # Noisy sites: the world's sites, not the old one; a bar and a row per site.
    sites = rest["noisy-sites"]["sites"]
    expect(noisy.get_by_test_id("report-chart").locator("[data-point]")).to_have_count(len(sites))
    shown = table_rows(noisy)
    assert [r[2:] for r in shown[1:]] == [
        [str(s["alerts"]), str(s["suppressed_duplicates"]), str(s["noise"])] for s in sites
    ]
    assert old_site not in {r[0] for r in shown}

    name, got = download_csv(page, noisy, tmp_path)
    assert name.startswith("noc-noisy-sites-7d-") and name.endswith(".csv")
    assert got == shown

    # Another period: the old site leads the noisy sites, the old incident counts.
    page.get_by_test_id("report-period").select_option("30")
    expect(view).to_have_attribute("data-loaded-days", "30")
    expect(noisy.get_by_test_id("report-table").locator("tbody tr").first).to_contain_text(old_site)
    assert table_rows(noisy)[1] == [old_site, "A2", "3", "12", "15"]
    assert table_rows(sla)[-1] == ["All clients", "2", "1", "50.0%", "0"]
    _, got = download_csv(page, mttr, tmp_path)
    assert got == table_rows(mttr) and got[1][:3] == ["CRITICAL", "3", "30m"]
    screenshot(page, tmp_path, "reports.png")
    page.get_by_test_id("view-tab-board").click()
    expect(page.get_by_test_id("alert-board")).to_be_visible()
    assert "view=" not in page.url
    assert tab.errors == []
