"""Periodic jobs never die: a failing step is logged and counted, and the
loop runs on."""

from __future__ import annotations

import asyncio
import logging
import time

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


async def test_a_failed_run_is_retried_with_growing_delays_before_the_next_interval() -> None:
    """Issue 11 item 14: up to 3 retries, each waiting twice the last."""
    attempts: list[float] = []

    async def step() -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) <= 2:
            raise RuntimeError("database down")

    loop = PeriodicLoop("snapshot", 60, step, retry_backoff_s=0.05)
    assert await loop.run_with_retries()
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert len(attempts) == 3 and gaps[0] >= 0.05 and gaps[1] >= 0.1
    status = loop.status()
    assert status["failures"] == 2 and status["consecutive_failures"] == 0


async def test_retries_stop_after_three_and_the_failures_are_counted() -> None:
    runs = 0

    async def step() -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("still down")

    loop = PeriodicLoop("archive", lambda: 3600.0, step, retry_backoff_s=0.001)
    assert not await loop.run_with_retries()
    assert runs == 4 and loop.status()["consecutive_failures"] == 4


async def test_a_loop_without_success_for_three_intervals_is_late() -> None:
    async def step() -> None:
        raise RuntimeError("down")

    loop = PeriodicLoop("clock-rules", 0.02, step, retry_backoff_s=0.001)
    loop.start()
    assert not loop.status()["late"]  # just started: not late yet
    await asyncio.sleep(0.1)
    assert loop.status()["late"] and loop.status()["running"]
    await loop.stop()
    assert not loop.status()["late"]  # a stopped loop is not late, it is off


async def test_a_loop_that_succeeds_is_never_late() -> None:
    async def step() -> None:
        return None

    loop = PeriodicLoop("clock-rules", 0.02, step, first_delay_s=0.0)
    loop.start()
    await asyncio.sleep(0.1)
    assert not loop.status()["late"] and loop.runs >= 3
    assert loop.is_late(now=time.time() + 1)  # nothing for 50 intervals


async def test_first_delay_zero_runs_at_once() -> None:
    ran = asyncio.Event()

    async def step() -> None:
        ran.set()

    loop = PeriodicLoop("clock-rules", 3600, step, first_delay_s=0.0)
    loop.start()
    await asyncio.wait_for(ran.wait(), 1)
    await loop.stop()
