"""The host-independent client runtime: one client's pure core with its lock,
its single write path, its loops and an injected clock, talking to the world
only through the protocols in ``ports``. Imports no Ray, database or cache
library, so a dedicated actor, a pool actor or a test can host it.

- ``client_runtime``  ``ClientRuntime``; ``types`` its options and answers
- ``effects``         what follows a commit: timer, hub, read cache, metrics
- ``ports``           ``ClientStore``, ``HubPort``, ``TimerPort``, ``Invalidator``,
  ``Clock``, ``MetricsSink``; ``Commit``, ``LoadedClient`` and the store errors
- ``memory_store``    ``MemoryClientStore``, faithful to the SQL store
- ``clock``           ``SystemClock``, ``ManualClock``
- ``recorders``       in-process hub, timer, invalidator and metrics that remember
- ``loops``           ``PeriodicLoop``, loops that never die
"""

from noc_actors.runtime.client_runtime import ClientRuntime
from noc_actors.runtime.clock import ManualClock, SystemClock
from noc_actors.runtime.memory_store import MemoryClientStore
from noc_actors.runtime.ports import (
    ClaimLost,
    ClientStore,
    Clock,
    Commit,
    DuplicateBatch,
    HubPort,
    Invalidator,
    LoadedClient,
    MetricsSink,
    StoreConflict,
    TimerPort,
)
from noc_actors.runtime.types import RuntimeOptions, RuntimeStatus, TransitionResult

__all__ = [
    "ClaimLost",
    "ClientRuntime",
    "ClientStore",
    "Clock",
    "Commit",
    "DuplicateBatch",
    "HubPort",
    "Invalidator",
    "LoadedClient",
    "ManualClock",
    "MemoryClientStore",
    "MetricsSink",
    "RuntimeOptions",
    "RuntimeStatus",
    "StoreConflict",
    "SystemClock",
    "TimerPort",
    "TransitionResult",
]
