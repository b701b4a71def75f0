"""ClientRuntime rules beyond the shared scenarios: snapshots of quiet
clients, the backpressure sweep, the correlation memory, failures that must
not lose or double anything, status and loops."""

from __future__ import annotations

from datetime import timedelta

import pytest

from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.enums import BackpressureLevel as L
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.runtime import MemoryClientStore
from noc_actors.runtime.recorders import RecordingInvalidator
from tests.runtime_scenarios import T0, World


def memory(world: World) -> MemoryClientStore:
    assert isinstance(world.inner, MemoryClientStore)
    return world.inner


async def test_a_disabled_client_takes_no_snapshot(world: World) -> None:
    memory(world).configure("c1", enabled=False)
    rt = world.runtime()
    assert await rt.take_snapshot() is None
    assert await world.snapshots("c1") == [] and world.hub.events == []
    assert rt.status()["enabled"] is False


async def test_a_client_under_full_maintenance_takes_no_snapshot(world: World) -> None:
    window = MaintenanceWindow("w1", "t1", T0, T0 + timedelta(hours=1), client_id="c1")
    memory(world).configure("c1", windows=[window])
    rt = world.runtime()
    assert await rt.take_snapshot() is None
    world.clock.advance(hours=1)  # the window has ended
    assert await rt.take_snapshot() is not None
    assert len(await world.snapshots("c1")) == 1


async def test_the_sweep_suppresses_the_oldest_stale_info_alerts_first_up_to_its_cap(
    world: World,
) -> None:
    rt = world.runtime()
    ids = []
    for entity in ("gw-1", "gw-2", "gw-3"):
        report = await rt.ingest_alerts([world.draft(entity, Severity.INFO)])
        ids.append(report["items"][0]["alert_id"])
        world.clock.advance(minutes=10)
    low = await rt.ingest_alerts([world.draft("gw-low", Severity.LOW)])
    world.clock.advance(minutes=45)  # gw-1 and gw-2 are older than an hour, gw-3 is not yet
    assert await rt.sweep(L.NORMAL, limit=10) == 0  # nothing is swept at NORMAL
    assert await rt.sweep(L.ELEVATED, limit=1) == 1
    assert [(await world.stored(a)).status for a in ids] == [
        AlertStatus.SUPPRESSED,
        AlertStatus.NEW,
        AlertStatus.NEW,
    ]
    world.clock.advance(minutes=10)  # now gw-3 is stale too
    assert await rt.sweep(L.CRITICAL, limit=10) == 2
    assert {(await world.stored(a)).status for a in ids} == {AlertStatus.SUPPRESSED}
    assert (await world.stored(low["items"][0]["alert_id"])).status is AlertStatus.NEW
    assert await world.audit_actions(ids[0]) == ["SUPPRESS"]
    assert [e["action"] for e in world.hub.events if e["type"] == "alert_updated"] == [
        "suppressed"
    ] * 3


async def test_the_clock_tick_forgets_correlations_older_than_the_window(world: World) -> None:
    rt = world.runtime()
    first = await rt.ingest_alerts([world.draft("door-1")])
    world.clock.advance(minutes=30)
    kin = await rt.ingest_alerts([world.draft("door-2")])
    correlations = {
        (await world.stored(r["items"][0]["alert_id"])).correlation_id for r in (first, kin)
    }
    assert len(correlations) == 1  # same type within the hour: one correlation
    await rt.tick()
    assert len(rt.core.book.correlator) == 1  # still within the window
    world.clock.advance(minutes=61)
    await rt.tick()
    assert len(rt.core.book.correlator) == 0


async def test_a_commit_that_fails_is_not_published_and_the_next_call_reloads(
    world: World,
) -> None:
    rt = world.runtime()
    await rt.ingest_alerts([world.draft("door-1")])
    world.store.fail_next = ConnectionError("database went away")
    with pytest.raises(ConnectionError):
        await rt.ingest_alerts([world.draft("door-2"), world.draft("door-1")])
    assert not rt.loaded
    assert len(world.hub.events) == 1 and len(world.cache.bumps) == 1
    report = await rt.ingest_alerts([world.draft("door-1")])  # reloads first
    assert rt.loaded and report["folded"] == 1
    (stored,) = await world.stored_open()
    assert stored.suppressed_count == 1  # the failed batch's fold never happened


async def test_a_cache_outage_never_fails_a_write(world: World) -> None:
    world.cache.fail = True
    rt = world.runtime()
    report = await rt.ingest_alerts([world.draft("door-1")])
    assert report["created"] == 1 and rt.loaded
    assert len(await world.stored_open()) == 1


async def test_resolving_by_key_resolves_each_open_alert_once(world: World) -> None:
    rt = world.runtime()
    report = await rt.ingest_alerts([world.draft("door-1")])
    key = world.draft("door-1").key()
    assert await rt.resolve_keys([key, key, "unknown"], by="alertmanager") == [key]
    assert await world.stored_open() == []
    assert world.timer.pending(report["items"][0]["alert_id"]) is None
    assert world.hub.events[-1]["action"] == "resolved"


async def test_an_unknown_action_is_refused_before_anything_happens(world: World) -> None:
    rt = world.runtime()
    with pytest.raises(ValueError, match="unknown action"):
        await rt.transition("delete", ["a1"], "u1")
    assert not rt.loaded and world.store.commits == 0


async def test_reload_rearms_the_deadlines_of_stored_alerts(world: World) -> None:
    report = await world.runtime().ingest_alerts([world.draft("door-1")])
    aid = report["items"][0]["alert_id"]
    world.timer.cancel([aid])  # a restarted timer that lost its heap
    fresh = world.runtime()
    assert await fresh.reload()
    deadline = world.timer.pending(aid)
    assert deadline is not None and deadline.level == 1


async def test_status_says_what_the_runtime_holds(world: World) -> None:
    rt = world.runtime()
    before = rt.status()
    assert (before["loaded"], before["open_alerts"], before["load_seconds"]) == (False, 0, None)
    rt.set_backlog(others=2000, forced=False)
    await rt.ingest_alerts([world.draft("gw-1", Severity.LOW)])
    status = rt.status()
    assert status["loaded"] and status["enabled"]
    assert (status["open_alerts"], status["new_info_low"], status["shed_info"]) == (1, 1, True)
    assert status["started_at"] == T0.timestamp()
    assert [j["name"] for j in status["jobs"]] == ["clock-rules", "snapshot"]
    assert not any(j["running"] for j in status["jobs"])


async def test_loops_start_on_the_first_load_and_their_steps_are_the_runtime_calls(
    world: World,
) -> None:
    rt = world.runtime(run_loops=True)
    await rt.ready()
    try:
        assert all(j["running"] for j in rt.status()["jobs"])
        assert await rt.snapshot_loop.run_once() and await rt.clock_loop.run_once()
        assert len(await world.snapshots("c1")) == 1
    finally:
        await rt.stop()
    assert not any(j["running"] for j in rt.status()["jobs"])


async def test_the_read_cache_is_bumped_before_the_push(world: World) -> None:
    """A dashboard re-reads when a push arrives: by then the cached reads of
    the client must already be stale (the seed pushed first)."""
    pushed_at_bump: list[int] = []

    class Watching(RecordingInvalidator):
        async def bump(self, tenant_id: str, client_id: str) -> None:
            pushed_at_bump.append(len(world.hub.events))
            await super().bump(tenant_id, client_id)

    world.cache = Watching()
    rt = world.runtime()
    await rt.ingest_alerts([world.draft("door-1")])
    assert pushed_at_bump == [0] and len(world.hub.of_type("alert_new")) == 1
