"""Metric snapshots (SPEC section 8): the numbers of one client at one moment,
computed from its live state and its open alerts — never placeholders.

Definitions (``now`` is the computation time, normally ``window_end``):

- tickets_open: tickets in NEW/OPEN/ONHOLD. tickets_overdue: open tickets past
  their SLA (the SLA_BREACH rule). tickets_by_priority: open tickets per
  priority, every priority key present.
- work_orders_pending: work orders not COMPLETED/CANCELLED/CLOSED.
  work_orders_overdue: pending and ``now > expires_at``.
  work_orders_by_status: every work order the live state holds (finished ones
  stay for the retention period, 24 h) per status, every status key present.
- attendance_expected: shifts that have started and had not ended before the
  window opened (``shift_start <= now`` and ``shift_end >= window_start``).
  Of those: present = punched in; late = punched in after
  ``shift_start + grace``; missing = no punch-in and ``now > shift_start +
  grace``. Expected shifts still inside their grace period without a punch-in
  are neither present nor missing.
- devices_total: devices known; devices_offline: reported OFFLINE or silent
  longer than the tenant threshold (the DEVICE_OFFLINE rule).
- alerts_open_by_severity: open alerts (NEW/ACKNOWLEDGED/ASSIGNED/ESCALATED)
  of this tenant and client, all five severities present.
- security_anomalies: open SECURITY_ANOMALY, DEVICE_SPOOF and GEOFENCE_BREACH
  alerts of this tenant and client.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertType, Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import TicketPriority, WorkOrderStatus
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules.attendance import is_late, is_missing
from noc_actors.domain.rules.devices import is_offline
from noc_actors.domain.rules.tickets import sla_breached
from noc_actors.domain.rules.work_orders import is_overdue

SECURITY_TYPES: frozenset[str] = frozenset(
    str(t) for t in (AlertType.SECURITY_ANOMALY, AlertType.DEVICE_SPOOF, AlertType.GEOFENCE_BREACH)
)


@dataclass(frozen=True, slots=True)
class MetricSnapshot:
    """The metrics of one client over one window (see the module docstring)."""

    tenant_id: str
    client_id: str
    window_start: datetime
    window_end: datetime
    computed_at: datetime
    tickets_open: int = 0
    tickets_overdue: int = 0
    tickets_by_priority: dict[str, int] = field(default_factory=dict)
    work_orders_pending: int = 0
    work_orders_overdue: int = 0
    work_orders_by_status: dict[str, int] = field(default_factory=dict)
    attendance_expected: int = 0
    attendance_present: int = 0
    attendance_missing: int = 0
    attendance_late: int = 0
    devices_total: int = 0
    devices_offline: int = 0
    alerts_open_by_severity: dict[str, int] = field(default_factory=dict)
    security_anomalies: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 strings."""
        d = asdict(self)
        for key in ("window_start", "window_end", "computed_at"):
            d[key] = d[key].isoformat()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricSnapshot:
        d = dict(data)
        for key in ("window_start", "window_end", "computed_at"):
            if isinstance(d[key], str):
                d[key] = datetime.fromisoformat(d[key])
        return cls(**d)


def compute_snapshot(
    state: ClientLiveState,
    open_alerts: Iterable[Alert],
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    policy: TenantPolicy,
) -> MetricSnapshot:
    """Compute the snapshot of ``state``'s client for [window_start, window_end].

    ``open_alerts`` may hold any alerts: only open ones of this tenant and
    client are counted."""
    if window_end < window_start:
        raise InvalidInput("window_end", "window_end must not be before window_start")

    open_tickets = [t for t in state.tickets.values() if t.is_open]
    by_priority = {str(p): 0 for p in TicketPriority}
    for t in open_tickets:
        by_priority[str(t.priority)] += 1

    by_status = {str(s): 0 for s in WorkOrderStatus}
    for w in state.work_orders.values():
        by_status[str(w.status)] += 1
    pending = [w for w in state.work_orders.values() if not w.is_done]

    expected = [
        s for s in state.shifts.values() if s.shift_start <= now and s.shift_end >= window_start
    ]

    by_severity = {str(s): 0 for s in Severity}
    security = 0
    for a in open_alerts:
        if not a.is_open or a.tenant_id != state.tenant_id or a.client_id != state.client_id:
            continue
        by_severity[str(a.severity)] += 1
        if a.alert_type in SECURITY_TYPES:
            security += 1

    return MetricSnapshot(
        tenant_id=state.tenant_id,
        client_id=state.client_id,
        window_start=window_start,
        window_end=window_end,
        computed_at=now,
        tickets_open=len(open_tickets),
        tickets_overdue=sum(1 for t in open_tickets if sla_breached(t, now, policy)),
        tickets_by_priority=by_priority,
        work_orders_pending=len(pending),
        work_orders_overdue=sum(1 for w in pending if is_overdue(w, now)),
        work_orders_by_status=by_status,
        attendance_expected=len(expected),
        attendance_present=sum(1 for s in expected if s.punch_in is not None),
        attendance_missing=sum(1 for s in expected if is_missing(s, now, policy)),
        attendance_late=sum(1 for s in expected if is_late(s, policy)),
        devices_total=len(state.devices),
        devices_offline=sum(1 for d in state.devices.values() if is_offline(d, now, policy)),
        alerts_open_by_severity=by_severity,
        security_anomalies=security,
    )
