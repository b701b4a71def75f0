"""Chaos tier: the real stack of the e2e tier (Serve over HTTP, the actors,
PostgreSQL, Redis) while its parts fail — actors killed, PostgreSQL stopped,
Redis stopped — under steady load. Each test records its figures (sent,
answered, stored, lost, duplicates, recovery seconds; printed in a "chaos
figures" section at the end of the run) and asserts that nothing answered
2xx is lost and that everything recovers by itself.

Stopping PostgreSQL or Redis needs the local servers this machine runs (and
the right to stop them); a test that stops one always starts it again."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.load import FIGURES
from tests.e2e.conftest import (  # noqa: F401 - the e2e stack, stopped after its last test
    _stacks,
    api,
    pytest_runtest_teardown,
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The chaos figures, whatever the output capture: sent, answered,
    stored, lost, duplicates, recovery."""
    if FIGURES:
        terminalreporter.section("chaos figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def _pg_version() -> str:
    versions = (
        sorted(p.name for p in Path("/etc/postgresql").iterdir())
        if Path("/etc/postgresql").is_dir()
        else []
    )
    if not versions:
        pytest.skip("no local PostgreSQL cluster to stop (/etc/postgresql)")
    return versions[0]


def pg_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False
        ).returncode
        == 0
    )


def pg_ctl(action: str) -> None:
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", action]
    if action == "stop":
        cmd += ["-m", "fast"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def pg_start(timeout_s: float = 30.0) -> None:
    """Start PostgreSQL and return once it accepts connections."""
    pg_ctl("start")
    deadline = time.monotonic() + timeout_s
    while not pg_ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL not ready {timeout_s:.0f}s after its start")
        time.sleep(0.2)


@pytest.fixture
def postgres_control() -> Iterator[None]:
    """PostgreSQL may be stopped by the test; it is running again afterwards."""
    yield
    if not pg_ready():
        pg_start()


def redis_ready() -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"],
            check=False,
            capture_output=True,
            timeout=10,
        ).stdout.strip()
        == b"PONG"
    )


def redis_stop() -> None:
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
        check=False,
        capture_output=True,
        timeout=30,
    )


def redis_start() -> None:
    """As the machine starts it: no persistence (the NOC keeps nothing there)."""
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
         "--save", "", "--appendonly", "no"],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not redis_ready() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture
def redis_control() -> Iterator[None]:
    """Redis may be stopped by the test; it is running again afterwards."""
    yield
    if not redis_ready():
        redis_start()
