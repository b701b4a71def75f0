"""Runtime scenarios shared by two tiers: the unit tier runs them over the
``MemoryClientStore``, the integration tier over the SQL store on SQLite and
PostgreSQL — so the memory store is proven faithful to the database.

A scenario is a plain coroutine taking a ``World``; it talks to the store only
through the ``ClientStore`` protocol and the world's three readers. Imports
no Ray, database or cache library."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.book import new_uuid
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidTransition, NotFound
from noc_actors.domain.policy import TenantPolicy
from noc_actors.runtime import (
    ClientRuntime,
    ClientStore,
    Commit,
    LoadedClient,
    ManualClock,
    MemoryClientStore,
    RuntimeOptions,
    StoreConflict,
)
from noc_actors.runtime.recorders import (
    RecordingHub,
    RecordingInvalidator,
    RecordingMetrics,
    RecordingTimer,
)

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class CountingStore:
    """A ``ClientStore`` in front of another: counts the commits that reached
    it, and ``fail_next`` makes the next commit fail before it does."""

    def __init__(self, inner: ClientStore) -> None:
        self.inner = inner
        self.commits = 0
        self.fail_next: Exception | None = None

    async def load(self, tenant_id: str, client_id: str, now: datetime) -> LoadedClient:
        return await self.inner.load(tenant_id, client_id, now)

    async def commit(self, commit: Commit) -> None:
        if self.fail_next is not None:
            err, self.fail_next = self.fail_next, None
            raise err
        await self.inner.commit(commit)
        self.commits += 1

    async def stored_batch(self, client_id: str, batch_key: str) -> IngestReport | None:
        return await self.inner.stored_batch(client_id, batch_key)

    async def alerts(self, tenant_id: str, alert_ids: Any) -> list[Alert]:
        return await self.inner.alerts(tenant_id, alert_ids)


@dataclass
class World:
    """A tenant with two clients on a store, the runtime's peers as
    recorders, and a manual clock. ``seed`` writes alerts behind the
    runtimes' backs (another writer); ``audit_actions`` and ``snapshots``
    read what was stored."""

    inner: ClientStore
    tenant_id: str
    client_id: str
    other_client_id: str
    seed: Callable[[list[Alert]], Awaitable[None]]
    audit_actions: Callable[[str], Awaitable[list[str]]]
    snapshots: Callable[[str], Awaitable[list[dict[str, Any]]]]
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    hub: RecordingHub = field(default_factory=RecordingHub)
    timer: RecordingTimer = field(default_factory=RecordingTimer)
    cache: RecordingInvalidator = field(default_factory=RecordingInvalidator)
    metrics: RecordingMetrics = field(default_factory=RecordingMetrics)
    store: CountingStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = CountingStore(self.inner)

    def runtime(self, client_id: str | None = None, run_loops: bool = False) -> ClientRuntime:
        """A runtime (a new incarnation each call), its loops off by default."""
        return ClientRuntime(
            self.tenant_id,
            client_id or self.client_id,
            defaults=TenantPolicy(),
            store=self.store,
            hub=self.hub,
            timer=self.timer,
            invalidator=self.cache,
            clock=self.clock,
            metrics=self.metrics,
            options=RuntimeOptions(run_loops=run_loops),
        )

    def draft(
        self,
        entity: str,
        severity: Severity = Severity.CRITICAL,
        client_id: str | None = None,
        alert_type: str = "SECURITY_ANOMALY",
    ) -> AlertDraft:
        return AlertDraft(
            self.tenant_id,
            client_id or self.client_id,
            alert_type,
            f"{entity} tripped",
            severity=severity,
            entity_type="sensor",
            entity_id=entity,
        )

    def intruder(self, dedup_key: str) -> Alert:
        """An open alert another writer stores behind the runtimes' backs."""
        return Alert(
            id=new_uuid(),
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            alert_type="SECURITY_ANOMALY",
            severity=Severity.CRITICAL,
            message="opened by another writer",
            dedup_key=dedup_key,
            first_seen=T0,
            last_seen=T0,
        )

    async def stored_open(self) -> list[Alert]:
        return (await self.inner.load(self.tenant_id, self.client_id, self.clock.now())).open_alerts

    async def stored(self, alert_id: str) -> Alert:
        (alert,) = await self.inner.alerts(self.tenant_id, [alert_id])
        return alert


