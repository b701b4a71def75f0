"""What the actors report of themselves (``status``, the supervisor's
``health``), typed so health, metrics and ``noc status`` read the same keys.
Each actor's ``status`` is idempotent and cheap."""

from __future__ import annotations

from typing import Any, TypedDict

from noc_actors.runtime.loops import LoopStatus


class TimerStatus(TypedDict):
    kind: str
    pending: int
    """Deadlines waiting in the heap."""
    next_due_at: str | None
    fired: int
    """Deadlines handed to aggregators (a stale one counts too)."""
    failures: int
    last_lag_s: float | None
    """How late the last deadline was handed over."""
    max_lag_s: float
    recent_lag_p50_s: float | None
    """Median lag of the last firings (``timer.RECENT_FIRINGS``); a deadline
    that fell due while the timer was down counts its whole wait."""
    recent_lag_max_s: float | None
    oldest_overdue_s: float
    """How long the earliest deadline still waiting has been due: above a
    few seconds the timer is not keeping up now."""
    rebuilt: int
    """Deadlines re-armed from the database since the timer started."""
    armed: bool
    """The pending escalations have been re-armed from the database since
    the timer started (not yet: the database was unreachable; the timer
    keeps trying and is unhealthy meanwhile)."""
    started_at: float
    restarted: bool


class ChildView(TypedDict):
    """What the supervisor has seen of one actor it runs."""

    name: str
    kind: str
    """``hub``, ``timer``, ``backpressure``, ``pool`` or ``aggregator`` (a
    dedicated host)."""
    client_id: str | None
    """The client of a dedicated host."""
    clients: list[str]
    """The clients a host runs (placed in it)."""
    state: str
    """``PENDING``, ``ALIVE``, ``RESTARTING`` or ``DEAD``."""
    restarts: int
    last_ok: float | None
    last_error: str | None
    details: dict[str, Any]
    """The actor's own last ``status`` answer."""


class ProcessFacts(TypedDict):
    started_at: float
    restarted: bool


class SupervisorHealth(TypedDict):
    ok: bool
    """Every actor answered its ping and no periodic job is late."""
    actors: list[ChildView]
    jobs: list[LoopStatus]
    """The supervisor's loops, the backpressure controller's, each host's
    ``load-clients`` and its clients' late loops (``<client_id>/<job>``)."""
    supervisor: ProcessFacts
