"""Backpressure at the door (SPEC section 6): the admission check of every
ingest request on this Serve replica.

* A bounded ingest queue: the items (events or alerts) this replica has
  accepted for processing and not yet answered. A batch that would not fit
  is refused with 503 + Retry-After *before* anything is written — never
  accepted and then dropped.
* The controller's level: while a tenant is at CRITICAL (some replica's queue
  is full) its ingest is refused the same way.

The gate reports its depth to the BackpressureController every
``REPORT_INTERVAL_S`` and takes the tenants' levels back in the same call, so
the admission check itself costs no actor call.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from typing import Protocol

from noc_actors.domain.backpressure import BackpressurePolicy
from noc_actors.domain.enums import BackpressureLevel
from noc_actors.domain.errors import BatchTooLarge, Overloaded

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 1.0


class LevelSource(Protocol):
    """Where the gate reports its depth and reads the tenants' levels
    (``NocClient.report_queue``, one actor call per beat)."""

    async def report_queue(
        self, replica_id: str, depth: int, capacity: int
    ) -> Mapping[str, str]: ...


class IngestGate:
    """The replica's bounded ingest queue plus the cached backpressure levels."""

    def __init__(self, capacity: int, replica_id: str | None = None) -> None:
        self.capacity = capacity
        self.replica_id = replica_id or f"replica-{os.getpid()}"
        self.depth = 0
        self.levels: dict[str, str] = {}
        self.refused = 0

    def level(self, tenant_id: str) -> BackpressureLevel:
        return BackpressureLevel(self.levels.get(tenant_id, BackpressureLevel.NORMAL.value))

    def reserve(self, tenant_id: str, n: int) -> Callable[[], None]:
        """Hold ``n`` queue slots for a batch; returns what releases them (once).

        Refused — nothing held — with ``Overloaded`` (503 + Retry-After) while
        the tenant is at CRITICAL or the queue has no room for ``n`` more, and
        with ``BatchTooLarge`` (413) when ``n`` could never fit."""
        if n > self.capacity:
            raise BatchTooLarge(n, self.capacity)
        if BackpressurePolicy.rejects_ingest(self.level(tenant_id)):
            self.refused += 1
            raise Overloaded("the NOC is shedding load (backpressure CRITICAL); retry later")
        if self.depth + n > self.capacity:
            self.refused += 1
            raise Overloaded(
                f"ingest queue full ({self.depth} of {self.capacity} items in flight); retry later"
            )
        self.depth += n
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.depth -= n

        return release

    async def report(self, noc: LevelSource) -> None:
        """One beat: report the depth, take the levels back."""
        self.levels = dict(await noc.report_queue(self.replica_id, self.depth, self.capacity))

    async def run(self, noc: LevelSource) -> None:
        """Report forever (a replica background task); failures are logged."""
        while True:
            try:
                await self.report(noc)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - the loop must not die
                log.warning("backpressure report failed: %s", err)
            await asyncio.sleep(REPORT_INTERVAL_S)