def memory_world() -> World:
    """A ``World`` on a fresh ``MemoryClientStore``."""
    store = MemoryClientStore()
    store.add_client("t1", "c1")
    store.add_client("t1", "c2")

    async def seed(alerts: list[Alert]) -> None:
        store.seed(alerts)

    async def audit_actions(alert_id: str) -> list[str]:
        return [str(e.action) for e in store.audit() if e.entity_id == alert_id]

    async def snapshots(client_id: str) -> list[dict[str, Any]]:
        return [
            {"window_start": s.window_start, "metrics": s.to_dict()}
            for s in store.snapshots(client_id)
        ]

    return World(store, "t1", "c1", "c2", seed, audit_actions, snapshots)


def _id(report: IngestReport, index: int = 0) -> str:
    return report["items"][index]["alert_id"]


# --- the scenarios ------------------------------------------------------------------


async def ingest_creates_folds_and_sheds_in_one_commit_per_batch(w: World) -> None:
    rt = w.runtime()
    rt.set_backlog(others=0, forced=True)  # the tenant is held at CRITICAL: INFO is shed
    report = await rt.ingest_alerts(
        [w.draft("door-1"), w.draft("door-1"), w.draft("gw-1", Severity.INFO)]
    )
    assert [i["outcome"] for i in report["items"]] == ["created", "folded", "suppressed"]
    assert (report["created"], report["folded"], report["suppressed"]) == (1, 1, 1)
    assert w.store.commits == 1
    (stored,) = await w.stored_open()
    assert (stored.id, stored.suppressed_count) == (_id(report), 1)
    assert [e["type"] for e in w.hub.events] == ["alert_new"]
    assert w.cache.bumps == [(w.tenant_id, w.client_id)]
    assert w.metrics.counts[("ingested", w.client_id)] == 3
    assert w.metrics.open[w.client_id]["CRITICAL"] == 1

    again = await rt.ingest_alerts([w.draft("door-1")])
    assert again["folded"] == 1 and w.store.commits == 2
    assert (await w.stored(_id(report))).suppressed_count == 2
    assert w.hub.events[-1]["action"] == "repeated"


async def a_critical_alert_escalates_15_minutes_after_creation(w: World) -> None:
    report = await w.runtime().ingest_alerts([w.draft("door-1")])
    deadline = w.timer.pending(_id(report))
    assert deadline is not None
    assert (deadline.level, deadline.due_at) == (1, T0 + timedelta(minutes=15))


async def a_batch_with_a_key_is_applied_once_and_replayed(w: World) -> None:
    first = await w.runtime().ingest_alerts([w.draft("door-1")], batch_key="k-1")
    again = await w.runtime().ingest_alerts([w.draft("door-1")], batch_key="k-1")
    assert "replayed" not in first and again["replayed"] is True
    assert again["items"] == first["items"] and w.store.commits == 1
    (stored,) = await w.stored_open()
    assert stored.suppressed_count == 0  # the retry folded nothing in


async def concurrent_retries_of_a_batch_apply_it_once(w: World) -> None:
    a, b = w.runtime(), w.runtime()  # two incarnations racing with the same key
    answers = await asyncio.gather(
        a.ingest_alerts([w.draft("door-1")], batch_key="k-2"),
        b.ingest_alerts([w.draft("door-1")], batch_key="k-2"),
    )
    assert sorted(bool(r.get("replayed")) for r in answers) == [False, True]
    assert answers[0]["items"] == answers[1]["items"]
    assert len(await w.stored_open()) == 1


async def a_deadline_fires_once_even_when_delivered_twice(w: World) -> None:
    rt = w.runtime()
    aid = _id(await rt.ingest_alerts([w.draft("door-1")]))
    assert w.timer.due(w.clock.advance(minutes=14, seconds=59)) == []
    (deadline,) = w.timer.due(w.clock.advance(seconds=1))
    assert await rt.escalate_due(deadline)
    assert not await rt.escalate_due(deadline)  # a retry, a second timer
    stored = await w.stored(aid)
    assert (stored.status, stored.escalation_level) == (AlertStatus.ESCALATED, 1)
    assert stored.escalated_to == "tenant_admins"  # no contacts: the chain's last step
    assert await w.audit_actions(aid) == ["ESCALATE"]
    assert w.metrics.counts[("escalated", w.client_id)] == 1
    assert w.timer.pending(aid) is None  # a chain of one: nothing further to arm
    assert [e.get("action") for e in w.hub.events] == [None, "escalated"]


