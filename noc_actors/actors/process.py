"""What every NOC actor process sets up first, in one place: log redaction,
its settings, its database engine, its clock, and the facts its ``status``
reports (when it started, whether Ray restarted it). Built in the actor's
constructor (STYLE 7), never at import time."""

from __future__ import annotations

import gc
import time
import warnings
from dataclasses import dataclass
from typing import Any, Final

import ray
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.logs import install_redaction
from noc_actors.runtime.clock import SystemClock
from noc_actors.settings import Settings
from noc_actors.store.db import make_engine

GC_THRESHOLD: Final = 10_000
"""Allocations between young-generation collections in NOC processes
(CPython's default is 700). A pool holds hundreds of clients' alert books,
and every operation allocates a few dozen short-lived containers; at 700,
collections ran often enough to cost ~30 % of a host's CPU when a request's
alerts were spread over many clients (bench/clients.py; in-process:
7.4 -> 5.3 ms per request of 100 alerts over 100 clients). Cycles are still
collected, only in larger steps."""


def tune_gc() -> None:
    """Collect garbage in larger steps (``GC_THRESHOLD``); idempotent."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, older, oldest)


def was_restarted() -> bool:
    """True when Ray restarted this actor (it reloads its state on start).

    Ray 2.60 reads a deprecated property inside this call; the warning is
    Ray's own, so it is silenced here rather than in every log."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return bool(ray.get_runtime_context().was_current_actor_reconstructed)


@dataclass(frozen=True, slots=True)
class ActorProcess:
    """An actor process's basics; ``start`` builds them."""

    settings: Settings
    engine: AsyncEngine
    clock: SystemClock
    started_at: float
    restarted: bool

    @classmethod
    def start(cls, settings: Settings) -> ActorProcess:
        install_redaction()
        tune_gc()
        return cls(
            settings=settings,
            engine=make_engine(settings.database_url),
            clock=SystemClock(),
            started_at=time.time(),
            restarted=was_restarted(),
        )


def actor_class(cls: type) -> Any:
    """``cls`` as Ray made it: ``@ray.remote`` turns a class into an actor
    class (with ``options`` and ``remote``), which a type checker cannot see
    through Ray's untyped decorator."""
    return cls
