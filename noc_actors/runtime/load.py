"""One client's load, for operators deciding where it runs (issue 12): items
ingested per minute, the CPU its core spent, and its batch times (p99).
Soft state, measured by the runtime on each commit; pure (times passed in)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TypedDict

WINDOW_S = 300.0
"""Items per minute are averaged over the last five minutes."""
BATCH_SAMPLES = 1024
"""The p99 is over the last this many commits."""


class LoadFigures(TypedDict):
    items_per_min: float
    cpu_s: float
    p99_batch_ms: float | None
    batches: int


@dataclass(slots=True)
class LoadMeter:
    """Counts one client's ingest. ``record`` after each commit; ``figures``
    at any time. ``since`` is when counting began (a young meter divides by
    its age, at least a minute, not by the whole window). A host reads the
    figures of each of its hundreds of clients every few seconds: the
    window's item count is kept as a running sum, and the p99 is sorted
    again only after new batches."""

    since: float
    window_s: float = WINDOW_S
    _items: deque[tuple[float, int]] = field(default_factory=deque)
    _in_window: int = 0
    _batch_s: deque[float] = field(default_factory=lambda: deque(maxlen=BATCH_SAMPLES))
    _p99: float | None = None
    _p99_at: int = -1
    cpu_s: float = 0.0
    batches: int = 0

    def record(self, at: float, items: int, batch_s: float, cpu_s: float) -> None:
        if items:
            self._items.append((at, items))
            self._in_window += items
        self._batch_s.append(batch_s)
        self.cpu_s += cpu_s
        self.batches += 1
        self._trim(at)

    def _trim(self, at: float) -> None:
        while self._items and self._items[0][0] <= at - self.window_s:
            self._in_window -= self._items.popleft()[1]

    def items_per_min(self, at: float) -> float:
        self._trim(at)
        span = min(self.window_s, max(at - self.since, 60.0))
        return self._in_window * 60.0 / span

    def p99_batch_s(self) -> float | None:
        if not self._batch_s:
            return None
        if self._p99_at != self.batches:
            ordered = sorted(self._batch_s)
            self._p99, self._p99_at = ordered[math.ceil(0.99 * len(ordered)) - 1], self.batches
        return self._p99

    def figures(self, at: float) -> LoadFigures:
        p99 = self.p99_batch_s()
        return {
            "items_per_min": round(self.items_per_min(at), 2),
            "cpu_s": round(self.cpu_s, 4),
            "p99_batch_ms": None if p99 is None else round(p99 * 1000, 2),
            "batches": self.batches,
        }


def suggestion(placement: str, items_per_min: float, dedicate_at: float) -> str:
    """``dedicate`` for a pooled client at or above ``dedicate_at`` items a
    minute; ``pool`` for a dedicated one below a tenth of it (the gap keeps a
    client from going back and forth); else nothing."""
    if placement == "pooled" and items_per_min >= dedicate_at:
        return "dedicate"
    if placement == "dedicated" and items_per_min < dedicate_at / 10:
        return "pool"
    return ""