async def a_second_incarnation_loses_the_claim_and_reloads(w: World) -> None:
    first, second = w.runtime(), w.runtime()
    aid = _id(await first.ingest_alerts([w.draft("door-1")]))
    await second.ready()
    (deadline,) = w.timer.due(w.clock.advance(minutes=15))
    assert await first.escalate_due(deadline)
    assert not await second.escalate_due(deadline)  # stale memory: the store refuses
    assert not second.loaded
    await second.ready()
    alert = second.core.book.open_for_id(aid)
    assert alert is not None and alert.escalation_level == 1
    assert await w.audit_actions(aid) == ["ESCALATE"]


async def a_failed_commit_leaves_memory_equal_to_the_store(w: World) -> None:
    rt = w.runtime()
    await rt.ingest_alerts([w.draft("door-1")])
    key = w.draft("door-2").key()
    intruder = w.intruder(key)
    await w.seed([intruder])  # the runtime does not know this alert
    with pytest.raises(StoreConflict):
        await rt.ingest_alerts([w.draft("door-3"), w.draft("door-2")])
    assert not rt.loaded
    assert [e["type"] for e in w.hub.events] == ["alert_new"]  # nothing for the refused batch
    stored = await w.stored_open()
    assert sorted(a.dedup_key for a in stored) == sorted([w.draft("door-1").key(), key])
    await rt.ready()  # the next call reloads
    assert sorted(a.id for a in rt.core.book.open_alerts()) == sorted(a.id for a in stored)
    again = await rt.ingest_alerts([w.draft("door-2")])
    assert (again["items"][0]["outcome"], _id(again)) == ("folded", intruder.id)


async def transitions_answer_for_each_alert_on_its_own(w: World) -> None:
    rt = w.runtime()
    report = await rt.ingest_alerts([w.draft("door-1"), w.draft("door-2"), w.draft("door-3")])
    ids = [i["alert_id"] for i in report["items"]]
    other = w.runtime(w.other_client_id)
    theirs = _id(await other.ingest_alerts([w.draft("door-9", client_id=w.other_client_id)]))
    await rt.transition("resolve", [ids[2]], "u1", notes="fixed")
    await rt.transition("acknowledge", [ids[1]], "u1")

    result = await rt.transition(
        "acknowledge", [ids[0], ids[1], ids[2], theirs, "no-such"], "u2", source_ip="10.0.0.1"
    )
    assert [a["id"] for a in result["done"]] == [ids[0]]
    errors = result["errors"]
    assert isinstance(errors[ids[1]], InvalidTransition)  # acknowledged already
    closed = errors[ids[2]]
    assert isinstance(closed, InvalidTransition) and closed.from_status == "RESOLVED"
    assert isinstance(errors[theirs], NotFound) and isinstance(errors["no-such"], NotFound)
    stored = await w.stored(ids[0])
    assert (stored.status, stored.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, "u2")
    assert w.timer.pending(ids[0]) is None  # acknowledging cancels the escalation
    assert await w.audit_actions(ids[0]) == ["ACKNOWLEDGE"]


async def a_snapshot_is_stored_and_published(w: World) -> None:
    rt = w.runtime()
    await rt.ingest_alerts([w.draft("door-1")])
    bumps = len(w.cache.bumps)
    w.clock.advance(minutes=5)
    metrics = await rt.take_snapshot()
    assert metrics is not None
    assert metrics["alerts_open_by_severity"]["CRITICAL"] == 1
    assert metrics["window_start"] == T0.isoformat()
    stored = await w.snapshots(w.client_id)
    assert [s["metrics"] for s in stored] == [metrics]
    assert [e["metrics"] for e in w.hub.of_type("metrics_update")] == [metrics]
    assert len(w.cache.bumps) == bumps  # a snapshot changes no alert


