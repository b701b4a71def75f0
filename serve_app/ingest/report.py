"""What the ingest pipeline answers: one ``ItemResult`` per item of the
request, the alerts platform events raised, totals, and which clients'
aggregators were unavailable (``BatchReport``). Routes turn it into their
wire format (``serve_app.ingest.schemas.ingest_body`` for the NOC's own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from noc_actors.domain.changes import IngestReport, ItemReport


class ItemKind(StrEnum):
    """What an item asks for; one actor call per client and kind, in this order."""

    ALERT = "alert"
    """Raise (create, fold into the open alert, or store suppressed)."""
    EVENT = "event"
    """A platform event, through the rules."""
    RESOLVE = "resolve"
    """Resolve the open alert of a dedup key (an integration said resolved)."""


class ItemStatus(StrEnum):
    CREATED = "created"
    FOLDED = "folded"
    SUPPRESSED = "suppressed"
    ACCEPTED = "accepted"
    """A platform event was applied (what it raised is listed apart)."""
    RESOLVED = "resolved"
    NOT_OPEN = "not_open"
    """Asked to resolve a key without an open alert: nothing to do."""
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to item ``index``."""

    index: int
    status: ItemStatus
    alert_id: str | None = None
    dedup_key: str | None = None
    reason: str | None = None
    retry: bool | None = None
    """True when the item was not stored and a retry may succeed."""

    @classmethod
    def of(cls, index: int, item: ItemReport) -> ItemResult:
        """An aggregator's answer for one alert, as item ``index``."""
        return cls(
            index, ItemStatus(item["outcome"]), item["alert_id"], item["dedup_key"], item["reason"]
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status.value}
        for name in ("alert_id", "dedup_key", "reason", "retry"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(slots=True)
class BatchReport:
    """The answer of one ingest request."""

    results: dict[int, ItemResult] = field(default_factory=dict)
    raised: list[ItemResult] = field(default_factory=list)
    """Platform events only: the alerts the rules raised, numbered in order."""
    created: int = 0
    folded: int = 0
    suppressed: int = 0
    resolved: int = 0
    unavailable: list[str] = field(default_factory=list)
    """Clients whose aggregator was unavailable: their items were not stored."""
    replayed: bool = False
    """The stored answer of a batch already applied with the same Idempotency-Key."""

    @property
    def items(self) -> list[ItemResult]:
        """Per item, in request order."""
        return [self.results[i] for i in sorted(self.results)]

    def count(self, status: ItemStatus) -> int:
        return sum(1 for r in self.results.values() if r.status is status)

    @property
    def rejected(self) -> int:
        return self.count(ItemStatus.REJECTED)

    @property
    def accepted(self) -> int:
        return len(self.results) - self.rejected

    def record(self, result: ItemResult) -> None:
        self.results[result.index] = result

    def reject(self, index: int, reason: str, retry: bool | None = None) -> None:
        self.record(ItemResult(index, ItemStatus.REJECTED, reason=reason, retry=retry))

    def unavailable_for(self, client_id: str, indexes: list[int], err: Exception) -> None:
        if client_id not in self.unavailable:
            self.unavailable.append(client_id)
        for i in indexes:
            self.reject(i, f"unavailable: {err}; retry", retry=True)

    def add_totals(self, report: IngestReport) -> None:
        self.replayed = self.replayed or bool(report.get("replayed"))
        self.created += report["created"]
        self.folded += report["folded"]
        self.suppressed += report["suppressed"]
        self.resolved += report["resolved"]

    def record_raised(self, items: list[ItemReport]) -> None:
        """The alerts platform events raised, numbered across the batch."""
        self.raised = [ItemResult.of(n, item) for n, item in enumerate(items)]
