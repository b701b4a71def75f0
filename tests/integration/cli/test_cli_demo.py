"""`noc demo` — the README's run command — brings the whole actor system up on
the embedded defaults, and the simulated platform makes the rules fire within
a minute — on the dashboard page too, opened from the printed link; it stops
cleanly on its own (and on Ctrl-C, the same path)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from noc_actors import ray_env
from noc_actors.store.db import make_engine


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alert_types(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT DISTINCT alert_type FROM alerts"))
                return {r[0] for r in rows}
        finally:
            await engine.dispose()

    return asyncio.run(run())


def page_shows_alerts(link: str, shot: Path) -> int:
    """Open the dashboard link in Debian's Chromium; the number of alert
    cards once the board has loaded (a screenshot is kept in ``shot``)."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_dashboard_browser import ensure_chromium

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=ensure_chromium(), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(link)
            expect(page.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "connected", timeout=30_000
            )
            cards = page.get_by_test_id("alert-card")
            expect(cards.first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(shot))
            return cards.count()
        finally:
            browser.close()


def used_integration_key(url: str) -> bool:
    async def run() -> bool:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT last_used_at FROM api_tokens WHERE kind = 'integration'")
                )
                return any(r[0] is not None for r in rows)
        finally:
            await engine.dispose()

    return asyncio.run(run())


UP_TO_ALIVE_S = 70


def test_demo_is_alive_within_a_minute_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/noc.db"
    env = {**os.environ, "NOC_DATABASE_URL": url, "NO_COLOR": "1", "COLUMNS": "200"}
    for name in ray_env.PORTS:  # as from a new shell: the demo finds its own free ports
        env.pop(name, None)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "noc_actors.cli", "demo", "--seed", "7", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # One reader thread owns the pipe: `communicate(timeout=...)` reads the raw
    # descriptor and would lose lines already buffered by an earlier readline.
    lines: list[str] = []
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        began = time.monotonic()
        while not any("admin token" in line for line in lines) and time.monotonic() - began < 120:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        token_line = next((line for line in lines if "admin token" in line), "")
        token = token_line.rsplit(" ", 1)[-1].strip()
        assert token.startswith("noc_"), "".join(lines)
        # The simulator's first-minute show: an SLA falls due 8-50 s after the
        # first step, a work order 20-40 s; the demo's clock rules run every 5 s.
        up = time.monotonic()
        wanted = {"SLA_BREACH", "ATTENDANCE_MISSING", "WORK_ORDER_OVERDUE", "DEVICE_OFFLINE"}
        seen: set[str] = set()
        while time.monotonic() - up < UP_TO_ALIVE_S and not wanted <= seen:
            time.sleep(2)
            seen = alert_types(url)
        assert wanted <= seen, (
            f"{time.monotonic() - up:.0f}s after the NOC was up only {seen}; "
            f"the demo printed:\n{''.join(lines)}"
        )
        print(
            f"up {up - began:.0f}s after launch; every wanted alert type stored "
            f"{time.monotonic() - up:.0f}s later"
        )
        # The REST API is up too, and the printed token signs in.
        r = httpx.get(
            f"http://127.0.0.1:{port}/api/noc/alerts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 200 and r.json()["items"], r.text
        # The printed link signs in and the page shows the demo's alerts.
        link = next(line for line in lines if "==> dashboard:" in line).split()[2]
        assert page_shows_alerts(link, tmp_path / "demo.png") > 0
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        proc.stdout.close()
    out = "".join(lines)
    assert proc.returncode == 0, out
    assert "NOC is up" in out and "==> stopped" in out
    assert "through the ingest API" in out
    assert used_integration_key(url), "the simulator posts through the public ingest API"
    assert "NEW       CRITICAL SLA_BREACH" in out
    assert "Traceback" not in out
