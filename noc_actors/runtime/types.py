"""The plain types of a client runtime's interface: how it is configured
(``RuntimeOptions``) and what its calls answer (``RuntimeStatus``,
``TransitionResult``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from noc_actors.domain.errors import DomainError
from noc_actors.runtime.load import LoadFigures
from noc_actors.runtime.loops import LoopStatus


@dataclass(frozen=True, slots=True)
class RuntimeOptions:
    clock_rules_interval_s: float = 30.0
    snapshot_interval_s: float = 300.0
    """Also the window of each snapshot (it ends when it is taken)."""
    max_group: int = 128
    """Operations committed together at the most (group commit)."""
    run_loops: bool = True
    """Start the periodic loops on the first load (hosts). Tests leave them
    off and call ``tick`` / ``take_snapshot`` themselves."""


class RuntimeStatus(TypedDict):
    """What ``status()`` shows of a runtime (health, ``noc status``)."""

    kind: str
    tenant_id: str
    client_id: str
    loaded: bool
    enabled: bool
    open_alerts: int
    shed_info: bool
    new_info_low: int
    started_at: float
    load_seconds: float | None
    jobs: list[LoopStatus]
    load: LoadFigures


class TransitionResult(TypedDict):
    """Each alert succeeds or fails on its own; the successes are committed.
    ``done`` holds the changed alerts (JSON), ``errors`` the refusals by id:
    ``InvalidTransition`` (409) or ``NotFound`` (404)."""

    done: list[dict[str, Any]]
    errors: dict[str, DomainError]
