"""The runtime's rules over the memory store. The same scenarios run over the
SQL store in ``tests/integration/store/test_client_store.py``."""

from __future__ import annotations

from tests import runtime_scenarios as s
from tests.runtime_scenarios import World


async def test_ingest_creates_folds_and_sheds_in_one_commit_per_batch(world: World) -> None:
    await s.ingest_creates_folds_and_sheds_in_one_commit_per_batch(world)


async def test_a_critical_alert_escalates_15_minutes_after_creation(world: World) -> None:
    await s.a_critical_alert_escalates_15_minutes_after_creation(world)


async def test_a_batch_with_a_key_is_applied_once_and_replayed(world: World) -> None:
    await s.a_batch_with_a_key_is_applied_once_and_replayed(world)


async def test_concurrent_retries_of_a_batch_apply_it_once(world: World) -> None:
    await s.concurrent_retries_of_a_batch_apply_it_once(world)


async def test_a_deadline_fires_once_even_when_delivered_twice(world: World) -> None:
    await s.a_deadline_fires_once_even_when_delivered_twice(world)


async def test_a_second_incarnation_loses_the_claim_and_reloads(world: World) -> None:
    await s.a_second_incarnation_loses_the_claim_and_reloads(world)


async def test_a_failed_commit_leaves_memory_equal_to_the_store(world: World) -> None:
    await s.a_failed_commit_leaves_memory_equal_to_the_store(world)


async def test_transitions_answer_for_each_alert_on_its_own(world: World) -> None:
    await s.transitions_answer_for_each_alert_on_its_own(world)


async def test_a_snapshot_is_stored_and_published(world: World) -> None:
    await s.a_snapshot_is_stored_and_published(world)


async def test_concurrent_calls_share_one_commit(world: World) -> None:
    await s.concurrent_calls_share_one_commit(world)


async def test_a_refused_group_is_retried_call_by_call_from_the_store(world: World) -> None:
    await s.a_refused_group_is_retried_call_by_call_from_the_store(world)


async def test_a_deadline_delivered_twice_at_once_fires_once(world: World) -> None:
    await s.a_deadline_delivered_twice_at_once_fires_once(world)


async def test_a_ticks_worth_of_deadlines_escalates_in_one_commit(world: World) -> None:
    await s.a_ticks_worth_of_deadlines_escalates_in_one_commit(world)


def test_every_shared_scenario_runs_in_this_tier() -> None:
    here = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert {f.__name__ for f in s.SCENARIOS} <= here


async def test_many_clients_ingest_together_in_one_commit(world: World) -> None:
    await s.many_clients_ingest_together_in_one_commit(world)


async def test_a_busy_or_repeated_client_keeps_its_order(world: World) -> None:
    await s.a_busy_or_repeated_client_keeps_its_order(world)


async def test_a_bad_batch_fails_only_its_own_client(world: World) -> None:
    await s.a_bad_batch_fails_only_its_own_client(world)


async def test_a_refused_shared_commit_is_retried_client_by_client(world: World) -> None:
    await s.a_refused_shared_commit_is_retried_client_by_client(world)


async def test_closing_waits_for_an_ingest_taken_together(world: World) -> None:
    await s.closing_waits_for_an_ingest_taken_together(world)


async def test_critical_bursts_open_one_incident_that_later_criticals_join(world: World) -> None:
    await s.critical_bursts_open_one_incident_that_later_criticals_join(world)


async def test_alerts_outside_the_window_or_in_an_incident_open_none(world: World) -> None:
    await s.alerts_outside_the_window_or_in_an_incident_open_none(world)


async def test_inhibited_targets_survive_a_restart_and_come_back_with_their_source(
    world: World,
) -> None:
    await s.inhibited_targets_survive_a_restart_and_come_back_with_their_source(world)


async def test_a_flapping_key_is_one_alert_stored_with_its_count(world: World) -> None:
    await s.a_flapping_key_is_one_alert_stored_with_its_count(world)
