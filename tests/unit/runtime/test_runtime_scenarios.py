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
