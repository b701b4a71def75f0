"""Runtime scenarios shared by two tiers: the unit tier runs them over the
``MemoryClientStore``, the integration tier over the SQL store on SQLite and
PostgreSQL — so the memory store is proven faithful to the database.

A scenario is a plain coroutine taking a ``World``; it talks to the store only
through the ``ClientStore`` protocol and the world's three readers. Imports
no Ray, database or cache library."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.book import new_uuid
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput, InvalidTransition, NotFound, NotHosted
from noc_actors.domain.incident import Incident, create_incident
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
from noc_actors.runtime.client_runtime import ingest_together
from noc_actors.runtime.recorders import (
    RecordingHub,
    RecordingInvalidator,
    RecordingMetrics,
    RecordingTimer,
)
from noc_actors.runtime.shared import GroupStore

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class CountingStore:
    """A ``ClientStore`` in front of another: counts the commits that reached
    it, and ``fail_next`` makes the next commit fail before it does."""

    def __init__(self, inner: ClientStore) -> None:
        self.inner = inner
        self.commits = 0
        self.transactions = 0
        """``commit_many`` calls, refused ones too (``commit`` is one
        transaction per commit)."""
        self.fail_next: Exception | None = None
        self.gate: asyncio.Event | None = None
        """When set, ``commit_many`` waits for it (a slow transaction)."""

    async def load(self, tenant_id: str, client_id: str, now: datetime) -> LoadedClient:
        return await self.inner.load(tenant_id, client_id, now)

    async def commit(self, commit: Commit) -> None:
        if self.fail_next is not None:
            err, self.fail_next = self.fail_next, None
            raise err
        await self.inner.commit(commit)
        self.commits += 1

    async def commit_many(self, commits: Sequence[Commit]) -> None:
        """Several clients' commits in one transaction (``ingest_together``)."""
        self.transactions += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next is not None:
            err, self.fail_next = self.fail_next, None
            raise err
        inner = cast(GroupStore, self.inner)
        await inner.commit_many(commits)
        self.commits += len(commits)

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
    save_incident: Callable[[Incident], Awaitable[None]]
    """Store an incident as an operator changed it (the API's write)."""
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

    async def stored_incidents(self) -> list[Incident]:
        """The client's open incidents, as a load reads them."""
        return (await self.inner.load(self.tenant_id, self.client_id, self.clock.now())).incidents

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

    async def save_incident(incident: Incident) -> None:
        store.save_incident(incident)

    return World(store, "t1", "c1", "c2", seed, audit_actions, snapshots, save_incident)


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
    assert w.cache.bumps[bumps:] == [(w.tenant_id, w.client_id)]  # cached metrics go stale


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


async def _together(w: World, *calls: tuple[ClientRuntime, list[AlertDraft]]) -> list[Any]:
    return await ingest_together(
        [(rt, "alerts", drafts) for rt, drafts in calls], w.store.commit_many, w.cache, w.metrics
    )


async def many_clients_ingest_together_in_one_commit(w: World) -> None:
    """A host's batches for several clients: one transaction, each client's
    answer, pushes, deadlines and one cache bump for all."""
    a, b = w.runtime(), w.runtime(w.other_client_id)
    await asyncio.gather(a.ready(), b.ready())
    before = (w.store.commits, w.store.transactions)
    ra, rb = await _together(
        w,
        (a, [w.draft("door-1"), w.draft("door-2")]),
        (b, [w.draft("gate-1", client_id=w.other_client_id)]),
    )
    assert (w.store.commits, w.store.transactions) == (before[0] + 2, before[1] + 1)
    assert (ra["created"], rb["created"]) == (2, 1)
    assert sorted(a.entity_id or "" for a in await w.stored_open()) == ["door-1", "door-2"]
    (gate,) = await w.inner.alerts(w.tenant_id, [_id(rb)])
    assert (gate.client_id, gate.entity_id) == (w.other_client_id, "gate-1")
    pushed = sorted(e["alert"]["entity_id"] for e in w.hub.of_type("alert_new"))
    assert pushed == ["door-1", "door-2", "gate-1"]
    assert {d.alert_id for d in w.timer.armed} == {*(i["alert_id"] for i in ra["items"]), gate.id}
    assert sorted(w.cache.bumps) == sorted(
        [(w.tenant_id, w.client_id), (w.tenant_id, w.other_client_id)]
    )
    # Memory and store agree: the next batch folds into what was stored.
    (again,) = await _together(w, (a, [w.draft("door-1")]))
    assert (again["items"][0]["outcome"], _id(again)) == ("folded", ra["items"][0]["alert_id"])


