"""Backpressure (SPEC section 6): protect operators during alert storms
without losing data.

* NORMAL: nothing shed.
* ELEVATED: the tenant holds *more than* ``threshold`` (default 1,000) NEW
  alerts of severity INFO or LOW. New INFO alerts are stored SUPPRESSED, and
  NEW INFO alerts older than ``backpressure_sweep_age_minutes`` (1 h) are swept
  to SUPPRESSED. At or below the threshold the level is NORMAL again (no
  hysteresis).
* CRITICAL: the bounded ingest queue is full — ingest answers 503 with
  Retry-After (never accept-then-drop). Shedding and sweeping stay on too.

Only INFO is ever shed; LOW counts toward the threshold but is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertStatus, BackpressureLevel, Severity
from noc_actors.domain.hub_events import HubEvent, backpressure_event
from noc_actors.domain.policy import TenantPolicy

COUNTED_SEVERITIES = frozenset({Severity.INFO, Severity.LOW})
SHED_SEVERITIES = frozenset({Severity.INFO})
SUPPRESSION_REASON = "backpressure"


class BackpressurePolicy:
    """The level rule and the admission rule, as plain functions (shedding is
    decided per alert by the book, through ``TenantBacklog``)."""

    @staticmethod
    def decide(new_info_low_count: int, queue_full: bool, threshold: int) -> BackpressureLevel:
        if queue_full:
            return BackpressureLevel.CRITICAL
        if new_info_low_count > threshold:
            return BackpressureLevel.ELEVATED
        return BackpressureLevel.NORMAL

    @staticmethod
    def rejects_ingest(level: BackpressureLevel) -> bool:
        """Answer 503 + Retry-After instead of accepting?"""
        return level is BackpressureLevel.CRITICAL


@dataclass(slots=True)
class TenantBacklog:
    """What a client's aggregator knows of its tenant's backlog, so that it
    decides shedding per alert *exactly*, with its own count kept live.

    ``others`` is the number of NEW INFO/LOW alerts of the tenant's *other*
    clients as the controller last counted them (every check interval);
    ``forced`` is set while the controller holds the tenant at CRITICAL.
    A storm on one client is therefore counted exactly; across clients the
    others' part is at most one check interval old."""

    others: int = 0
    forced: bool = False

    def sheds(self, own: int, threshold: int) -> bool:
        """Is the tenant above ``threshold`` with this client holding ``own``?"""
        return self.forced or self.others + own > threshold


def counts_toward_threshold(alert: Alert) -> bool:
    """A NEW INFO/LOW alert: what the threshold counts."""
    return alert.status is AlertStatus.NEW and alert.severity in COUNTED_SEVERITIES


def count_new_info_low(alerts: Iterable[Alert]) -> int:
    return sum(1 for a in alerts if counts_toward_threshold(a))


def sweep_candidates(
    alerts: Iterable[Alert],
    now: datetime,
    policy: TenantPolicy,
    level: BackpressureLevel,
) -> list[Alert]:
    """NEW INFO alerts older than the sweep age (strictly), only while not NORMAL.

    Oldest first; the caller suppresses them with ``SUPPRESSION_REASON``."""
    if level is BackpressureLevel.NORMAL:
        return []
    age = timedelta(minutes=policy.backpressure_sweep_age_minutes)
    picked = [
        a
        for a in alerts
        if a.status is AlertStatus.NEW
        and a.severity in SHED_SEVERITIES
        and now - a.first_seen > age
    ]
    picked.sort(key=lambda a: (a.first_seen, a.id))
    return picked


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A tenant's level moved; published to dashboards and metrics."""

    tenant_id: str
    previous: BackpressureLevel
    level: BackpressureLevel
    new_info_low_count: int
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "previous": self.previous.value,
            "level": self.level.value,
            "new_info_low_count": self.new_info_low_count,
            "at": self.at.isoformat(),
        }

    def event(self) -> HubEvent:
        """The ``backpressure`` event dashboards hear of."""
        return backpressure_event(
            self.tenant_id,
            self.previous.value,
            self.level.value,
            self.new_info_low_count,
            self.at.isoformat(),
        )


class LevelTracker:
    """Current level per tenant; reports only *changes*.

    Soft state: after a restart every tenant starts NORMAL and the first
    observation re-announces any raised level."""

    def __init__(self) -> None:
        self._levels: dict[str, BackpressureLevel] = {}
        self._counts: dict[str, int] = {}

    def level(self, tenant_id: str) -> BackpressureLevel:
        return self._levels.get(tenant_id, BackpressureLevel.NORMAL)

    def count(self, tenant_id: str) -> int:
        return self._counts.get(tenant_id, 0)

    def snapshot(self) -> dict[str, BackpressureLevel]:
        """Every tenant not at NORMAL."""
        return {t: lv for t, lv in self._levels.items() if lv is not BackpressureLevel.NORMAL}

    def update(
        self, tenant_id: str, level: BackpressureLevel, now: datetime, count: int = 0
    ) -> LevelChange | None:
        previous = self.level(tenant_id)
        self._counts[tenant_id] = count
        if level is BackpressureLevel.NORMAL:
            self._levels.pop(tenant_id, None)
        else:
            self._levels[tenant_id] = level
        if level is previous:
            return None
        return LevelChange(tenant_id, previous, level, count, now)

    def observe(
        self,
        tenant_id: str,
        new_info_low_count: int,
        queue_full: bool,
        threshold: int,
        now: datetime,
    ) -> LevelChange | None:
        level = BackpressurePolicy.decide(new_info_low_count, queue_full, threshold)
        return self.update(tenant_id, level, now, new_info_low_count)

    def observe_all(
        self,
        counts: Mapping[str, int],
        queue_full: bool,
        now: datetime,
        threshold_for: Callable[[str], int],
    ) -> list[LevelChange]:
        """Observe every tenant in ``counts``; tracked tenants missing from it
        count as 0. Returns the changes, ordered by tenant id."""
        tenants = sorted(set(counts) | set(self._levels))
        changes = []
        for t in tenants:
            change = self.observe(t, counts.get(t, 0), queue_full, threshold_for(t), now)
            if change is not None:
                changes.append(change)
        return changes
