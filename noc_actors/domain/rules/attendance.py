"""Attendance rules (SPEC section 4). One event is one expected shift.

- ATTENDANCE_MISSING (LOW): nobody punched in by ``shift_start +
  policy.attendance_grace`` (``now`` strictly later, no ``punch_in``).
  Evaluated on every event and on the clock; a later punch-in resolves it.
- ATTENDANCE_ANOMALY (MEDIUM): a punch-in whose ``gps_accuracy_m`` is worse
  (larger) than ``policy.gps_accuracy_max_m``.
- GEOFENCE_BREACH (MEDIUM): a punch-in whose lat/lon lies farther (haversine)
  than the radius from the centre of the site's geofence. Sites without a
  geofence, and punches without a position, are not checked.
The two punch-in checks raise at most once per shift and are not auto-resolved
(they record something that happened). A shift that ended longer ago than the
retention period is history: if unknown it is ignored, raising nothing.
"""

from __future__ import annotations

import math
from datetime import datetime

from noc_actors.domain.draft import AlertDraft, RuleOutput
from noc_actors.domain.enums import AlertType, Severity
from noc_actors.domain.events import AttendanceEvent
from noc_actors.domain.live_state import ATTENDANCE, RETENTION, ClientLiveState, Geofence
from noc_actors.domain.policy import TenantPolicy

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def is_missing(shift: AttendanceEvent, now: datetime, policy: TenantPolicy) -> bool:
    """No punch-in and the grace period after the shift start is over."""
    return shift.punch_in is None and now > shift.shift_start + policy.attendance_grace


def is_late(shift: AttendanceEvent, policy: TenantPolicy) -> bool:
    """Punched in, but after the grace period."""
    deadline = shift.shift_start + policy.attendance_grace
    return shift.punch_in is not None and shift.punch_in > deadline


def poor_gps(shift: AttendanceEvent, policy: TenantPolicy) -> bool:
    return (
        shift.punch_in is not None
        and shift.gps_accuracy_m is not None
        and shift.gps_accuracy_m > policy.gps_accuracy_max_m
    )


def distance_outside(shift: AttendanceEvent, fence: Geofence | None) -> float | None:
    """Distance in metres from the fence centre when the punch-in lies outside
    the fence; None when inside, unchecked (no fence, no position, no punch)."""
    if fence is None or shift.punch_in is None or shift.lat is None or shift.lon is None:
        return None
    distance = haversine_m(fence.lat, fence.lon, shift.lat, shift.lon)
    return distance if distance > fence.radius_m else None


def on_event(
    state: ClientLiveState, event: AttendanceEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    """Store the shift's new picture and apply the attendance rules to it."""
    state.require_client(event.client_id)
    prev = state.shifts.get(event.id)
    if prev is None and event.shift_end < now - RETENTION:
        return RuleOutput()
    state.shifts[event.id] = event
    # First seen already punched in: a missing alert may predate a lost state.
    out = _check_missing(state, event, now, policy, assume_raised=prev is None)
    out.extend(_check_punch(state, event, now, policy))
    return out


def on_clock(state: ClientLiveState, now: datetime, policy: TenantPolicy) -> RuleOutput:
    """Raise for shifts whose grace period ran out with nobody punched in."""
    out = RuleOutput()
    for shift in list(state.shifts.values()):
        out.extend(_check_missing(state, shift, now, policy))
    return out


def _check_missing(
    state: ClientLiveState,
    shift: AttendanceEvent,
    now: datetime,
    policy: TenantPolicy,
    assume_raised: bool = False,
) -> RuleOutput:
    missing = is_missing(shift, now, policy)
    return state.settle(
        ATTENDANCE,
        shift.id,
        AlertType.ATTENDANCE_MISSING,
        holds=missing,
        make_draft=lambda: _missing_draft(state, shift, now, policy),
        reason="punched in",
        assume_raised=assume_raised and shift.punch_in is not None,
    )


def _check_punch(
    state: ClientLiveState, shift: AttendanceEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    out = RuleOutput()
    anomaly = AlertType.ATTENDANCE_ANOMALY
    if poor_gps(shift, policy) and not state.is_raised(ATTENDANCE, shift.id, anomaly):
        state.mark_raised(ATTENDANCE, shift.id, anomaly)
        out.drafts.append(_anomaly_draft(state, shift, now, policy))
    breach = AlertType.GEOFENCE_BREACH
    fence = state.geofences.get(shift.site_id)
    distance = distance_outside(shift, fence)
    if (
        distance is not None
        and fence is not None
        and not state.is_raised(ATTENDANCE, shift.id, breach)
    ):
        state.mark_raised(ATTENDANCE, shift.id, breach)
        out.drafts.append(_geofence_draft(state, shift, now, fence, distance))
    return out


def _metadata(shift: AttendanceEvent) -> dict[str, object]:
    meta: dict[str, object] = {
        "person_id": shift.person_id,
        "shift_start": shift.shift_start.isoformat(),
        "shift_end": shift.shift_end.isoformat(),
    }
    if shift.person_name is not None:
        meta["person_name"] = shift.person_name
    if shift.punch_in is not None:
        meta["punch_in"] = shift.punch_in.isoformat()
    return meta


def _draft(
    state: ClientLiveState,
    shift: AttendanceEvent,
    now: datetime,
    alert_type: str,
    severity: Severity,
    message: str,
    extra: dict[str, object],
) -> AlertDraft:
    meta = _metadata(shift)
    meta.update(extra)
    return state.draft(
        alert_type,
        message,
        entity_type=ATTENDANCE,
        entity_id=shift.id,
        site_id=shift.site_id,
        now=now,
        severity=severity,
        metadata=meta,
    )


def _missing_draft(
    state: ClientLiveState, shift: AttendanceEvent, now: datetime, policy: TenantPolicy
) -> AlertDraft:
    return _draft(
        state,
        shift,
        now,
        AlertType.ATTENDANCE_MISSING,
        Severity.LOW,
        f"Nobody punched in for shift {shift.id} at site {shift.site_id} "
        f"{policy.attendance_grace_minutes:g} min after its start",
        {"grace_minutes": policy.attendance_grace_minutes},
    )


def _anomaly_draft(
    state: ClientLiveState, shift: AttendanceEvent, now: datetime, policy: TenantPolicy
) -> AlertDraft:
    return _draft(
        state,
        shift,
        now,
        AlertType.ATTENDANCE_ANOMALY,
        Severity.MEDIUM,
        f"Punch-in for shift {shift.id} with poor GPS accuracy "
        f"({shift.gps_accuracy_m:g} m > {policy.gps_accuracy_max_m:g} m)",
        {"gps_accuracy_m": shift.gps_accuracy_m, "gps_accuracy_max_m": policy.gps_accuracy_max_m},
    )


def _geofence_draft(
    state: ClientLiveState, shift: AttendanceEvent, now: datetime, fence: Geofence, distance: float
) -> AlertDraft:
    return _draft(
        state,
        shift,
        now,
        AlertType.GEOFENCE_BREACH,
        Severity.MEDIUM,
        f"Punch-in for shift {shift.id} {distance:.0f} m from site {shift.site_id} "
        f"(geofence radius {fence.radius_m:g} m)",
        {
            "lat": shift.lat,
            "lon": shift.lon,
            "distance_m": round(distance, 1),
            "radius_m": fence.radius_m,
        },
    )