async def a_busy_or_repeated_client_keeps_its_order(w: World) -> None:
    """A client not loaded yet, and a second batch for a client already in
    the group, take the client's own write path after the shared one: the
    second batch folds into what the first created."""
    a, b = w.runtime(), w.runtime(w.other_client_id)
    await a.ready()  # b is not loaded
    first, second, other = await _together(
        w,
        (a, [w.draft("door-1")]),
        (a, [w.draft("door-1")]),
        (b, [w.draft("gate-1", client_id=w.other_client_id)]),
    )
    assert first["created"] == 1
    assert (second["items"][0]["outcome"], _id(second)) == ("folded", _id(first))
    assert other["created"] == 1 and b.loaded
    assert (await w.stored(_id(first))).suppressed_count == 1


async def a_bad_batch_fails_only_its_own_client(w: World) -> None:
    """A batch the core refuses (a draft of another client) answers its
    error; the other clients of the group are stored, and the refused
    client works again on its next call (it reloads)."""
    a, b = w.runtime(), w.runtime(w.other_client_id)
    await asyncio.gather(a.ready(), b.ready())
    bad, good = await _together(
        w,
        (a, [w.draft("door-1"), w.draft("stray", client_id=w.other_client_id)]),
        (b, [w.draft("gate-1", client_id=w.other_client_id)]),
    )
    assert isinstance(bad, InvalidInput) and good["created"] == 1
    assert await w.stored_open() == []  # nothing of the refused batch
    (retry,) = await _together(w, (a, [w.draft("door-1")]))
    assert retry["created"] == 1
    assert [e["alert"]["entity_id"] for e in w.hub.of_type("alert_new")] == ["gate-1", "door-1"]


async def a_refused_shared_commit_is_retried_client_by_client(w: World) -> None:
    """The store refuses the shared transaction (another writer opened
    door-2's key): nothing of it was stored, and each client's batch is
    applied alone on memory reloaded from the store — the other client is
    stored, and door-2 folds into the alert the store holds."""
    a, b = w.runtime(), w.runtime(w.other_client_id)
    await asyncio.gather(a.ready(), b.ready())
    intruder = w.intruder(w.draft("door-2").key())
    await w.seed([intruder])  # runtime a does not know this alert
    before = w.store.transactions
    ra, rb = await _together(
        w, (a, [w.draft("door-2")]), (b, [w.draft("gate-1", client_id=w.other_client_id)])
    )
    assert w.store.transactions == before + 1  # the shared one, refused; then one each
    assert (ra["items"][0]["outcome"], _id(ra)) == ("folded", intruder.id)
    assert rb["created"] == 1
    assert (await w.stored(intruder.id)).suppressed_count == 1
    assert [e["alert"]["entity_id"] for e in w.hub.of_type("alert_new")] == ["gate-1"]


async def closing_waits_for_an_ingest_taken_together(w: World) -> None:
    """A client leaving its host (a move) while its batch is in a shared
    transaction returns only once that batch is stored: the next host then
    loads it. After that the client refuses writes (``NotHosted``)."""
    a, b = w.runtime(), w.runtime(w.other_client_id)
    await asyncio.gather(a.ready(), b.ready())
    w.store.gate = asyncio.Event()  # the shared transaction takes its time
    joint = asyncio.create_task(
        _together(
            w, (a, [w.draft("door-1")]), (b, [w.draft("gate-1", client_id=w.other_client_id)])
        )
    )
    await asyncio.sleep(0)
    closing = asyncio.create_task(a.close("pool-0"))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not closing.done()  # waits for the batch it accepted
    w.store.gate.set()
    await closing
    assert [x.entity_id for x in await w.stored_open()] == ["door-1"]
    ra, rb = await joint
    assert (ra["created"], rb["created"]) == (1, 1)
    (late,) = await _together(w, (a, [w.draft("door-2")]))
    assert isinstance(late, NotHosted)


