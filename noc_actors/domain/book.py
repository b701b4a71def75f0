"""The alert book of one client: its open alerts by dedup key, and the ingest
pipeline that turns drafts into new, folded or suppressed alerts.

Stages, in order, each a small function below (SPEC section 3, STYLE 3):
suppress (maintenance) -> fold (dedup) -> shed (backpressure, INFO only) ->
create + correlate. Admission (the bounded queue) happens before the book;
persisting, arming timers and publishing happen after it, in the actor.

The book is the single writer of its client's alerts: every transition goes
through it so the open index never disagrees with the alerts it holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from noc_actors.domain.alert import Alert
from noc_actors.domain.backpressure import (
    COUNTED_SEVERITIES,
    SHED_SEVERITIES,
    TenantBacklog,
    count_new_info_low,
)
from noc_actors.domain.correlation import Correlator
from noc_actors.domain.draft import AlertDraft, AutoResolve
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput, NotFound
from noc_actors.domain.maintenance import MaintenanceWindow, covering_window
from noc_actors.domain.policy import TenantPolicy


def new_uuid() -> str:
    return str(uuid.uuid4())


class Outcome(StrEnum):
    CREATED = "created"
    FOLDED = "folded"
    SUPPRESSED = "suppressed"


@dataclass(slots=True, frozen=True)
class ItemResult:
    """What happened to item ``index`` of a batch."""

    index: int
    outcome: Outcome
    alert_id: str
    dedup_key: str
    reason: str | None = None


@dataclass(slots=True)
class IngestResult:
    """The effects of one batch, shaped for one batched write.

    ``inserted`` are new rows (open or SUPPRESSED), ``folded`` are existing rows
    whose suppressed_count/last_seen changed (each alert once)."""

    items: list[ItemResult] = field(default_factory=list)
    inserted: list[Alert] = field(default_factory=list)
    folded: dict[str, Alert] = field(default_factory=dict)
    _inserted_ids: set[str] = field(default_factory=set, repr=False)

    def insert(self, alert: Alert) -> None:
        self.inserted.append(alert)
        self._inserted_ids.add(alert.id)

    def touch(self, alert: Alert) -> None:
        """Record a change to an existing row (a row inserted by this batch
        already carries the change)."""
        if alert.id not in self._inserted_ids:
            self.folded[alert.id] = alert

    @property
    def created(self) -> list[Alert]:
        """New open alerts: the ones to arm timers for and to push."""
        return [a for a in self.inserted if a.status is AlertStatus.NEW]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome is outcome)


class AlertBook:
    """Open alerts of one (tenant, client), plus the memory needed to fold and
    correlate. Hard state lives in the database; ``load`` rebuilds this."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        policy: TenantPolicy,
        new_id: Callable[[], str] = new_uuid,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.policy = policy
        self._new_id = new_id
        self._open: dict[str, Alert] = {}  # dedup_key -> open alert
        self._by_id: dict[str, Alert] = {}  # alert id -> open alert
        # Kept with _by_id (an alert's severity never changes), so that the
        # backpressure count and the gauge do not walk every open alert per
        # operation: the open INFO/LOW alerts by id, open alerts per severity.
        self._counted: dict[str, Alert] = {}
        self._per_severity: dict[Severity, int] = dict.fromkeys(Severity, 0)
        # Latest SUPPRESSED row per (dedup_key, reason): repeats fold into it.
        self._suppressed_rows: dict[tuple[str, str], Alert] = {}
        self.correlator = Correlator(policy.correlation_window, new_id)

    # --- state ------------------------------------------------------------

    def load(self, open_alerts: Iterable[Alert], recent: Iterable[Alert] = ()) -> None:
        """Rebuild after a (re)start from the database's open alerts and the
        alerts of the last correlation window."""
        self._open.clear()
        self._by_id.clear()
        self._counted.clear()
        self._per_severity = dict.fromkeys(Severity, 0)
        self._suppressed_rows.clear()
        opened = list(open_alerts)
        for a in opened:
            self._index(a)
        self.correlator.seed([*opened, *recent])

    def set_policy(self, policy: TenantPolicy) -> None:
        self.policy = policy
        self.correlator.window = policy.correlation_window

    def _index(self, alert: Alert) -> None:
        if alert.tenant_id != self.tenant_id or alert.client_id != self.client_id:
            raise InvalidInput("client_id", f"alert {alert.id} belongs to another client")
        if alert.is_open:
            self._open[alert.dedup_key] = alert
            if alert.id not in self._by_id:
                self._per_severity[alert.severity] += 1
            self._by_id[alert.id] = alert
            if alert.severity in COUNTED_SEVERITIES:
                self._counted[alert.id] = alert

    def _unindex(self, alert: Alert) -> None:
        if self._open.get(alert.dedup_key) is alert:
            del self._open[alert.dedup_key]
        gone = self._by_id.pop(alert.id, None)
        if gone is not None:
            self._per_severity[gone.severity] -= 1
        self._counted.pop(alert.id, None)

    def new_info_low(self) -> int:
        """Open NEW INFO/LOW alerts: what the backpressure threshold counts."""
        return count_new_info_low(self._counted.values())

    def open_by_severity(self) -> dict[Severity, int]:
        """Open alerts per severity (every severity present, zeros included)."""
        return dict(self._per_severity)

    def open_alerts(self) -> list[Alert]:
        return list(self._by_id.values())

    def open_for_key(self, key: str) -> Alert | None:
        return self._open.get(key)

    def open_for_id(self, alert_id: str) -> Alert | None:
        return self._by_id.get(alert_id)

    def get(self, alert_id: str) -> Alert:
        """The open alert with this id (closed alerts live only in the database)."""
        alert = self._by_id.get(alert_id)
        if alert is None:
            raise NotFound("alert", alert_id)
        return alert

    def __len__(self) -> int:
        return len(self._by_id)

    # --- ingest -----------------------------------------------------------

    def ingest(
        self,
        drafts: Sequence[AlertDraft],
        now: datetime,
        windows: Sequence[MaintenanceWindow] = (),
        backlog: TenantBacklog | None = None,
    ) -> IngestResult:
        """Run the pipeline over a batch. An empty batch changes nothing.

        With a ``backlog``, each new INFO alert is shed (stored SUPPRESSED)
        while the tenant is above the backpressure threshold, counting this
        client's NEW INFO/LOW alerts live, the batch's own included."""
        result = IngestResult()
        threshold = self.policy.backpressure_threshold
        if backlog is not None and not backlog.forced:
            # Counting this client's NEW INFO/LOW alerts walks its open ones:
            # skip it when even all of them and the whole batch stay within
            # the threshold (nothing can shed; the usual case).
            upper = backlog.others + len(self._counted) + len(drafts)
            if upper <= threshold:
                backlog = None
        own = self.new_info_low() if backlog is not None else 0
        for index, draft in enumerate(drafts):
            self._check_owner(draft, index)
            key = draft.key()
            sheds = backlog is not None and backlog.sheds(own, threshold)
            item = (
                self._suppress_for_maintenance(index, draft, key, now, windows, result)
                or self._fold(index, key, now, result)
                or self._shed(index, draft, key, now, sheds, result)
                or self._create(index, draft, key, now, result)
            )
            if item.outcome is Outcome.CREATED and self._severity(draft) in COUNTED_SEVERITIES:
                own += 1
            result.items.append(item)
        return result

    def _check_owner(self, draft: AlertDraft, index: int) -> None:
        if draft.tenant_id != self.tenant_id:
            raise InvalidInput("tenant_id", "belongs to another tenant", item=index)
        if draft.client_id != self.client_id:
            raise InvalidInput("client_id", f"this book holds client {self.client_id}", index)

    def _suppress_for_maintenance(
        self,
        index: int,
        draft: AlertDraft,
        key: str,
        now: datetime,
        windows: Sequence[MaintenanceWindow],
        result: IngestResult,
    ) -> ItemResult | None:
        window = covering_window(
            windows, draft.tenant_id, draft.client_id, draft.site_id, draft.alert_type, now
        )
        if window is None:
            return None
        return self._record_suppressed(index, draft, key, now, f"maintenance:{window.id}", result)

    def _fold(self, index: int, key: str, now: datetime, result: IngestResult) -> ItemResult | None:
        alert = self._open.get(key)
        if alert is None:
            return None
        alert.fold(now)
        result.touch(alert)
        return ItemResult(index, Outcome.FOLDED, alert.id, key)

    def _shed(
        self,
        index: int,
        draft: AlertDraft,
        key: str,
        now: datetime,
        sheds: bool,
        result: IngestResult,
    ) -> ItemResult | None:
        if not sheds or self._severity(draft) not in SHED_SEVERITIES:
            return None
        return self._record_suppressed(index, draft, key, now, "backpressure", result)

    def _record_suppressed(
        self,
        index: int,
        draft: AlertDraft,
        key: str,
        now: datetime,
        reason: str,
        result: IngestResult,
    ) -> ItemResult:
        previous = self._suppressed_rows.get((key, reason))
        if previous is not None:
            previous.suppressed_count += 1
            previous.last_seen = max(previous.last_seen, now)
            result.touch(previous)
            return ItemResult(index, Outcome.SUPPRESSED, previous.id, key, reason)
        alert = self._new_alert(draft, key, now)
        alert.suppress(reason)
        self.correlator.assign(alert, now)
        self._suppressed_rows[(key, reason)] = alert
        result.insert(alert)
        return ItemResult(index, Outcome.SUPPRESSED, alert.id, key, reason)

    def _create(
        self, index: int, draft: AlertDraft, key: str, now: datetime, result: IngestResult
    ) -> ItemResult:
        alert = self._new_alert(draft, key, now)
        self.correlator.assign(alert, now)
        self._index(alert)
        result.insert(alert)
        return ItemResult(index, Outcome.CREATED, alert.id, key)

    def _severity(self, draft: AlertDraft) -> Severity:
        return draft.severity or self.policy.severity_for_type(draft.alert_type)

    def _new_alert(self, draft: AlertDraft, key: str, now: datetime) -> Alert:
        seen = draft.observed_at if draft.observed_at and draft.observed_at <= now else now
        return Alert(
            id=self._new_id(),
            tenant_id=draft.tenant_id,
            client_id=draft.client_id,
            site_id=draft.site_id,
            alert_type=draft.alert_type,
            severity=self._severity(draft),
            message=draft.message,
            dedup_key=key,
            first_seen=seen,
            last_seen=now,
            entity_type=draft.entity_type,
            entity_id=draft.entity_id,
            metadata=dict(draft.metadata),
            source=draft.source,
        )

    def forget_shed(self) -> None:
        """Start new SUPPRESSED rows for later repeats (e.g. after a window ends)."""
        self._suppressed_rows.clear()

    # --- transitions (single writer) ---------------------------------------

    def acknowledge(self, alert_id: str, user_id: str, now: datetime) -> Alert:
        alert = self.get(alert_id)
        alert.acknowledge(user_id, now)
        return alert

    def assign(self, alert_id: str, assignee: str, now: datetime, by: str | None = None) -> Alert:
        alert = self.get(alert_id)
        alert.assign(assignee, now, by)
        return alert

    def escalate(self, alert_id: str, target: str | None, now: datetime) -> Alert:
        alert = self.get(alert_id)
        alert.escalate(target, now)
        return alert

    def resolve(
        self, alert_id: str, user_id: str | None, now: datetime, notes: str | None = None
    ) -> Alert:
        alert = self.get(alert_id)
        alert.resolve(user_id, now, notes)
        self._unindex(alert)
        return alert

    def suppress(self, alert_id: str, reason: str) -> Alert:
        alert = self.get(alert_id)
        alert.suppress(reason)
        self._unindex(alert)
        return alert

    def resolve_keys(self, keys: Iterable[str], now: datetime, by: str | None) -> list[Alert]:
        """Resolve the open alerts with these dedup keys (integration 'resolved')."""
        done = []
        for key in keys:
            alert = self._open.get(key)
            if alert is not None:
                done.append(self.resolve(alert.id, by, now, "resolved by source"))
        return done

    def auto_resolve(self, requests: Iterable[AutoResolve], now: datetime) -> list[Alert]:
        """Resolve open alerts whose condition is gone (ticket closed, device
        online). Matches on (alert_type, entity_type, entity_id)."""
        wanted: dict[tuple[str, str | None, str | None], str] = {
            (r.alert_type, r.entity_type, r.entity_id): r.reason for r in requests
        }
        if not wanted:
            return []
        hits = [
            a for a in self._by_id.values() if (a.alert_type, a.entity_type, a.entity_id) in wanted
        ]
        return [
            self.resolve(a.id, None, now, wanted[(a.alert_type, a.entity_type, a.entity_id)])
            for a in hits
        ]
