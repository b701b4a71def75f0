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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from noc_actors.domain.backpressure import BackpressurePolicy
from noc_actors.domain.enums import BackpressureLevel

if TYPE_CHECKING:
    from noc_actors.actors.client import NocClient

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 1.0
RETRY_AFTER_S = 5


class Overloaded(Exception):
    """Ingest refused for now: answer 503 with Retry-After (Alertmanager and
    well-behaved clients retry 5xx)."""

    def __init__(self, reason: str, retry_after_s: int = RETRY_AFTER_S) -> None:
        self.reason = reason
        self.retry_after_s = retry_after_s
        super().__init__(reason)


class TooLarge(Exception):
    """A batch that can never fit the ingest queue: 413, send smaller ones
    (a 503 would make senders retry it forever)."""

    def __init__(self, n: int, capacity: int) -> None:
        self.n = n
        self.capacity = capacity
        super().__init__(
            f"a batch of {n} items is larger than the ingest queue ({capacity} items, "
            "NOC_INGEST_QUEUE_SIZE); send smaller batches"
        )


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

    def check(self, tenant_id: str, n: int) -> None:
        """Raise ``Overloaded`` when ``n`` more items may not enter now
        (``TooLarge`` when they never could)."""
        if n > self.capacity:
            raise TooLarge(n, self.capacity)
        if BackpressurePolicy.rejects_ingest(self.level(tenant_id)):
            self.refused += 1
            raise Overloaded("the NOC is shedding load (backpressure CRITICAL); retry later")
        if self.depth + n > self.capacity:
            self.refused += 1
            raise Overloaded(
                f"ingest queue full ({self.depth} of {self.capacity} items in flight); retry later"
            )

    @asynccontextmanager
    async def admit(self, tenant_id: str, n: int) -> AsyncIterator[None]:
        """Hold ``n`` queue slots while the batch is processed."""
        self.check(tenant_id, n)
        self.depth += n
        try:
            yield
        finally:
            self.depth -= n

    async def report(self, noc: NocClient) -> None:
        """One beat: report the depth, take the levels back."""
        self.levels = await noc.report_queue(self.replica_id, self.depth, self.capacity)

    async def run(self, noc: NocClient) -> None:
        """Report forever (a replica background task); failures are logged."""
        while True:
            try:
                await self.report(noc)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - the loop must not die
                log.warning("backpressure report failed: %s", err)
            await asyncio.sleep(REPORT_INTERVAL_S)
