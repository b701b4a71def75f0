"""The memory store keeps the database's rules: all-or-nothing commits, one
open alert per dedup key, the escalation fence, batch keys stored once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import Changes
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import NotFound
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.runtime import ClaimLost, Commit, DuplicateBatch, MemoryClientStore, StoreConflict
from tests.runtime_scenarios import T0


def store() -> MemoryClientStore:
    s = MemoryClientStore()
    s.add_client("t1", "c1")
    s.add_client("t1", "c2")
    s.add_client("t2", "x1")
    return s


def alert(aid: str, key: str = "k", tenant: str = "t1", client: str = "c1") -> Alert:
    return Alert(aid, tenant, client, "EXTERNAL", Severity.HIGH, "m", key, T0, T0)


def inserting(*alerts: Alert, updated: tuple[Alert, ...] = (), **kw: object) -> Commit:
    changes = Changes()
    for a in alerts:
        changes.ingest.insert(a)
    changes.updated = {a.id: a for a in updated}
    return Commit("t1", "c1", T0, changes, **kw)  # type: ignore[arg-type]


def claim(aid: str, level: int) -> Commit:
    return Commit("t1", "c1", T0, Changes(), claims=(Deadline(T0, aid, level, "c1", "t1"),))


async def test_a_level_can_be_claimed_once_and_only_in_order() -> None:
    s = store()
    s.seed([alert("a1")])
    with pytest.raises(ClaimLost):
        await s.commit(claim("a1", 2))  # levels cannot be skipped
    await s.commit(claim("a1", 1))
    with pytest.raises(ClaimLost):
        await s.commit(claim("a1", 1))  # a replay, another incarnation
    assert s.fence("a1") == 1


async def test_an_acknowledged_alert_cannot_be_claimed() -> None:
    s = store()
    acked = alert("a1")
    acked.acknowledge("u1", T0)
    s.seed([acked])
    with pytest.raises(ClaimLost):
        await s.commit(claim("a1", 1))


async def test_storing_an_escalated_alert_moves_its_fence_so_the_timer_cannot_refire() -> None:
    s = store()
    a = alert("a1")
    s.seed([a])
    a.escalate("oncall", T0)  # a manual escalation, stored without a claim
    await s.commit(inserting(updated=(a,)))
    assert s.fence("a1") == 1
    with pytest.raises(ClaimLost):
        await s.commit(claim("a1", 1))


async def test_one_open_alert_per_tenant_and_dedup_key() -> None:
    s = store()
    s.seed([alert("a1", "k")])
    with pytest.raises(StoreConflict):
        await s.commit(inserting(alert("a2", "k", client="c1")))
    other_tenant = Commit("t2", "x1", T0, Changes())
    other_tenant.changes.ingest.insert(alert("b1", "k", tenant="t2", client="x1"))
    await s.commit(other_tenant)  # another tenant may hold the same key
    resolved = alert("a1", "k")
    resolved.resolve("u1", T0)
    await s.commit(inserting(alert("a3", "k"), updated=(resolved,)))  # updates go first
    assert [a.id for a in s.open_alerts("t1", "c1")] == ["a3"]


async def test_a_refused_commit_stores_nothing() -> None:
    s = store()
    s.seed([alert("a1", "k")])
    changed = replace(alert("a1", "k"), message="changed")
    with pytest.raises(StoreConflict):
        await s.commit(inserting(alert("a2", "fresh"), alert("a3", "k"), updated=(changed,)))
    assert [a.id for a in s.open_alerts("t1", "c1")] == ["a1"]
    assert s.alert("a1") is not None and s.alert("a1").message == "m"  # type: ignore[union-attr]
    assert s.commits == 0


async def test_a_batch_key_is_stored_once_per_client() -> None:
    s = store()
    answer = Changes().report()
    await s.commit(inserting(batches=(("k1", answer),)))
    with pytest.raises(DuplicateBatch):
        await s.commit(inserting(alert("a1"), batches=(("k1", answer),)))
    assert s.alert("a1") is None
    await s.commit(Commit("t1", "c2", T0, Changes(), batches=(("k1", answer),)))
    assert await s.stored_batch("c1", "k1") == answer
    assert await s.stored_batch("c1", "nope") is None


async def test_stored_alerts_are_copies_in_and_out() -> None:
    s = store()
    mine = alert("a1")
    await s.commit(inserting(mine))
    mine.acknowledge("u1", T0)  # memory running ahead of the store
    (loaded,) = (await s.load("t1", "c1", T0)).open_alerts
    assert loaded.acknowledged_at is None
    loaded.message = "scribbled"
    assert (await s.alerts("t1", ["a1"]))[0].message == "m"


async def test_load_answers_the_clients_context_and_only_current_windows() -> None:
    s = store()
    ended = MaintenanceWindow("w1", "t1", T0 - timedelta(hours=2), T0)
    later = MaintenanceWindow("w2", "t1", T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    s.configure("c1", windows=[later, ended])
    loaded = await s.load("t1", "c1", T0)
    assert [w.id for w in loaded.context.windows] == ["w2"]
    with pytest.raises(NotFound):
        await s.load("t2", "c1", T0)  # another tenant's client
    with pytest.raises(NotFound):
        await s.load("t1", "nope", T0)
