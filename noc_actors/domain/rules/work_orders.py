"""Work order rules (SPEC section 4).

- WORK_ORDER_OVERDUE (MEDIUM): ``now > expires_at`` while the status is not
  COMPLETED/CANCELLED/CLOSED. Evaluated on every event and on the clock.
- Completion, cancellation or closing auto-resolves it (so does a new
  ``expires_at`` that lies in the future again); a finished work order is
  kept for the retention period so snapshots see the status mix.
"""

from __future__ import annotations

from datetime import datetime

from noc_actors.domain.draft import AlertDraft, RuleOutput
from noc_actors.domain.enums import AlertType, Severity
from noc_actors.domain.events import WorkOrderEvent
from noc_actors.domain.live_state import WORK_ORDER, ClientLiveState
from noc_actors.domain.policy import TenantPolicy


def is_overdue(order: WorkOrderEvent, now: datetime) -> bool:
    """Past its expiry and not finished; exactly at ``expires_at`` is not overdue."""
    return not order.is_done and now > order.expires_at


def on_event(
    state: ClientLiveState, event: WorkOrderEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    """Store the work order's new picture and apply the overdue rule to it."""
    state.require_client(event.client_id)
    prev = state.work_orders.get(event.id)
    state.work_orders[event.id] = event
    if event.is_done:
        state.mark_closed(WORK_ORDER, event.id, now)
        return state.release(
            WORK_ORDER,
            event.id,
            AlertType.WORK_ORDER_OVERDUE,
            f"work order {event.status}",
            assume_raised=prev is None,  # first seen finished: state may have been lost
        )
    state.mark_reopened(WORK_ORDER, event.id)
    return _check(state, event, now)


def on_clock(state: ClientLiveState, now: datetime, policy: TenantPolicy) -> RuleOutput:
    """Raise for open work orders that expired since the last look."""
    out = RuleOutput()
    for order in list(state.work_orders.values()):
        if not order.is_done:
            out.extend(_check(state, order, now))
    return out


def _check(state: ClientLiveState, order: WorkOrderEvent, now: datetime) -> RuleOutput:
    return state.settle(
        WORK_ORDER,
        order.id,
        AlertType.WORK_ORDER_OVERDUE,
        holds=is_overdue(order, now),
        make_draft=lambda: _overdue_draft(state, order, now),
        reason="work order no longer past its expiry",
    )


def _overdue_draft(state: ClientLiveState, order: WorkOrderEvent, now: datetime) -> AlertDraft:
    overdue_min = (now - order.expires_at).total_seconds() / 60
    meta: dict[str, object] = {
        "status": str(order.status),
        "planned_at": order.planned_at.isoformat(),
        "expires_at": order.expires_at.isoformat(),
        "overdue_minutes": round(overdue_min, 1),
    }
    if order.title is not None:
        meta["title"] = order.title
    return state.draft(
        AlertType.WORK_ORDER_OVERDUE,
        f"Work order {order.id} ({order.status}) is {overdue_min:.0f} min past its expiry",
        entity_type=WORK_ORDER,
        entity_id=order.id,
        site_id=order.site_id,
        now=now,
        severity=Severity.MEDIUM,
        metadata=meta,
    )
