"""What follows a committed operation of a client runtime, in this order:
the timer (cancel, then arm), the read cache (a version bump, only when
alerts or snapshots changed), the hub (events) — the cache first, so a
dashboard that re-reads when the push arrives never gets the cached state of
before — and the metrics, tagged with the tenant and client. Nothing here
runs for an operation that failed: a call that did not commit told no one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from noc_actors.domain.book import AlertBook, Outcome
from noc_actors.domain.changes import Changes
from noc_actors.domain.escalation import Deadline
from noc_actors.runtime.ports import CounterName, HubPort, Invalidator, MetricsSink, TimerPort

log = logging.getLogger(__name__)

_OUTCOMES: tuple[tuple[CounterName, Outcome], ...] = (
    ("created", Outcome.CREATED),
    ("folded", Outcome.FOLDED),
    ("suppressed", Outcome.SUPPRESSED),
)


class CommitEffects:
    """One client's view of the process-wide hub, timer, cache and metrics."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        hub: HubPort,
        timer: TimerPort,
        invalidator: Invalidator,
        metrics: MetricsSink,
    ) -> None:
        self.tenant_id, self.client_id = tenant_id, client_id
        self.hub, self.timer, self.invalidator, self.metrics = hub, timer, invalidator, metrics
        self.tags = {"tenant": tenant_id, "client": client_id}
        self._gauged: tuple[AlertBook, int] | None = None
        """The book and its ``open_changes`` last gauged: most operations
        fold repeats into open alerts and change no count."""

    def loaded(self, deadlines: list[Deadline], book: AlertBook) -> None:
        """After a (re)load: re-arm the pending deadlines, gauge the book."""
        if deadlines:
            self.timer.arm(deadlines)
        self.gauge(book)

    @staticmethod
    def stales_reads(changes: Changes) -> bool:
        """Whether cached reads of the client (alert lists, overview tiles,
        metric snapshots) are stale after ``changes``."""
        ingest = changes.ingest
        return bool(
            ingest.inserted or ingest.folded or changes.updated or changes.snapshot is not None
        )

    async def committed(self, changes: Changes, book: AlertBook, seconds: float) -> None:
        self._timed(changes)
        if self.stales_reads(changes):
            await self._invalidate()  # before the push: a dashboard re-reads on it
        self._told(changes, book)
        self.metrics.commit_seconds(seconds)

    def committed_bumped(self, changes: Changes, book: AlertBook) -> None:
        """As ``committed``, for one client of a joint commit: the caller
        has bumped the read cache (for many clients in one round trip) and
        times the commit itself."""
        self._timed(changes)
        self._told(changes, book)

    def _timed(self, changes: Changes) -> None:
        if changes.cancel:
            self.timer.cancel(changes.cancel)
        if changes.arm:
            self.timer.arm(changes.arm)

    def _told(self, changes: Changes, book: AlertBook) -> None:
        """The hub and the metrics, after the timer and the read cache."""
        if changes.events:
            self.hub.publish(changes.events)
        ingest = changes.ingest
        if ingest.items:
            self.metrics.count("ingested", len(ingest.items), self.tags)
            counts = ingest.tally()
            for name, outcome in _OUTCOMES:
                if n := counts[outcome]:
                    self.metrics.count(name, n, self.tags)
        if ingest.items or changes.updated:
            self.gauge(book)

    def escalated(self, n: int = 1) -> None:
        if n:
            self.metrics.count("escalated", n, self.tags)

    async def _invalidate(self) -> None:
        await quietly(self.invalidator.bump(self.tenant_id, self.client_id))

    def gauge(self, book: AlertBook) -> None:
        """The open-alert gauges, when an alert opened or closed since the
        last time (or the book is a new one: a reload)."""
        seen = (book, book.open_changes)
        if self._gauged is not None and self._gauged[0] is book and self._gauged[1] == seen[1]:
            return
        self._gauged = seen
        counts = {s.value: n for s, n in book.open_by_severity().items()}
        self.metrics.open_alerts(counts, self.tags)


async def quietly(bump: Awaitable[None]) -> None:
    """A read-cache bump, best effort: the cache must never fail a write
    (the entries' TTLs bound staleness while the cache is down)."""
    try:
        await bump
    except Exception as err:  # noqa: BLE001 - logged, never raised
        log.warning("could not invalidate the read cache: %s", err)
