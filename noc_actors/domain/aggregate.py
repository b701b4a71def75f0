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
from noc_actors.domain.draft import AlertDraft, RuleOutput, draft_of
from noc_actors.domain.enums import AuditAction, BackpressureLevel
from noc_actors.domain.errors import InvalidTransition
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
from noc_actors.domain.incident import Incident
from noc_actors.domain.incident_rule import ClientIncidents
from noc_actors.domain.live_state import HEARTBEAT, ClientLiveState
from noc_actors.domain.maintenance import MaintenanceWindow, client_under_full_maintenance
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, evaluate_clock, heartbeats
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
        self.incidents = ClientIncidents()
        self._new_id = new_id
        self._shelved: set[str] = set()
        """Ids of open alerts on a shelf (the clock looks for the ended ones)."""

    # --- (re)loading --------------------------------------------------------

    def load(
        self,
        open_alerts: Iterable[Alert],
        recent: Iterable[Alert] = (),
        live_state: dict[str, Any] | None = None,
        windows: Sequence[MaintenanceWindow] = (),
        incidents: Iterable[Incident] = (),
        inhibited: Iterable[Alert] = (),
    ) -> list[Deadline]:
        """Rebuild from the database; returns the pending deadlines to re-arm."""
        opened = list(open_alerts)
        self.book.load(opened, recent, inhibited)
        self.incidents.load(incidents)
        self._shelved = {a.id for a in opened if a.shelved_until is not None}
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
        incidents: Iterable[Incident] = (),
        inhibited: Iterable[Alert] = (),
    ) -> list[Deadline]:
        """``load`` with the client's configuration; returns the deadlines
        to re-arm. Call it on a fresh aggregate."""
        self.set_policy(context.policy)
        self.enabled = context.enabled
        self.escalation, self.contacts = context.escalation, context.contacts
        self.book.inhibition.set_rules(context.inhibit_rules)
        deadlines = self.load(
            open_alerts, recent, live_state, context.windows, incidents, inhibited
        )
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
        self._inhibition(changes, now)
        return changes

    def ingest_events(self, events: Sequence[AnyEvent], now: datetime) -> Changes:
        """Platform events: update live state, run the rules, ingest what they
        raise and resolve what they fixed."""
        out = apply_events(self.state, events, now, self.policy)
        changes = self._apply_rules(out, now)
        changes.state_changed = bool(events)
        return changes

    def check_heartbeats(self, now: datetime) -> Changes:
        """Only the heartbeat rule (the runtime wakes for it at
        ``next_heartbeat_due``, between clock ticks)."""

        def missed() -> set[str]:
            return {
                eid
                for (etype, eid), types in self.state.raised.items()
                if etype == HEARTBEAT and types
            }

        before = missed()
        changes = self._apply_rules(heartbeats.on_clock(self.state, now, self.policy), now)
        changes.state_changed = missed() != before
        return changes

    def next_heartbeat_due(self) -> datetime | None:
        return heartbeats.next_due(self.state)

    def tick(self, now: datetime) -> Changes:
        """Clock-driven rules: breaches that happen with no new event. Also
        forgets correlations older than the window (they can never match)."""
        self.book.correlator.forget_before(now - self.policy.correlation_window)
        before = self.state.to_dict()
        changes = self._apply_rules(evaluate_clock(self.state, now, self.policy), now)
        changes.state_changed = self.state.to_dict() != before
        self._settle_flaps(changes, now)
        self._expire_shelves(changes, now)
        return changes

    def _settle_flaps(self, changes: Changes, now: datetime) -> None:
        """Flapping keys quiet long enough: resolved (their source last said
        so) or an ordinary alert again, armed for escalation from now on."""
        resolved, firing = self.book.settle_flaps(now)
        for alert in resolved:
            notes: dict[str, Any] = {"notes": alert.resolution_notes}
            changes.record(alert, "resolved", SYSTEM_ACTOR, AuditAction.RESOLVE, now, notes)
        for alert in firing:
            count: dict[str, Any] = {"flap_count": alert.flap_count}
            changes.record(alert, "settled", SYSTEM_ACTOR, AuditAction.FLAP_SETTLED, now, count)
            changes.arm.extend(self._deadlines([alert]))
        if resolved:
            self._inhibition(changes, now)

    def _apply_rules(self, out: RuleOutput, now: datetime) -> Changes:
        changes = Changes()
        changes.ingest = self.book.ingest(out.drafts, now, self.windows, self.backlog)
        for alert in self.book.auto_resolve(out.resolves, now):
            changes.record(alert, "resolved", SYSTEM_ACTOR, AuditAction.RESOLVE, now)
        self._after_ingest(changes, now)
        self._flaps_resolved(changes)
        self._inhibition(changes, now)
        return changes

    def _flaps_resolved(self, changes: Changes) -> None:
        """Flapping alerts their source said resolved: they stay open (the
        flap goes on), stored and pushed with their new state."""
        changed, self.book.flap_changed = self.book.flap_changed, []
        for alert in changed:
            changes.updated[alert.id] = alert
            changes.events.append(alert_event("alert_updated", alert, "flapping"))

    def _after_ingest(self, changes: Changes, now: datetime) -> None:
        """Push what was created and folded; arm each new alert's deadline —
        or, for one already overdue when it arrives (a backlog replayed,
        Prometheus resending after a restart), escalate it now, in the same
        write, instead of a round trip through the timer; its ``alert_new``
        then shows it escalated (one push, not two). Then the incident rule
        (``incident_rule``): CRITICAL alerts created may open an incident or
        join the rule's open one, in the same write."""
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
        for alert in changes.ingest.flapped.values():  # one more cycle: the count moved
            changes.updated[alert.id] = alert
            changes.events.append(alert_event("alert_updated", alert, "flapping"))
        incident = self.incidents.after_ingest(
            created, self.book.open_alerts, now, self.policy, self._new_id
        )
        if incident is not None:  # after the alerts' own events: they exist first
            changes.record_incident(incident, now)

    def _inhibition(self, changes: Changes, now: datetime) -> None:
        """After an operation: the open targets of source alerts it created
        are muted (SUPPRESSED ``inhibited by <source>``, their escalation
        cancelled); the targets held by sources it closed are re-pointed to
        another open source, or come back as new NEW alerts (armed and
        pushed as any new alert) — in the same changes."""
        book = self.book
        sources, book.new_sources = book.new_sources, []
        if sources:
            new = {s.id for s in sources}
            for alert in book.open_alerts():
                if alert.id in new or not book.inhibition.may_target(alert.alert_type):
                    continue
                source = book.inhibition.inhibitor(alert)
                if source is None or source.id not in new:
                    continue
                book.mute(alert.id, source)
                meta = {"reason": alert.suppression_reason}
                changes.record(alert, "suppressed", SYSTEM_ACTOR, AuditAction.SUPPRESS, now, meta)
        while book.releases:  # an alert brought back may close nothing: one pass or two
            releases, book.releases = book.releases, []
            back: list[AlertDraft] = []
            for release in releases:
                row = release.alert
                if release.inhibitor is not None:
                    book.repoint(row, release.inhibitor)
                    changes.updated[row.id] = row
                else:
                    book.unhold(row)
                    back.append(draft_of(row))
            if back:
                returned = Changes()
                returned.ingest = book.ingest(back, now, self.windows, self.backlog)
                self._after_ingest(returned, now)
                returned.ingest.items.clear()  # not items of the caller's batch
                changes.merge(returned)

    def incident_changed(self, incident: Incident) -> None:
        """An operator created or changed one of the client's incidents."""
        self.incidents.changed(incident)

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
        self._inhibition(changes, now)
        return changes

    def shelve(
        self,
        alert_ids: Sequence[str],
        user_id: str,
        now: datetime,
        until: datetime,
        **ctx: Any,
    ) -> Changes:
        """Shelve alerts until ``until``: off the default board, their
        escalation held until then (re-armed at the shelf's end when they
        still await acknowledgement then)."""
        changes = Changes()
        for aid in alert_ids:
            alert = self.book.get(aid)
            alert.shelve(user_id, until, now)
            self._shelved.add(alert.id)
            meta = {"until": until.isoformat()}
            changes.record(alert, "shelved", user_id, AuditAction.SHELVE, now, meta, **ctx)
            changes.cancel.append(alert.id)
            changes.arm.extend(self._deadlines([alert]))
        return changes

    def unshelve(
        self, alert_ids: Sequence[str], user_id: str, now: datetime, **ctx: Any
    ) -> Changes:
        """Take alerts off the shelf now (their escalation resumes)."""
        changes = Changes()
        for aid in alert_ids:
            alert = self.book.get(aid)
            if alert.shelved_until is None:
                raise InvalidTransition(aid, alert.status, "unshelve (it is not shelved)")
            self._off_shelf(changes, alert, user_id, now, **ctx)
        return changes

    def _off_shelf(
        self, changes: Changes, alert: Alert, actor: str, now: datetime, **ctx: Any
    ) -> None:
        alert.unshelve()
        self._shelved.discard(alert.id)
        changes.record(alert, "unshelved", actor, AuditAction.UNSHELVE, now, **ctx)
        changes.cancel.append(alert.id)
        changes.arm.extend(self._deadlines([alert]))

    def _expire_shelves(self, changes: Changes, now: datetime) -> None:
        """Shelves that ended: back on the board (pushed), escalation as due."""
        for aid in list(self._shelved):
            alert = self.book.open_for_id(aid)
            if alert is None or alert.shelved_until is None:
                self._shelved.discard(aid)
            elif alert.shelved_until <= now:
                self._off_shelf(changes, alert, SYSTEM_ACTOR, now)

    def resolve_keys(self, keys: Sequence[str], by: str | None, now: datetime) -> Changes:
        """A source said these dedup keys are resolved: their open alerts
        resolve; a key muted by inhibition stops firing (it will not come
        back when its source closes)."""
        found = self.book.resolve_keys(dict.fromkeys(keys), now, by)
        changes = Changes()
        for alert in found:
            changes.record(
                alert,
                "resolved",
                by or SYSTEM_ACTOR,
                AuditAction.RESOLVE,
                now,
                {"notes": "resolved by source"},
            )
        self._flaps_resolved(changes)
        self._inhibition(changes, now)
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
        if alert is None or not alert.awaiting_ack or alert.shelved(now):
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
        if alert.shelved_until is not None:  # escalated: back on the board
            alert.unshelve()
            self._shelved.discard(alert.id)
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
        self._inhibition(changes, now)
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