def _incident_events(w: World) -> list[tuple[str, str, list[str]]]:
    return [
        (
            e["type"],
            e["action"],
            e["incident"].get("alert_ids", e["incident"].get("added_alert_ids")),
        )
        for e in w.hub.events
        if e["type"].startswith("incident_")
    ]


async def critical_bursts_open_one_incident_that_later_criticals_join(w: World) -> None:
    """SPEC 7 and 16: the third CRITICAL alert of a client within 10 minutes
    opens one incident holding all three, stored with them and pushed once;
    a later CRITICAL alert joins it (after a restart too: the load reads
    it); an operator's resolution ends the joining."""
    rt = w.runtime()
    first = await rt.ingest_alerts([w.draft("door-1"), w.draft("door-2")])
    w.clock.advance(minutes=9)
    second = await rt.ingest_alerts([w.draft("door-3"), w.draft("gate-1", Severity.HIGH)])
    burst = sorted([_id(first, 0), _id(first, 1), _id(second, 0)])
    ((kind, action, pushed),) = _incident_events(w)
    assert (kind, action, sorted(pushed)) == ("incident_new", "create", burst)
    assert w.store.commits == 2  # the incident went in with the batch that opened it
    (stored,) = await w.stored_incidents()
    assert (sorted(stored.alert_ids), stored.severity, stored.source) == (
        burst,
        Severity.CRITICAL,
        "rule:critical_burst",
    )
    assert stored.title.startswith("3 CRITICAL alerts within 10 minutes")
    assert await w.audit_actions(stored.id) == ["INCIDENT_CREATE"]

    later = w.runtime()  # a new incarnation: the rule's incident comes from the store
    w.clock.advance(minutes=30)
    third = await later.ingest_alerts([w.draft("door-4"), w.draft("door-5", Severity.HIGH)])
    kind, action, pushed = _incident_events(w)[-1]  # what joined, not the whole list
    assert (kind, action, pushed) == ("incident_updated", "link", [_id(third)])
    assert w.hub.events[-1]["incident"]["alert_count"] == 4
    (stored,) = await w.stored_incidents()
    assert sorted(stored.alert_ids) == sorted([*burst, _id(third)])
    assert await w.audit_actions(stored.id) == ["INCIDENT_CREATE", "INCIDENT_LINK"]

    stored.resolve("op-1", w.clock.now())  # the operator's API call, then its cascade
    await w.save_incident(stored)
    await later.incident_changed(stored)
    await later.transition("resolve", stored.alert_ids, "op-1")
    pushed = len(w.hub.events)
    await later.ingest_alerts([w.draft("door-6"), w.draft("door-7")])
    assert await w.stored_incidents() == []  # two CRITICAL alerts open: no incident
    assert not [e for e in w.hub.events[pushed:] if e["type"].startswith("incident_")]


async def alerts_outside_the_window_or_in_an_incident_open_none(w: World) -> None:
    """Only CRITICAL alerts first seen within the window count, and none
    already in an operator's incident."""
    rt = w.runtime()
    old = await rt.ingest_alerts([w.draft("door-1"), w.draft("door-2")])
    w.clock.advance(minutes=10, seconds=1)
    await rt.ingest_alerts([w.draft("door-3")])
    assert await w.stored_incidents() == []
    manual = create_incident([await w.stored(_id(old, 0))], "Door 1", w.clock.now())
    await w.save_incident(manual)
    await rt.incident_changed(manual)
    await rt.ingest_alerts([w.draft("door-4")])
    assert [i.id for i in await w.stored_incidents()] == [manual.id]  # door-1 is taken
    w.clock.advance(seconds=1)
    await rt.ingest_alerts([w.draft("door-5")])
    (_, auto) = await w.stored_incidents()
    assert len(auto.alert_ids) == 3 and _id(old, 0) not in auto.alert_ids


