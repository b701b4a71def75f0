"""Device rules (SPEC section 4).

- DEVICE_OFFLINE (HIGH): the device reports OFFLINE, or has been silent for
  strictly longer than the tenant's threshold (``now - last_seen >
  policy.device_offline_after``, default 30 min). Evaluated on every event and
  on the clock.
- Back ONLINE with a fresh ``last_seen`` auto-resolves it.
- An event older than the one we hold (smaller ``last_seen``) arrived out of
  order and is ignored.
"""

from __future__ import annotations

from datetime import datetime

from noc_actors.domain.draft import AlertDraft, RuleOutput
from noc_actors.domain.enums import AlertType, Severity
from noc_actors.domain.events import DeviceEvent, DeviceStatus
from noc_actors.domain.live_state import DEVICE, ClientLiveState
from noc_actors.domain.policy import TenantPolicy


def is_silent(device: DeviceEvent, now: datetime, policy: TenantPolicy) -> bool:
    """Not heard from for longer than the tenant's threshold."""
    return now - device.last_seen > policy.device_offline_after


def is_offline(device: DeviceEvent, now: datetime, policy: TenantPolicy) -> bool:
    """Reported OFFLINE, or silent for too long."""
    return device.status == DeviceStatus.OFFLINE or is_silent(device, now, policy)


def on_event(
    state: ClientLiveState, event: DeviceEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    """Store the device's new picture and apply the offline rule to it."""
    state.require_client(event.client_id)
    prev = state.devices.get(event.id)
    if prev is not None and event.last_seen < prev.last_seen:
        return RuleOutput()
    state.devices[event.id] = event
    # First seen already online: an offline alert may predate a lost state.
    return _check(state, event, now, policy, assume_raised=prev is None)


def on_clock(state: ClientLiveState, now: datetime, policy: TenantPolicy) -> RuleOutput:
    """Raise for devices that fell silent since the last look."""
    out = RuleOutput()
    for device in list(state.devices.values()):
        out.extend(_check(state, device, now, policy))
    return out


def _check(
    state: ClientLiveState,
    device: DeviceEvent,
    now: datetime,
    policy: TenantPolicy,
    assume_raised: bool = False,
) -> RuleOutput:
    return state.settle(
        DEVICE,
        device.id,
        AlertType.DEVICE_OFFLINE,
        holds=is_offline(device, now, policy),
        make_draft=lambda: _offline_draft(state, device, now, policy),
        reason="device back online",
        assume_raised=assume_raised,
    )


def _offline_draft(
    state: ClientLiveState, device: DeviceEvent, now: datetime, policy: TenantPolicy
) -> AlertDraft:
    silent_min = (now - device.last_seen).total_seconds() / 60
    if device.status == DeviceStatus.OFFLINE:
        why = "reports OFFLINE"
    else:
        why = f"silent for {silent_min:.0f} min"
    label = f"Device {device.id}" + (f" ({device.name})" if device.name else "")
    meta: dict[str, object] = {
        "status": str(device.status),
        "last_seen": device.last_seen.isoformat(),
        "silent_minutes": round(silent_min, 1),
        "threshold_minutes": policy.device_offline_minutes,
    }
    if device.name is not None:
        meta["device_name"] = device.name
    return state.draft(
        AlertType.DEVICE_OFFLINE,
        f"{label} {why}",
        entity_type=DEVICE,
        entity_id=device.id,
        site_id=device.site_id,
        now=now,
        severity=Severity.HIGH,
        metadata=meta,
    )
