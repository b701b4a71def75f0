"""Heartbeats (issue 14 item 4): the rule on the pure core with ``now``
passed in, and the runtime waking at the timeout on its own (real clock,
memory store): HEARTBEAT_MISSED within a moment of the timeout, resolved by
the next beat, and the watch kept across a reload."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.events import HeartbeatEvent
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.runtime import ClientRuntime, MemoryClientStore, RuntimeOptions, SystemClock
from noc_actors.runtime.recorders import (
    RecordingHub,
    RecordingInvalidator,
    RecordingMetrics,
    RecordingTimer,
)
from tests.aggregates import counted_aggregate as aggregate

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def beat(name: str = "billing-sync", timeout_s: float = 3) -> HeartbeatEvent:
    return HeartbeatEvent(id=name, client_id="c1", site_id="s1", timeout_s=timeout_s)


def test_a_heartbeat_not_renewed_in_time_raises_one_alert_and_the_next_resolves_it() -> None:
    agg = aggregate()
    assert not agg.ingest_events([beat()], T0).ingest.inserted
    assert agg.next_heartbeat_due() == T0 + 3 * S
    assert not agg.check_heartbeats(T0 + 2.9 * S).ingest.inserted
    missed = agg.check_heartbeats(T0 + 3 * S)  # at the timeout exactly
    (alert,) = missed.ingest.created
    assert (alert.alert_type, alert.severity, alert.entity_id) == (
        "HEARTBEAT_MISSED",
        Severity.HIGH,
        "billing-sync",
    )
    assert alert.metadata == {"timeout_s": 3.0, "last_beat": T0.isoformat()}
    assert missed.state_changed and agg.next_heartbeat_due() is None  # missed: nothing to watch
    assert not agg.check_heartbeats(T0 + 10 * S).ingest.items  # one alert, not one per look
    back = agg.ingest_events([beat()], T0 + 11 * S)
    assert back.updated[alert.id].status is AlertStatus.RESOLVED
    assert back.updated[alert.id].resolution_notes == "heartbeat back"
    assert agg.next_heartbeat_due() == T0 + 14 * S


def test_heartbeats_are_independent_and_survive_the_live_state_round_trip() -> None:
    agg = aggregate()
    agg.ingest_events([beat("a", 5), beat("b", 60)], T0)
    (alert,) = agg.tick(T0 + 6 * S).ingest.created  # the clock tick checks them too
    assert alert.entity_id == "a"
    state = ClientLiveState.from_dict(agg.state.to_dict())
    assert state.heartbeats == agg.state.heartbeats
    assert state.raised == agg.state.raised


async def test_the_runtime_wakes_at_the_timeout_and_raises_within_a_moment() -> None:
    store = MemoryClientStore()
    store.add_client("t1", "c1")
    hub = RecordingHub()

    def runtime() -> ClientRuntime:
        return ClientRuntime(
            "t1",
            "c1",
            defaults=TenantPolicy(),
            store=store,
            hub=hub,
            timer=RecordingTimer(),
            invalidator=RecordingInvalidator(),
            clock=SystemClock(),
            metrics=RecordingMetrics(),
            options=RuntimeOptions(clock_rules_interval_s=3600, run_loops=True),
        )

    rt = runtime()
    await rt.ready()
    began = asyncio.get_running_loop().time()
    await rt.ingest_events([beat(timeout_s=1)])
    while not [e for e in hub.events if e["type"] == "alert_new"]:
        assert asyncio.get_running_loop().time() - began < 2.0, "no HEARTBEAT_MISSED in 2 s"
        await asyncio.sleep(0.05)
    took = asyncio.get_running_loop().time() - began
    assert 1.0 <= took < 1.5
    (alert,) = store.open_alerts("t1", "c1")
    await rt.ingest_events([beat(timeout_s=1)])
    assert store.alert(alert.id).status is AlertStatus.RESOLVED  # type: ignore[union-attr]
    await rt.stop()

    again = runtime()  # a new incarnation watches the stored heartbeat
    await again.ready()
    await asyncio.sleep(1.3)
    (second,) = store.open_alerts("t1", "c1")
    assert second.id != alert.id and second.alert_type == "HEARTBEAT_MISSED"
    await again.stop()
