"""The dashboard with thousands of open alerts, measured in the browser.

Starts the NOC (local Ray, the actors, one Serve replica) on a fresh database,
opens the dashboard in Debian's Chromium (Playwright, headless) as an admin
and reads the page's own timings (``window.nocPerf``, performance.now):

- first load: from the start of the REST load to the board drawn with every
  open alert (and the first page of 500 drawn while the rest loads);
- render: drawing the board from the loaded alerts;
- live update: a pushed alert applied to the board, and until the frame
  after it (p50 / p99 over ``--updates`` alerts posted one by one).

The baseline is the same page with ``--baseline`` open alerts, measured in
the same run before the rest are posted. Also prints how many cards the
page drew (the columns draw the newest 60 each, more as they are scrolled).

    .venv/bin/python bench/dashboard_render.py --alerts 5000
    .venv/bin/python bench/dashboard_render.py --alerts 5000 --backend postgres
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from stack import Database, Noc, prepare  # bench/stack.py
from ws_fanout import seed  # bench/ws_fanout.py: a tenant, its admin and an integration key

CHROMIUM = "/usr/bin/chromium"
SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
WEIGHTS = [1, 4, 7, 5]
"""No INFO: an ingest burst may raise backpressure, which stores INFO alerts
suppressed (not open) — the board would hold fewer than asked for."""


def post(base: str, key: str, client_ids: list[str], n: int, rng: random.Random) -> None:
    """``n`` distinct open alerts, in batches of 500."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as h:
        for start in range(0, n, 500):
            items = [
                {
                    "alert_type": "DEVICE_OFFLINE",
                    "message": f"Device {uuid.uuid4().hex[:8]} stopped answering",
                    "client_id": rng.choice(client_ids),
                    "severity": rng.choices(SEVERITIES, WEIGHTS)[0],
                    "entity_type": "device",
                    "entity_id": uuid.uuid4().hex,
                    "metadata": {"zone": f"Z{rng.randint(1, 40)}", "floor": rng.randint(0, 12)},
                }
                for _ in range(min(500, n - start))
            ]
            r = h.post("/api/noc/alerts", json={"alerts": items})
            r.raise_for_status()


def open_count(base: str, token: str) -> int:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as h:
        o = h.get("/api/noc/overview").json()
    return sum(int(c.get("open_total") or 0) for c in o["clients"])


def measure(browser: Any, base: str, token: str) -> dict[str, Any]:
    """Open the page signed in; its timings once the board is loaded."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{base}/#token={token}")
        page.wait_for_selector('[data-testid="dashboard"][data-loaded="true"]', timeout=120_000)
        page.wait_for_function("window.nocPerf && window.nocPerf.load !== null")
        out: dict[str, Any] = page.evaluate("({...window.nocPerf})")
        out["cards"] = page.locator('[data-testid="alert-card"]').count()
        out["open"] = int(page.get_by_test_id("open-count").inner_text())
        return out | {"page": page, "context": context}
    except BaseException:
        context.close()
        raise


Timings = tuple[list[float], list[float]]


def live(page: Any, base: str, key: str, client_ids: list[str], n: int) -> Timings:
    """Post ``n`` alerts one by one; the page's live-update timings for them."""
    rng = random.Random(7)
    before = page.evaluate("window.nocPerf.live.length")
    for _ in range(n):
        post(base, key, client_ids, 1, rng)
        time.sleep(0.25)
    page.wait_for_function(f"window.nocPerf.livePainted.length >= {before + n}", timeout=30_000)
    got = page.evaluate("({live: window.nocPerf.live, painted: window.nocPerf.livePainted})")
    return got["live"][-n:], got["painted"][-n:]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=5000, help="open alerts on the board")
    parser.add_argument("--baseline", type=int, default=100, help="open alerts of the baseline")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--updates", type=int, default=30, help="live alerts timed")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the loaded board here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    db = Database.create(args.backend)
    prepare(db.url)
    client_ids, admin, key, _ = asyncio.run(seed(db.url, args.clients))
    noc = Noc.start(db.url, f"bench-dash-{uuid.uuid4().hex[:6]}")
    rng = random.Random(1)
    rows: list[tuple[str, dict[str, Any], Timings]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage"],
            )
            for label, total in (("baseline", args.baseline), ("board", args.alerts)):
                have = open_count(noc.base, admin)
                print(f"posting {total - have} alerts ...", flush=True)
                post(noc.base, key, client_ids, total - have, rng)
                time.sleep(2)  # the pushes of the burst settle
                print(
                    f"{label}: {open_count(noc.base, admin)} open alerts; opening the page",
                    flush=True,
                )
                m = measure(browser, noc.base, admin)
                try:
                    timings = live(m["page"], noc.base, key, client_ids, args.updates)
                    if label == "board" and args.screenshot:
                        m["page"].screenshot(path=str(args.screenshot))
                finally:
                    m.pop("page")
                    m.pop("context").close()
                rows.append((label, m, timings))
            browser.close()
    finally:
        noc.close()
        db.close()

    print()
    print(f"dashboard, {args.backend}, Chromium headless, 1600x1000 (ms, performance.now)")
    print(f"{'':10} {'open':>6} {'cards':>6} {'first page':>11} {'load':>8} {'render':>8} "
          f"{'live p50':>9} {'live p99':>9} {'painted p50':>12} {'painted p99':>12}")  # fmt: skip
    for label, m, (lv, painted) in rows:
        first = "-" if m["firstPage"] is None else f"{m['firstPage']:.0f}"
        print(
            f"{label:10} {m['open']:>6} {m['cards']:>6} {first:>11} {m['load']:>8.0f} "
            f"{m['render']:>8.1f} {pct(lv, 50):>9.2f} {pct(lv, 99):>9.2f} "
            f"{pct(painted, 50):>12.1f} {pct(painted, 99):>12.1f}"
        )
    (_, base, (blive, bpaint)), (_, big, (live_, paint)) = rows
    print()
    ratios = {
        "open": big["open"] / max(1, base["open"]),
        "load": big["load"] / base["load"],
        "render": big["render"] / max(0.1, base["render"]),
        "live p50": statistics.median(live_) / max(0.001, statistics.median(blive)),
        "painted p50": statistics.median(paint) / max(0.1, statistics.median(bpaint)),
    }
    print("ratios board / baseline: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
