"""Ticket rules (SPEC section 4).

- SLA_BREACH: an open ticket (NEW/OPEN/ONHOLD) whose age ``now - created_at``
  is strictly longer than the tenant's SLA for its priority; CRITICAL for
  P1/HIGH, else HIGH. Evaluated on every event and on the clock.
- TICKET_ESCALATED (MEDIUM): the escalation level of an open ticket rose above
  the level last seen (a ticket first seen at level > 0 counts as a rise from 0).
- A ticket becoming RESOLVED/CLOSED/CANCELLED auto-resolves both and is marked
  closed; the state forgets it after the retention period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from noc_actors.domain.draft import AlertDraft, RuleOutput
from noc_actors.domain.enums import AlertType, Severity
from noc_actors.domain.events import TICKET_CRITICAL_PRIORITIES, TicketEvent
from noc_actors.domain.live_state import TICKET, ClientLiveState
from noc_actors.domain.policy import TenantPolicy


def sla_deadline(ticket: TicketEvent, policy: TenantPolicy) -> datetime | None:
    """When the ticket's resolution SLA runs out (None: no SLA for its priority)."""
    sla = policy.sla_for(ticket.priority)
    return None if sla is None else ticket.created_at + sla


def sla_breached(ticket: TicketEvent, now: datetime, policy: TenantPolicy) -> bool:
    """Open and older than its SLA; exactly at the deadline is not a breach."""
    deadline = sla_deadline(ticket, policy)
    return ticket.is_open and deadline is not None and now > deadline


def breach_severity(ticket: TicketEvent) -> Severity:
    return Severity.CRITICAL if ticket.priority in TICKET_CRITICAL_PRIORITIES else Severity.HIGH


def on_event(
    state: ClientLiveState, event: TicketEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    """Store the ticket's new picture and apply the ticket rules to it."""
    state.require_client(event.client_id)
    prev = state.tickets.get(event.id)
    state.tickets[event.id] = event
    out = RuleOutput()
    if event.is_open:
        state.mark_reopened(TICKET, event.id)
        prev_level = prev.escalation_level if prev is not None else 0
        if event.escalation_level > prev_level:
            out.drafts.append(_escalated_draft(state, event, prev_level, now))
            state.mark_raised(TICKET, event.id, AlertType.TICKET_ESCALATED)
    else:
        state.mark_closed(TICKET, event.id, now)
        # First seen already closed: alerts may predate a lost state.
        assume = prev is None
        reason = f"ticket {event.status}"
        out.extend(state.release(TICKET, event.id, AlertType.SLA_BREACH, reason, assume))
        out.extend(state.release(TICKET, event.id, AlertType.TICKET_ESCALATED, reason, assume))
        return out
    out.extend(_check_sla(state, event, now, policy))
    return out


def on_clock(state: ClientLiveState, now: datetime, policy: TenantPolicy) -> RuleOutput:
    """Breach open tickets whose SLA ran out since the last look."""
    out = RuleOutput()
    for ticket in list(state.tickets.values()):
        if ticket.is_open:
            out.extend(_check_sla(state, ticket, now, policy))
    return out


def _check_sla(
    state: ClientLiveState, ticket: TicketEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    return state.settle(
        TICKET,
        ticket.id,
        AlertType.SLA_BREACH,
        holds=sla_breached(ticket, now, policy),
        make_draft=lambda: _breach_draft(state, ticket, now, policy),
        reason="ticket back within its SLA",
    )


def _metadata(ticket: TicketEvent) -> dict[str, object]:
    meta: dict[str, object] = {
        "priority": str(ticket.priority),
        "status": str(ticket.status),
        "created_at": ticket.created_at.isoformat(),
        "escalation_level": ticket.escalation_level,
    }
    if ticket.assignee is not None:
        meta["assignee"] = ticket.assignee
    if ticket.title is not None:
        meta["title"] = ticket.title
    return meta


def _breach_draft(
    state: ClientLiveState, ticket: TicketEvent, now: datetime, policy: TenantPolicy
) -> AlertDraft:
    sla = policy.sla_for(ticket.priority) or timedelta(0)  # breached: never None
    sla_hours = sla.total_seconds() / 3600
    age_hours = (now - ticket.created_at).total_seconds() / 3600
    meta = _metadata(ticket)
    meta.update(sla_hours=sla_hours, sla_deadline=(ticket.created_at + sla).isoformat())
    return state.draft(
        AlertType.SLA_BREACH,
        f"Ticket {ticket.id} ({ticket.priority}) open {age_hours:.1f} h, "
        f"past its {sla_hours:g} h resolution SLA",
        entity_type=TICKET,
        entity_id=ticket.id,
        site_id=ticket.site_id,
        now=now,
        severity=breach_severity(ticket),
        metadata=meta,
    )


def _escalated_draft(
    state: ClientLiveState, ticket: TicketEvent, prev_level: int, now: datetime
) -> AlertDraft:
    meta = _metadata(ticket)
    meta["previous_escalation_level"] = prev_level
    return state.draft(
        AlertType.TICKET_ESCALATED,
        f"Ticket {ticket.id} ({ticket.priority}) escalated to level {ticket.escalation_level}",
        entity_type=TICKET,
        entity_id=ticket.id,
        site_id=ticket.site_id,
        now=now,
        severity=Severity.MEDIUM,
        metadata=meta,
    )