async def concurrent_calls_share_one_commit(w: World) -> None:
    rt = w.runtime()
    await rt.ready()
    before = w.store.commits
    reports = await asyncio.gather(
        *(rt.ingest_alerts([w.draft(f"door-{i}")]) for i in range(5)),
        rt.ingest_alerts([w.draft("door-0")]),
    )
    assert w.store.commits == before + 1  # one transaction for six callers
    assert [r["items"][0]["outcome"] for r in reports] == ["created"] * 5 + ["folded"]
    assert _id(reports[5]) == _id(reports[0])
    stored = {a.entity_id: a for a in await w.stored_open()}
    assert len(stored) == 5 and stored["door-0"].suppressed_count == 1
    assert len(w.hub.of_type("alert_new")) == 5


async def a_refused_group_is_retried_call_by_call_from_the_store(w: World) -> None:
    """The store refuses the group (another writer opened door-2's key); each
    call is then applied alone on memory reloaded from the store, so the
    others are stored and door-2 folds into the alert the store holds."""
    rt = w.runtime()
    await rt.ready()
    key = w.draft("door-2").key()
    intruder = w.intruder(key)
    await w.seed([intruder])  # the runtime does not know this alert
    before = w.store.commits
    one, two, three = await asyncio.gather(
        rt.ingest_alerts([w.draft("door-1")]),
        rt.ingest_alerts([w.draft("door-2")]),
        rt.ingest_alerts([w.draft("door-3")]),
    )
    assert w.store.commits == before + 3  # the group failed, then one commit each
    assert (one["created"], three["created"]) == (1, 1)
    assert (two["items"][0]["outcome"], _id(two)) == ("folded", intruder.id)
    stored = sorted(a.entity_id or "" for a in await w.stored_open())
    assert stored == ["", "door-1", "door-3"]  # the intruder has no entity
    assert (await w.stored(intruder.id)).suppressed_count == 1
    pushed = [e["alert"]["entity_id"] for e in w.hub.of_type("alert_new")]
    assert sorted(pushed) == ["door-1", "door-3"]  # nothing new for door-2


async def a_deadline_delivered_twice_at_once_fires_once(w: World) -> None:
    rt = w.runtime()
    aid = _id(await rt.ingest_alerts([w.draft("door-1")]))
    (deadline,) = w.timer.due(w.clock.advance(minutes=15))
    fired = await asyncio.gather(rt.escalate_due(deadline), rt.escalate_due(deadline))
    assert sorted(fired) == [False, True]
    assert await w.audit_actions(aid) == ["ESCALATE"]
    assert (await w.stored(aid)).escalation_level == 1


async def a_ticks_worth_of_deadlines_escalates_in_one_commit(w: World) -> None:
    rt = w.runtime()
    report = await rt.ingest_alerts([w.draft(f"door-{i}") for i in range(4)])
    ids = [i["alert_id"] for i in report["items"]]
    await rt.transition("acknowledge", [ids[3]], "u1")  # its deadline goes stale
    deadlines = sorted(w.timer.armed, key=lambda d: d.alert_id)
    before = w.store.commits
    fired = await rt.escalate_all_due(deadlines)
    assert w.store.commits == before + 1
    assert dict(zip((d.alert_id for d in deadlines), fired, strict=True)) == {
        ids[0]: True, ids[1]: True, ids[2]: True, ids[3]: False
    }  # fmt: skip
    assert await rt.escalate_all_due(deadlines) == [False] * 4  # handed over twice
    for aid in ids[:3]:
        assert await w.audit_actions(aid) == ["ESCALATE"]
        assert (await w.stored(aid)).escalation_level == 1
    assert w.metrics.counts[("escalated", w.client_id)] == 3


SCENARIOS: list[Callable[[World], Awaitable[None]]] = [
    ingest_creates_folds_and_sheds_in_one_commit_per_batch,
    a_critical_alert_escalates_15_minutes_after_creation,
    a_batch_with_a_key_is_applied_once_and_replayed,
    concurrent_retries_of_a_batch_apply_it_once,
    a_deadline_fires_once_even_when_delivered_twice,
    a_second_incarnation_loses_the_claim_and_reloads,
    a_failed_commit_leaves_memory_equal_to_the_store,
    transitions_answer_for_each_alert_on_its_own,
    a_snapshot_is_stored_and_published,
    concurrent_calls_share_one_commit,
    a_refused_group_is_retried_call_by_call_from_the_store,
    a_deadline_delivered_twice_at_once_fires_once,
    a_ticks_worth_of_deadlines_escalates_in_one_commit,
]
