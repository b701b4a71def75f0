"""The alert book of one client: its open alerts by dedup key, and the ingest
pipeline that turns drafts into new, folded or suppressed alerts.

Stages, in order, each a small function below (SPEC section 3, STYLE 3):
suppress (maintenance) -> fold (dedup) -> inhibit (an open source alert
mutes it, ``inhibit_state``) -> shed (backpressure, INFO only) -> create +
correlate. Admission (the bounded queue) happens before the book;
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
from typing import Final

from noc_actors.domain.alert import FLAP_FIRING, FLAP_RESOLVED, Alert
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
from noc_actors.domain.flapping import FlapTracker
from noc_actors.domain.inhibit_state import ClientInhibition
from noc_actors.domain.inhibition import Release, reason_for
from noc_actors.domain.maintenance import MaintenanceWindow, covering_window
from noc_actors.domain.policy import TenantPolicy


def new_uuid() -> str:
    return str(uuid.uuid4())


class Outcome(StrEnum):
    CREATED = "created"
    FOLDED = "folded"
    SUPPRESSED = "suppressed"


_NO_OUTCOMES: Final = dict.fromkeys(Outcome, 0)


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
    flapped: dict[str, Alert] = field(default_factory=dict)
    """Flapping alerts whose key opened again (their flap count rose)."""
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
        """New open alerts: the ones to arm timers for and to push (a new
        flapping alert is NEW too)."""
        return [a for a in self.inserted if a.status is AlertStatus.NEW]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome is outcome)

    def tally(self) -> dict[Outcome, int]:
        """Items per outcome, every outcome present (one pass: the report
        and the metrics of an operation both need all three)."""
        counts = _NO_OUTCOMES.copy()
        for item in self.items:
            counts[item.outcome] += 1
        return counts


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
        self.open_changes = 0
        """Bumped whenever an alert opens or closes here (or the book
        reloads): whoever shows ``open_by_severity`` re-reads it only then."""
        # Latest SUPPRESSED row per (dedup_key, reason): repeats fold into it.
        self._suppressed_rows: dict[tuple[str, str], Alert] = {}
        self.correlator = Correlator(policy.correlation_window, new_id)
        self.inhibition = ClientInhibition()
        self.new_sources: list[Alert] = []
        """Alerts created that are inhibition sources (the aggregate mutes
        the open targets they match, then clears this)."""
        self.releases: list[Release] = []
        """Targets of inhibition sources closed since the aggregate last
        looked (it re-points or brings them back, then clears this)."""
        self.flaps = FlapTracker()
        """Keys that resolved within the flap window, and the flapping ones."""
        self.flap_changed: list[Alert] = []
        """Flapping alerts their source said resolved (they stay open): the
        aggregate stores and pushes them, then clears this."""

    # --- state ------------------------------------------------------------

    def load(
        self,
        open_alerts: Iterable[Alert],
        recent: Iterable[Alert] = (),
        inhibited: Iterable[Alert] = (),
    ) -> None:
        """Rebuild after a (re)start from the database's open alerts, the
        alerts of the last correlation window and the SUPPRESSED rows held
        by inhibition sources still open."""
        self._open.clear()
        self._by_id.clear()
        self._counted.clear()
        self._per_severity = dict.fromkeys(Severity, 0)
        self.open_changes += 1
        self._suppressed_rows.clear()
        self.new_sources.clear()
        self.releases.clear()
        self.flaps = FlapTracker()
        self.flap_changed.clear()
        opened = list(open_alerts)
        for a in opened:
            self._index(a)
            if a.flapping:
                self.flaps.resume(a.dedup_key, a.flap_count, a.last_seen)
        self.correlator.seed([*opened, *recent])
        held = list(inhibited)
        self.inhibition.load(opened, held)
        for row in held:  # their repeats fold into them again
            if row.suppression_reason is not None:
                self._suppressed_rows[(row.dedup_key, row.suppression_reason)] = row

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
                self.open_changes += 1
            self._by_id[alert.id] = alert
            if alert.severity in COUNTED_SEVERITIES:
                self._counted[alert.id] = alert

    def _unindex(self, alert: Alert) -> None:
        if self._open.get(alert.dedup_key) is alert:
            del self._open[alert.dedup_key]
        gone = self._by_id.pop(alert.id, None)
        if gone is not None:
            self._per_severity[gone.severity] -= 1
            self.open_changes += 1
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
                or self._inhibit(index, draft, key, now, result)
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
        if alert.flapping == FLAP_RESOLVED:  # a flapping key opens again: one more cycle
            alert.flapping = FLAP_FIRING
            alert.flap_count = self.flaps.opened(key, now, self.policy.flaps).count
            alert.last_seen = max(alert.last_seen, now)
            result.flapped[alert.id] = alert
            return ItemResult(index, Outcome.FOLDED, alert.id, key, "flapping")
        alert.fold(now)
        result.touch(alert)
        return ItemResult(index, Outcome.FOLDED, alert.id, key)

    def _inhibit(
        self, index: int, draft: AlertDraft, key: str, now: datetime, result: IngestResult
    ) -> ItemResult | None:
        """Stored SUPPRESSED (``inhibited by <source>``) while an open source
        alert mutes it, and held for when the source closes."""
        inhibition = self.inhibition
        if not len(inhibition.index) or not inhibition.may_target(draft.alert_type):
            return None
        alert = self._new_alert(draft, key, now)
        source = inhibition.inhibitor(alert)
        if source is None:
            return None
        reason = reason_for(source)
        item = self._record_suppressed(index, draft, key, now, reason, result, alert)
        inhibition.hold(self._suppressed_rows[(key, reason)], source.id)
        return item

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
        made: Alert | None = None,
    ) -> ItemResult:
        """A new SUPPRESSED row (``made``: the alert already built for the
        draft), or a repeat folded into the one of its key and reason."""
        previous = self._suppressed_rows.get((key, reason))
        if previous is not None:
            previous.suppressed_count += 1
            previous.last_seen = max(previous.last_seen, now)
            result.touch(previous)
            return ItemResult(index, Outcome.SUPPRESSED, previous.id, key, reason)
        alert = made or self._new_alert(draft, key, now)
        alert.suppress(reason)
        self.correlator.assign(alert, now)
        self._suppressed_rows[(key, reason)] = alert
        result.insert(alert)
        return ItemResult(index, Outcome.SUPPRESSED, alert.id, key, reason)

    def _create(
        self, index: int, draft: AlertDraft, key: str, now: datetime, result: IngestResult
    ) -> ItemResult:
        alert = self._new_alert(draft, key, now)
        if key in self.flaps and self.policy.flap_enabled:  # it resolved lately: re-opens
            verdict = self.flaps.opened(key, now, self.policy.flaps)
            alert.flapping = FLAP_FIRING if verdict.flapping else None
            alert.flap_count = verdict.count
        self.correlator.assign(alert, now)
        self._index(alert)
        if self.inhibition.opened(alert):
            self.new_sources.append(alert)
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
        self._closed(alert)
        return alert

    def suppress(self, alert_id: str, reason: str) -> Alert:
        alert = self.get(alert_id)
        alert.suppress(reason)
        self._closed(alert)
        return alert

    def mute(self, alert_id: str, source: Alert) -> Alert:
        """An open alert that a new source inhibits: SUPPRESSED (``inhibited
        by <source>``), its repeats folding into it, held for the source."""
        reason = reason_for(source)
        alert = self.suppress(alert_id, reason)
        self._suppressed_rows[(alert.dedup_key, reason)] = alert
        self.inhibition.hold(alert, source.id)
        return alert

    def repoint(self, row: Alert, source: Alert) -> None:
        """A held row whose source closed while another still inhibits it."""
        self._suppressed_rows.pop((row.dedup_key, row.suppression_reason or ""), None)
        row.suppression_reason = reason_for(source)
        self._suppressed_rows[(row.dedup_key, row.suppression_reason)] = row

    def unhold(self, row: Alert) -> None:
        """A held row released (it comes back as a new alert): repeats no
        longer fold into it."""
        self._suppressed_rows.pop((row.dedup_key, row.suppression_reason or ""), None)

    def _closed(self, alert: Alert) -> None:
        self._unindex(alert)
        self.releases.extend(self.inhibition.closed(alert))
        if self.policy.flap_enabled and alert.status is AlertStatus.RESOLVED:
            key = alert.dedup_key
            if key not in self.flaps:  # its first open, known now that it may re-open
                self.flaps.opened(key, alert.first_seen, self.policy.flaps)
            self.flaps.closed(key, alert.resolved_at or alert.last_seen)

    def _resolved_by_source(
        self, alert: Alert, now: datetime, by: str | None, notes: str
    ) -> Alert | None:
        """The source says ``alert`` is resolved: resolve it, unless it flaps
        (then it stays open, down until its key opens again or it settles)."""
        if alert.flapping:
            if alert.flapping != FLAP_RESOLVED:
                alert.flapping = FLAP_RESOLVED
                self.flap_changed.append(alert)
            self.flaps.closed(alert.dedup_key, now)
            return None
        return self.resolve(alert.id, by, now, notes)

    def settle_flaps(self, now: datetime) -> tuple[list[Alert], list[Alert]]:
        """Flapping keys quiet for ``flap_quiet_minutes`` settle: their alert
        resolves when its source last said resolved, else it stays open and
        is an ordinary alert again (escalated as one). Returns (resolved,
        still firing). Forgets opens older than the flap window."""
        policy = self.policy.flaps
        self.flaps.forget_before(now - policy.window)
        resolved: list[Alert] = []
        firing: list[Alert] = []
        for key in self.flaps.settled(now, policy):
            alert = self._open.get(key)
            if alert is None or not alert.flapping:
                continue
            down, alert.flapping = alert.flapping == FLAP_RESOLVED, None
            if down:
                resolved.append(self.resolve(alert.id, None, now, "flapping settled: resolved"))
            else:
                firing.append(alert)
        return resolved, firing

    def resolve_keys(self, keys: Iterable[str], now: datetime, by: str | None) -> list[Alert]:
        """Resolve the open alerts with these dedup keys (integration
        'resolved'); a key held by inhibition stops firing (it will not come
        back when its source closes)."""
        done = []
        for key in keys:
            alert = self._open.get(key)
            if alert is None:
                self.inhibition.stopped_firing(key)
            elif resolved := self._resolved_by_source(alert, now, by, "resolved by source"):
                done.append(resolved)
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
        for row in self.inhibition.held_rows():
            if (row.alert_type, row.entity_type, row.entity_id) in wanted:
                self.inhibition.stopped_firing(row.dedup_key)
        done = (
            self._resolved_by_source(
                a, now, None, wanted[(a.alert_type, a.entity_type, a.entity_id)]
            )
            for a in hits
        )
        return [a for a in done if a is not None]
