"""Rules that turn platform events into alerts (SPEC section 4).

Each rule module exposes ``on_event(state, event, now, policy)`` and
``on_clock(state, now, policy)``, both returning a ``RuleOutput`` (drafts to
raise, auto-resolves to apply) and updating the ``ClientLiveState``. This
module wires them: ``apply_events`` for a batch, ``evaluate_clock`` for a tick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from noc_actors.domain.draft import RuleOutput
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import (
    AnyEvent,
    AttendanceEvent,
    DeviceEvent,
    HeartbeatEvent,
    TicketEvent,
    WorkOrderEvent,
)
from noc_actors.domain.live_state import RETENTION, ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import attendance, devices, heartbeats, tickets, work_orders

__all__ = ["apply_events", "evaluate_clock"]

_ON_EVENT: dict[type, Callable[..., RuleOutput]] = {
    TicketEvent: tickets.on_event,
    WorkOrderEvent: work_orders.on_event,
    DeviceEvent: devices.on_event,
    AttendanceEvent: attendance.on_event,
    HeartbeatEvent: heartbeats.on_event,
}
_ON_CLOCK = (
    tickets.on_clock,
    work_orders.on_clock,
    devices.on_clock,
    attendance.on_clock,
    heartbeats.on_clock,
)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def apply_events(
    state: ClientLiveState, events: Sequence[AnyEvent], now: datetime, policy: TenantPolicy
) -> RuleOutput:
    """Apply a batch in order. The whole batch is checked first: an event of
    another client (or of an unknown kind) raises ``InvalidInput`` naming the
    item, and the state is left untouched."""
    _require_aware(now)
    for index, event in enumerate(events):
        if type(event) not in _ON_EVENT:
            raise InvalidInput("kind", f"not a platform event: {type(event).__name__}", index)
        state.require_client(event.client_id, index)
    out = RuleOutput()
    for event in events:
        handler: Callable[[ClientLiveState, Any, datetime, TenantPolicy], RuleOutput]
        handler = _ON_EVENT[type(event)]
        out.extend(handler(state, event, now, policy))
    return out


def evaluate_clock(state: ClientLiveState, now: datetime, policy: TenantPolicy) -> RuleOutput:
    """A clock tick: raise what time alone has caused (SLA breaches, overdue
    work orders, silent devices, missing punch-ins), then drop entities closed
    or ended longer than the retention period ago."""
    _require_aware(now)
    out = RuleOutput()
    for on_clock in _ON_CLOCK:
        out.extend(on_clock(state, now, policy))
    state.prune(now, RETENTION)
    return out
