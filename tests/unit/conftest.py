"""Unit tier: the pure core. Ray is forbidden here (as in Ray Serve's own unit
tests): a test that imports it fails at once."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

import pytest

_FORBIDDEN = ("ray", "sqlalchemy", "fastapi", "redis", "asyncpg", "aiosqlite")


@pytest.fixture(autouse=True)
def _forbid_io_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_import = builtins.__import__

    def guarded(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in _FORBIDDEN:
            raise ImportError(f"unit tests must not import {name}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded)
    yield
