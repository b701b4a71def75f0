"""Periodic jobs never die: a failing step is logged and counted, and the
loop runs on."""

from __future__ import annotations

import asyncio
import logging

import pytest

from noc_actors.runtime.loops import PeriodicLoop


async def test_a_failing_run_is_logged_counted_and_the_loop_lives_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("database down")

    loop = PeriodicLoop("snapshot", 0.01, step)
    with caplog.at_level(logging.ERROR):
        loop.start()
        while calls < 5:
            await asyncio.sleep(0.01)
        await loop.stop()
    status = loop.status()
    assert status["failures"] == 1 and status["runs"] >= 5
    assert status["last_error"] == "RuntimeError: database down"
    assert status["last_success"] is not None and not status["running"]
    assert "periodic job snapshot failed" in caplog.text


async def test_interval_can_be_computed_for_wall_clock_jobs() -> None:
    ran = asyncio.Event()

    async def step() -> None:
        ran.set()

    loop = PeriodicLoop("archive", lambda: 0.01, step)
    loop.start()
    await asyncio.wait_for(ran.wait(), 1)
    await loop.stop()


async def test_run_once_reports_success() -> None:
    async def step() -> None:
        return None

    assert await PeriodicLoop("x", 1, step).run_once()


def test_daily_archive_waits_until_the_next_0200_utc() -> None:
    from datetime import UTC, datetime

    from noc_actors.runtime.loops import seconds_until

    assert seconds_until(2, datetime(2026, 11, 26, 1, 0, tzinfo=UTC)) == 3600
    assert seconds_until(2, datetime(2026, 11, 26, 2, 0, tzinfo=UTC)) == 24 * 3600
    assert seconds_until(2, datetime(2026, 11, 26, 23, 0, tzinfo=UTC)) == 3 * 3600
