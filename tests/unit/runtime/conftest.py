"""Runtime fixtures: a ``World`` on a fresh memory store (no Ray, no database)."""

from __future__ import annotations

import pytest

from tests.runtime_scenarios import World, memory_world


@pytest.fixture
def world() -> World:
    return memory_world()
