"""The demo simulator: seeded, valid wire format, and within a minute the
rules of SPEC section 4 raise every kind of platform alert from its events."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import noc_actors.demo as demo
from noc_actors.demo.simulator import FacilitySimulator
from noc_actors.demo.world import DemoWorld, demo_world
from noc_actors.domain.draft import AlertDraft, AutoResolve
from noc_actors.domain.events import parse_events
from noc_actors.domain.live_state import ClientLiveState
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.rules import apply_events, evaluate_clock

START = datetime(2026, 11, 26, 9, 7, 30, tzinfo=UTC)
STEP = timedelta(seconds=2)
POLICY = TenantPolicy()
SEEDS = (1, 7, 42, 2026)
TIME_FIELDS = (
    "created_at", "planned_at", "expires_at", "last_seen",
    "shift_start", "shift_end", "punch_in", "punch_out",
)  # fmt: skip


@dataclass
class Run:
    """What a simulated stretch produced, and what the rules made of it."""

    batches: list[tuple[datetime, list[dict[str, Any]]]] = field(default_factory=list)
    drafts: list[tuple[datetime, AlertDraft]] = field(default_factory=list)
    resolves: list[tuple[datetime, AutoResolve]] = field(default_factory=list)
    alerts: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)

    def draft_types(self, until_s: float) -> set[str]:
        until = START + timedelta(seconds=until_s)
        return {d.alert_type for at, d in self.drafts if at <= until}


def states(world: DemoWorld) -> dict[str, ClientLiveState]:
    out = {}
    for client in world.clients:
        state = ClientLiveState(tenant_id="t", client_id=client.id)
        for site in client.sites:
            state.set_geofence(site.id, site.lat, site.lon, site.radius_m)
        out[client.id] = state
    return out


@cache
def run(seed: int, seconds: int = 600, speed: float = 1.0) -> Run:
    world = demo_world()
    sim = FacilitySimulator(world, seed, speed)
    live = states(world)
    result = Run()
    for i in range(seconds // 2 + 1):
        now = START + i * STEP
        batch = sim.step(now)
        result.batches.append((now, batch))
        result.alerts += [(now, a) for a in sim.generic_alerts(now)]
        events = parse_events(batch)
        for client_id, state in live.items():
            out = apply_events(state, [e for e in events if e.client_id == client_id], now, POLICY)
            out.extend(evaluate_clock(state, now, POLICY))
            result.drafts += [(now, d) for d in out.drafts]
            result.resolves += [(now, r) for r in out.resolves]
    return result


def all_events(r: Run) -> list[dict[str, Any]]:
    return [e for _, batch in r.batches for e in batch]


# --- the world -------------------------------------------------------------


def test_demo_world_has_four_clients_with_two_or_three_sites_and_three_to_five_devices() -> None:
    world = demo_world()
    assert world == demo_world()
    assert [c.name for c in world.clients] == [
        "Harbour Mall", "Northgate Hospital", "Riverside Offices", "Airport Logistics Park",
    ]  # fmt: skip
    for client in world.clients:
        assert 2 <= len(client.sites) <= 3
        for site in client.sites:
            assert site.id.startswith(client.id + "-")
            assert 3 <= len(client.devices_at(site.id)) <= 5
            assert client.people_at(site.id)
        for person in client.people:
            assert "@" in person.email and person.phone.startswith("+")
    ids = [d.id for c in world.clients for d in c.devices] + [
        p.id for c in world.clients for p in c.people
    ]
    assert len(ids) == len(set(ids))


# --- determinism and wire format -------------------------------------------


def test_same_seed_gives_the_same_events_and_another_seed_does_not() -> None:
    def events(seed: int) -> list[list[dict[str, Any]]]:
        sim = FacilitySimulator(demo_world(), seed)
        return [sim.step(START + i * STEP) for i in range(150)]

    assert events(5) == events(5)
    assert events(5) != events(6)


def test_generic_alerts_do_not_change_the_platform_event_stream() -> None:
    quiet = FacilitySimulator(demo_world(), 3)
    chatty = FacilitySimulator(demo_world(), 3)
    for i in range(150):
        now = START + i * STEP
        chatty.generic_alerts(now)
        assert quiet.step(now) == chatty.step(now)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_event_parses_and_is_json_with_timezone_aware_timestamps(seed: int) -> None:
    for _, batch in run(seed).batches:
        parse_events(json.loads(json.dumps(batch)))
        for event in batch:
            for name in TIME_FIELDS:
                if event.get(name) is not None:
                    assert datetime.fromisoformat(event[name]).tzinfo is not None, (name, event)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_event_uses_its_clients_id_and_one_of_its_own_sites(seed: int) -> None:
    world = demo_world()
    for event in all_events(run(seed)):
        if event["kind"] == "heartbeat":  # a client's platform: no site
            assert event["client_id"] in world.client_ids
            continue
        assert event["site_id"] in world.client(event["client_id"]).site_ids
    for _, alert in run(seed).alerts:
        assert alert["site_id"] in world.client(alert["client_id"]).site_ids


def test_naive_now_is_rejected() -> None:
    sim = FacilitySimulator(demo_world(), 1)
    with pytest.raises(ValueError, match="timezone"):
        sim.step(datetime(2026, 11, 26, 9, 0))
    with pytest.raises(ValueError, match="speed"):
        FacilitySimulator(demo_world(), 1, speed=0)


def test_simulator_never_reads_the_clock() -> None:
    for path in Path(demo.__file__).parent.glob("*.py"):
        text = path.read_text()
        for needle in ("datetime.now(", "datetime.utcnow(", "time.time(", "date.today("):
            assert needle not in text, f"{path.name}: {needle}"


# --- what the dashboard shows ----------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_every_platform_alert_kind_is_raised_within_the_first_minute(seed: int) -> None:
    expected = {
        "SLA_BREACH", "DEVICE_OFFLINE", "ATTENDANCE_MISSING", "WORK_ORDER_OVERDUE",
        "ATTENDANCE_ANOMALY", "GEOFENCE_BREACH",
    }  # fmt: skip
    assert expected <= run(seed).draft_types(until_s=60)


@pytest.mark.parametrize("seed", SEEDS)
def test_sla_breaches_arrive_on_the_clock_not_all_at_the_first_step(seed: int) -> None:
    times = [at for at, d in run(seed).drafts if d.alert_type == "SLA_BREACH"]
    assert any(START < at <= START + timedelta(seconds=60) for at in times)


@pytest.mark.parametrize("seed", SEEDS)
def test_devices_that_go_offline_come_back_online_within_five_minutes(seed: int) -> None:
    r = run(seed)
    offline = [(at, d.entity_id) for at, d in r.drafts if d.alert_type == "DEVICE_OFFLINE"]
    early = [(at, dev) for at, dev in offline if at <= START + timedelta(seconds=150)]
    assert early
    for raised_at, dev in early:
        assert any(
            res.alert_type == "DEVICE_OFFLINE" and res.entity_id == dev and raised_at < at
            for at, res in r.resolves
            if at <= START + timedelta(minutes=5)
        ), dev


@pytest.mark.parametrize("seed", SEEDS)
def test_an_alert_storm_takes_several_devices_of_one_site_offline_within_six_minutes(
    seed: int,
) -> None:
    def storm_sizes(batch: list[dict[str, Any]]) -> Counter[str]:
        return Counter(
            e["site_id"] for e in batch if e["kind"] == "device" and e["status"] == "OFFLINE"
        )

    biggest = [
        max(storm_sizes(batch).values(), default=0)
        for at, batch in run(seed).batches
        if at <= START + timedelta(minutes=6)
    ]
    assert max(biggest) >= 3


@pytest.mark.parametrize("seed", SEEDS)
def test_late_punch_ins_resolve_missing_attendance(seed: int) -> None:
    r = run(seed)
    resolved = {res.entity_id for _, res in r.resolves if res.alert_type == "ATTENDANCE_MISSING"}
    missing = {d.entity_id for _, d in r.drafts if d.alert_type == "ATTENDANCE_MISSING"}
    assert missing and missing <= resolved | {
        d.entity_id for at, d in r.drafts if at > START + timedelta(minutes=5)
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_over_ten_minutes_tickets_escalate_and_fixed_conditions_resolve(seed: int) -> None:
    r = run(seed)
    assert "TICKET_ESCALATED" in r.draft_types(until_s=600)
    resolved = {res.alert_type for _, res in r.resolves}
    assert {"SLA_BREACH", "WORK_ORDER_OVERDUE", "DEVICE_OFFLINE"} <= resolved


@pytest.mark.parametrize("seed", SEEDS)
def test_event_rate_stays_modest(seed: int) -> None:
    sizes = [len(batch) for _, batch in run(seed).batches]
    first, rest = sizes[0], sizes[1:]
    assert first <= 150
    assert sum(rest) / len(rest) <= 10
    assert max(rest) <= 40


def _activity(batch: list[dict[str, Any]]) -> int:
    return sum(1 for e in batch if e["kind"] != "heartbeat")  # beats come every step


def test_higher_speed_means_more_activity() -> None:
    slow = sum(_activity(b) for _, b in run(11, seconds=300).batches[1:])
    fast = sum(_activity(b) for _, b in run(11, seconds=300, speed=3.0).batches[1:])
    assert fast > 2 * slow


def test_every_step_says_each_clients_platform_is_alive() -> None:
    """The demo's heartbeats (issue 14): pause the feed and each client's
    HEARTBEAT_MISSED shows after 15 s."""
    world = demo_world()
    for _, batch in run(11, seconds=60).batches:
        beats = [e for e in batch if e["kind"] == "heartbeat"]
        assert sorted(e["client_id"] for e in beats) == sorted(world.client_ids)
        assert {(e["id"], e["timeout_s"]) for e in beats} == {("platform-feed", 15.0)}


# --- monitoring alerts ------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_generic_alerts_are_occasional_and_complete(seed: int) -> None:
    alerts = [a for _, a in run(seed).alerts]
    assert 1 <= len(alerts) <= 15
    keys = {
        "alert_type", "severity", "client_id", "site_id", "entity_type", "entity_id",
        "message", "metadata",
    }  # fmt: skip
    for alert in alerts:
        assert set(alert) == keys
        assert alert["alert_type"] in {"SYNC_DEGRADED", "SECURITY_ANOMALY", "DEVICE_SPOOF"}
        assert alert["severity"] in {"MEDIUM", "HIGH", "CRITICAL"}
        json.dumps(alert)
