"""Heartbeats (issue 14, Alerta's model):

- HEARTBEAT_MISSED (HIGH): a source's heartbeat was not renewed within its
  ``timeout_s`` of the NOC receiving the last one (the source's clock plays
  no part). One alert per heartbeat while it stays missing.
- The next beat resolves it ("heartbeat back").

The NOC checks on every clock tick, and the client's runtime also wakes at
the earliest expiry (``next_due``), so a missed heartbeat is raised within
a moment of its timeout, not at the next tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from noc_actors.domain.draft import AlertDraft, RuleOutput
from noc_actors.domain.enums import AlertType, Severity
from noc_actors.domain.events import HeartbeatEvent
from noc_actors.domain.live_state import HEARTBEAT, ClientLiveState
from noc_actors.domain.policy import TenantPolicy


def on_event(
    state: ClientLiveState, event: HeartbeatEvent, now: datetime, policy: TenantPolicy
) -> RuleOutput:
    """A beat: remember it (received now) and resolve a missed alert."""
    state.require_client(event.client_id)
    state.heartbeats[event.id] = (event, now)
    return _check(state, event.id, now)


def on_clock(state: ClientLiveState, now: datetime, policy: TenantPolicy) -> RuleOutput:
    """Raise for the heartbeats whose timeout passed since their last beat."""
    out = RuleOutput()
    for name in list(state.heartbeats):
        out.extend(_check(state, name, now))
    return out


def expires_at(event: HeartbeatEvent, at: datetime) -> datetime:
    return at + timedelta(seconds=event.timeout_s)


def next_due(state: ClientLiveState) -> datetime | None:
    """When the next heartbeat not missed yet times out (None: none to watch)."""
    due = [
        expires_at(event, at)
        for name, (event, at) in state.heartbeats.items()
        if AlertType.HEARTBEAT_MISSED not in state.raised.get((HEARTBEAT, name), set())
    ]
    return min(due, default=None)


def _check(state: ClientLiveState, name: str, now: datetime) -> RuleOutput:
    event, at = state.heartbeats[name]
    late = now >= expires_at(event, at)

    def draft() -> AlertDraft:
        return state.draft(
            AlertType.HEARTBEAT_MISSED,
            f"Heartbeat {name} missed: none for {event.timeout_s:g} s",
            entity_type=HEARTBEAT,
            entity_id=name,
            site_id=event.site_id,
            now=now,
            severity=Severity.HIGH,
            metadata={"timeout_s": event.timeout_s, "last_beat": at.isoformat()},
        )

    return state.settle(
        HEARTBEAT,
        name,
        AlertType.HEARTBEAT_MISSED,
        holds=late,
        make_draft=draft,
        reason="heartbeat back",
    )