async def inhibited_targets_survive_a_restart_and_come_back_with_their_source(
    w: World,
) -> None:
    """Issue 14 item 2: a site outage mutes the client's DEVICE_OFFLINE
    alerts (the default rule); a new incarnation holds them again from the
    store (their repeats fold in), and resolving the outage brings back the
    ones still firing as NEW alerts, armed and pushed."""
    rt = w.runtime()
    down = await rt.ingest_alerts([w.draft("site", alert_type="SITE_DOWN")])
    cams = [w.draft(f"cam-{i}", Severity.HIGH, alert_type="DEVICE_OFFLINE") for i in range(3)]
    muted = await rt.ingest_alerts(cams)
    assert muted["suppressed"] == 3
    assert {i["reason"] for i in muted["items"]} == {f"inhibited by {_id(down)}"}
    assert [a.alert_type for a in await w.stored_open()] == ["SITE_DOWN"]

    later = w.runtime()
    again = await later.ingest_alerts([cams[0]])
    assert (again["suppressed"], again["items"][0]["alert_id"]) == (1, _id(muted))
    assert not await later.resolve_keys([muted["items"][2]["dedup_key"]])  # cam-2 is fine now
    pushed = len(w.hub.events)
    await later.transition("resolve", [_id(down)], "op-1")
    back = await w.stored_open()
    assert sorted(a.entity_id or "" for a in back) == ["cam-0", "cam-1"]
    assert {a.status for a in back} == {AlertStatus.NEW}
    assert all(w.timer.pending(a.id) is not None for a in back)
    news = [e["alert"]["entity_id"] for e in w.hub.events[pushed:] if e["type"] == "alert_new"]
    assert sorted(news) == ["cam-0", "cam-1"]
    assert (await w.stored(_id(muted))).status is AlertStatus.SUPPRESSED  # history stays


async def a_flapping_key_is_one_alert_stored_with_its_count(w: World) -> None:
    """Issue 14 item 3: the 6th open of a key within 30 minutes is one
    flapping alert; the source's resolves leave it open and each re-open
    counts, stored, across a restart too."""
    rt = w.runtime()
    opened: list[str] = []
    for _ in range(6):
        report = await rt.ingest_alerts([w.draft("gate", Severity.HIGH)])
        opened.append(_id(report))
        await rt.resolve_keys([report["items"][0]["dedup_key"]])
        w.clock.advance(seconds=30)
    key = report["items"][0]["dedup_key"]
    assert len(set(opened)) == 6
    (flap,) = await w.stored_open()  # the 6th: the resolve left it open
    assert (flap.id, flap.flapping, flap.flap_count) == (opened[-1], "resolved", 6)
    assert w.timer.pending(flap.id) is None  # not armed while it flaps
    later = w.runtime()
    again = await later.ingest_alerts([w.draft("gate", Severity.HIGH)])
    assert again["items"][0]["reason"] == "flapping" and _id(again) == flap.id
    (stored,) = await w.stored_open()
    assert stored.flap_count == 7
    assert w.hub.events[-1]["action"] == "flapping"
    assert w.hub.events[-1]["alert"]["flap_count"] == 7
    assert await later.resolve_keys([key]) == []  # still flapping: open


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
    many_clients_ingest_together_in_one_commit,
    a_busy_or_repeated_client_keeps_its_order,
    a_bad_batch_fails_only_its_own_client,
    a_refused_shared_commit_is_retried_client_by_client,
    closing_waits_for_an_ingest_taken_together,
    critical_bursts_open_one_incident_that_later_criticals_join,
    alerts_outside_the_window_or_in_an_incident_open_none,
    inhibited_targets_survive_a_restart_and_come_back_with_their_source,
    a_flapping_key_is_one_alert_stored_with_its_count,
]
