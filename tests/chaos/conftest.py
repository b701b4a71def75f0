"""Chaos tier: the real stack of the e2e tier (Serve over HTTP, the actors,
PostgreSQL, Redis) while its parts fail — actors killed, PostgreSQL stopped,
Redis stopped — under steady load. Each test prints its figures (sent,
answered, stored, lost, duplicates, recovery seconds) and asserts that
nothing answered 2xx is lost and that everything recovers by itself.

Stopping PostgreSQL or Redis needs the local servers this machine runs (and
the right to stop them); a test that stops one always starts it again."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import api  # noqa: F401 - the e2e stack, one per module


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


@pytest.fixture
def postgres_control() -> Iterator[None]:
    """PostgreSQL may be stopped by the test; it is running again afterwards."""
    yield
    if not pg_ready():
        pg_ctl("start")
        deadline = time.monotonic() + 30
        while not pg_ready() and time.monotonic() < deadline:
            time.sleep(0.5)
