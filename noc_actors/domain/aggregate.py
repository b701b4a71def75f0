"""The pure core of one client aggregator: its alert book, its live entity
state, its maintenance windows and escalation contacts, glued to the rules.

Every operation returns a ``Changes`` value describing what to persist (one
batched write), which deadlines to arm or cancel, and which events to publish
(``noc_actors.domain.changes``); an empty ``Changes`` means "nothing to do"
(a stale deadline, a snapshot of a disabled client).
The host (``noc_actors.runtime.ClientRuntime``) does the I/O; nothing here
reads a clock or touches a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.audit import SYSTEM_ACTOR
from noc_actors.domain.backpressure import (
    SUPPRESSION_REASON,
    TenantBacklog,
    sweep_candidates,
)
from noc_actors.domain.book import AlertBook, new_uuid
from noc_actors.domain.changes import Changes
from noc_actors.domain.context import ClientContext
from noc_actors.domain.draft import AlertDraft, RuleOutput
from noc_actors.domain.enums import AuditAction, BackpressureLevel
from noc_actors.domain.escalation import (
    Deadline,
    EscalationContacts,
    EscalationPolicy,
    EscalationTarget,
    fencing_ok,
    pending_deadline,
)
from noc_actors.domain.events import AnyEvent
from noc_actors.domain.hub_events import alert_event, metrics_event
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.maintenance import MaintenanceWindow, client_under_full_maintenance
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, evaluate_clock
from noc_actors.domain.snapshot import MetricSnapshot, compute_snapshot


class ClientAggregate:
    """Everything one client aggregator knows, and the operations on it."""

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
        self.book = AlertBook(tenant_id, client_id, policy, new_id)
        self.state = ClientLiveState(tenant_id=tenant_id, client_id=client_id)
        self.windows: list[MaintenanceWindow] = []
        self.escalation = EscalationPolicy.default()
        self.contacts = EscalationContacts()
        self._chains_for: tuple[EscalationPolicy | None, EscalationContacts | None] = (None, None)
        self._chains: dict[str | None, list[EscalationTarget]] = {}
        self.backlog = TenantBacklog()
        self.enabled = True

    # --- (re)loading --------------------------------------------------------

    def load(
        self,
        open_alerts: Iterable[Alert],
        recent: Iterable[Alert] = (),
        live_state: dict[str, Any] | None = None,
        windows: Sequence[MaintenanceWindow] = (),
    ) -> list[Deadline]:
        """Rebuild from the database; returns the pending deadlines to re-arm."""
        self.book.load(open_alerts, recent)
        if live_state:
            self.state = ClientLiveState.from_dict(live_state)
        self.windows = list(windows)
        return self._deadlines(self.book.open_alerts())

    def restore(
        self,
        context: ClientContext,
        open_alerts: Iterable[Alert],
        recent: Iterable[Alert] = (),
        live_state: dict[str, Any] | None = None,
    ) -> list[Deadline]:
        """``load`` with the client's configuration; returns the deadlines
        to re-arm. Call it on a fresh aggregate."""
        self.set_policy(context.policy)
        self.enabled = context.enabled
        self.escalation, self.contacts = context.escalation, context.contacts
        deadlines = self.load(open_alerts, recent, live_state, context.windows)
        for site_id, fence in context.geofences.items():
            self.state.set_geofence(site_id, *fence)
        return deadlines

    def new_info_low(self) -> int:
        """This client's NEW INFO/LOW alerts (what backpressure counts)."""
        return self.book.new_info_low()

    def shedding(self) -> bool:
        """Would a new INFO alert be stored SUPPRESSED right now?"""
        return self.backlog.sheds(self.new_info_low(), self.policy.backpressure_threshold)

    def set_policy(self, policy: TenantPolicy) -> None:
        self.policy = policy
        self.book.set_policy(policy)

    def chain_length(self, alert: Alert) -> int:
        return len(self._chain(alert))

    def _chain(self, alert: Alert) -> list[EscalationTarget]:
        """The escalation chain of an alert's site, resolved once per site
        while the chain and the contacts stay the same objects (a reload
        replaces them), not once per alert."""
        made_for = self._chains_for
        if made_for[0] is not self.escalation or made_for[1] is not self.contacts:
            self._chains_for, self._chains = (self.escalation, self.contacts), {}
        chain = self._chains.get(alert.site_id)
        if chain is None:
            chain = self._chains[alert.site_id] = self.escalation.resolve_chain(
                self.contacts, self.client_id, alert.site_id
            )
        return chain

    def _deadlines(self, alerts: Iterable[Alert]) -> list[Deadline]:
        out = []
        for a in alerts:
            d = pending_deadline(a, self.policy, self.chain_length(a))
            if d is not None:
                out.append(d)
        return out

    # --- ingest ---------------------------------------------------------------

    def ingest_alerts(self, drafts: Sequence[AlertDraft], now: datetime) -> Changes:
        changes = Changes()
        changes.ingest = self.book.ingest(drafts, now, self.windows, self.backlog)
        self._after_ingest(changes, now)
        return changes

    def ingest_events(self, events: Sequence[AnyEvent], now: datetime) -> Changes:
        """Platform events: update live state, run the rules, ingest what they
        raise and resolve what they fixed."""
        out = apply_events(self.state, events, now, self.policy)
        changes = self._apply_rules(out, now)
        changes.state_changed = bool(events)
        return changes

    def tick(self, now: datetime) -> Changes:
        """Clock-driven rules: breaches that happen with no new event. Also
        forgets correlations older than the window (they can never match)."""
        self.book.correlator.forget_before(now - self.policy.correlation_window)
        before = self.state.to_dict()
        changes = self._apply_rules(evaluate_clock(self.state, now, self.policy), now)
        changes.state_changed = self.state.to_dict() != before
        return changes

    def _apply_rules(self, out: RuleOutput, now: datetime) -> Changes:
        changes = Changes()
        changes.ingest = self.book.ingest(out.drafts, now, self.windows, self.backlog)
        for alert in self.book.auto_resolve(out.resolves, now):
            changes.record(alert, "resolved", SYSTEM_ACTOR, AuditAction.RESOLVE, now)
        self._after_ingest(changes, now)
        return changes

    def _after_ingest(self, changes: Changes, now: datetime) -> None:
        """Push what was created and folded; arm each new alert's deadline —
        or, for one already overdue when it arrives (a backlog replayed,
        Prometheus resending after a restart), escalate it now, in the same
        write, instead of a round trip through the timer; its ``alert_new``
        then shows it escalated (one push, not two)."""
        created = changes.ingest.created
        for deadline in self._deadlines(created):
            if deadline.due_at <= now:
                self._escalate_one(changes, deadline.alert_id, SYSTEM_ACTOR, now, push=False)
            else:
                changes.arm.append(deadline)
        changes.events.extend(alert_event("alert_new", a) for a in created)
        changes.events.extend(
            alert_event("alert_updated", a, "repeated")
            for a in changes.ingest.folded.values()
            if a.is_open
        )

    # --- transitions (single writer) -------------------------------------------

    def acknowledge(
        self, alert_ids: Sequence[str], user_id: str, now: datetime, **ctx: Any
    ) -> Changes:
        changes = Changes()
        for aid in alert_ids:
            alert = self.book.acknowledge(aid, user_id, now)
            changes.record(alert, "acknowledged", user_id, AuditAction.ACKNOWLEDGE, now, **ctx)
        return changes

    def assign(
        self, alert_ids: Sequence[str], assignee: str, user_id: str, now: datetime, **ctx: Any
    ) -> Changes:
        changes = Changes()
        for aid in alert_ids:
            alert = self.book.assign(aid, assignee, now, by=user_id)
            changes.record(
                alert,
                "assigned",
                user_id,
                AuditAction.ASSIGN,
                now,
                {"assignee": assignee},
                **ctx,
            )
        return changes

    def resolve(
        self,
        alert_ids: Sequence[str],
        user_id: str | None,
        now: datetime,
        notes: str | None = None,
        **ctx: Any,
    ) -> Changes:
        changes = Changes()
        for aid in alert_ids:
            alert = self.book.resolve(aid, user_id, now, notes)
            changes.record(
                alert,
                "resolved",
                user_id or SYSTEM_ACTOR,
                AuditAction.RESOLVE,
                now,
                {"notes": notes} if notes else None,
                **ctx,
            )
        return changes

    def escalate(
        self, alert_ids: Sequence[str], user_id: str, now: datetime, **ctx: Any
    ) -> Changes:
        """Manual escalation by an operator: one level up, next target."""
        changes = Changes()
        for aid in alert_ids:
            self._escalate_one(changes, aid, user_id, now, **ctx)
        return changes

    def escalate_due(self, deadline: Deadline, now: datetime) -> Changes:
        """The timer says ``deadline`` is due. Empty when it is stale (the
        alert is closed, acknowledged or already past that level); otherwise
        the caller must claim ``deadline.level`` in the database (the fencing
        token) in the transaction that stores these changes."""
        changes = Changes()
        alert = self.book.open_for_id(deadline.alert_id)
        if alert is None or not alert.awaiting_ack:
            return changes
        if not fencing_ok(alert.escalation_level, deadline):
            return changes
        self._escalate_one(changes, alert.id, SYSTEM_ACTOR, now)
        changes.claims.append(deadline)
        return changes

    def escalate_all_due(self, deadlines: Iterable[Deadline], now: datetime) -> Changes:
        """``escalate_due`` for many deadlines at once (a timer tick's share of
        this client); the stale ones add nothing."""
        changes = Changes()
        for deadline in deadlines:
            changes.merge(self.escalate_due(deadline, now))
        return changes

    def _escalate_one(
        self,
        changes: Changes,
        alert_id: str,
        actor: str,
        now: datetime,
        push: bool = True,
        **ctx: Any,
    ) -> None:
        alert = self.book.get(alert_id)
        level = alert.escalation_level + 1
        chain = self._chain(alert)
        target = chain[level - 1] if 1 <= level <= len(chain) else None
        label = target.label_at(now) if target is not None else "tenant_admins"
        self.book.escalate(alert_id, label, now)
        changes.record(
            alert,
            "escalated",
            actor,
            AuditAction.ESCALATE,
            now,
            {"level": level, "target": label},
            push=push,
            **ctx,
        )
        changes.arm.extend(self._deadlines([alert]))

    # --- backpressure and maintenance -------------------------------------------

    def sweep_due(self, now: datetime, level: BackpressureLevel, limit: int) -> Changes:
        """The backpressure sweep: at most ``limit`` of this client's NEW INFO
        alerts older than the sweep age, oldest first, to SUPPRESSED."""
        picked = sweep_candidates(self.book.open_alerts(), now, self.policy, level)
        return self.sweep([a.id for a in picked[:limit]], now)

    def sweep(self, candidates: Iterable[str], now: datetime) -> Changes:
        """Move the given NEW INFO alerts to SUPPRESSED (backpressure sweep)."""
        changes = Changes()
        for aid in candidates:
            alert = self.book.open_for_id(aid)
            if alert is None:
                continue
            self.book.suppress(aid, SUPPRESSION_REASON)
            changes.record(
                alert,
                "suppressed",
                SYSTEM_ACTOR,
                AuditAction.SUPPRESS,
                now,
                {"reason": SUPPRESSION_REASON},
            )
        return changes

    def set_windows(self, windows: Sequence[MaintenanceWindow]) -> None:
        self.windows = list(windows)
        self.book.forget_shed()

    def under_full_maintenance(self, now: datetime) -> bool:
        return client_under_full_maintenance(self.windows, self.tenant_id, self.client_id, now)

    # --- metrics -----------------------------------------------------------------

    def snapshot(
        self, window_start: datetime, window_end: datetime, now: datetime
    ) -> MetricSnapshot:
        return compute_snapshot(
            self.state, self.book.open_alerts(), window_start, window_end, now, self.policy
        )

    def take_snapshot(self, now: datetime, interval: timedelta) -> Changes:
        """The snapshot of the interval ending ``now``, to store and publish;
        empty while the client is disabled or under full maintenance."""
        changes = Changes()
        if not self.enabled or self.under_full_maintenance(now):
            return changes
        changes.snapshot = self.snapshot(now - interval, now, now)
        changes.events.append(metrics_event(changes.snapshot))
        return changes
