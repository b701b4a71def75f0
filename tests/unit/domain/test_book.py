"""SPEC 3: the ingest pipeline of one client — maintenance suppression, dedup
folding, backpressure shedding, creation with correlation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noc_actors.domain.backpressure import TenantBacklog
from noc_actors.domain.book import AlertBook, Outcome
from noc_actors.domain.draft import AlertDraft, AutoResolve
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput, InvalidTransition, NotFound
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.domain.policy import TenantPolicy

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def book() -> AlertBook:
    counter = itertools.count(1)
    return AlertBook("t1", "c1", TenantPolicy(), new_id=lambda: f"id-{next(counter)}")


def draft(entity: str = "d1", typ: str = "DEVICE_OFFLINE", **kw: object) -> AlertDraft:
    base: dict[str, object] = dict(
        tenant_id="t1",
        client_id="c1",
        alert_type=typ,
        message=f"{entity} offline",
        site_id="s1",
        entity_type="device",
        entity_id=entity,
    )
    base.update(kw)
    return AlertDraft(**base)  # type: ignore[arg-type]


def test_empty_batch_changes_nothing() -> None:
    b = book()
    result = b.ingest([], T0)
    assert result.items == [] and result.inserted == [] and result.folded == {}
    assert len(b) == 0


def test_new_alert_takes_the_tenant_default_severity_for_its_type() -> None:
    result = book().ingest([draft()], T0)
    (alert,) = result.created
    assert alert.severity is Severity.HIGH and alert.status is AlertStatus.NEW
    assert alert.first_seen == alert.last_seen == T0 and alert.correlation_id


def test_repeat_of_open_alert_folds_instead_of_creating_a_row() -> None:
    b = book()
    first = b.ingest([draft()], T0)
    second = b.ingest([draft()], T0 + timedelta(minutes=1))
    assert second.inserted == []
    (folded,) = second.folded.values()
    assert folded.id == first.inserted[0].id
    assert folded.suppressed_count == 1 and folded.last_seen == T0 + timedelta(minutes=1)
    assert second.items[0].outcome is Outcome.FOLDED


def test_repeats_within_one_batch_fold_into_the_row_the_batch_inserts() -> None:
    result = book().ingest([draft(), draft(), draft()], T0)
    assert len(result.inserted) == 1 and result.folded == {}
    assert result.inserted[0].suppressed_count == 2


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=7))
def test_n_repeats_of_one_key_give_one_open_alert_with_n_minus_1_suppressed(
    n: int, batch: int
) -> None:
    b = book()
    drafts = [draft() for _ in range(n)]
    inserted = []
    for start in range(0, n, batch):
        inserted += b.ingest(drafts[start : start + batch], T0 + timedelta(seconds=start)).inserted
    assert len(inserted) == 1
    (alert,) = b.open_alerts()
    assert alert.suppressed_count == n - 1


def test_resolved_alert_frees_its_key_and_the_next_repeat_opens_a_new_alert() -> None:
    b = book()
    first = b.ingest([draft()], T0).inserted[0]
    b.resolve(first.id, "u1", T0 + timedelta(minutes=5))
    again = b.ingest([draft()], T0 + timedelta(minutes=6))
    assert [i.outcome for i in again.items] == [Outcome.CREATED]
    assert again.inserted[0].id != first.id


def test_integration_dedup_key_overrides_the_computed_one() -> None:
    b = book()
    b.ingest([draft("x", dedup_key="am:abc")], T0)
    result = b.ingest([draft("y", dedup_key="am:abc")], T0)
    assert result.items[0].outcome is Outcome.FOLDED


def test_alert_under_maintenance_is_stored_suppressed_not_dropped() -> None:
    w = MaintenanceWindow(
        "w1",
        "t1",
        T0 - timedelta(hours=1),
        T0 + timedelta(hours=1),
        client_id="c1",
        reason="generator test",
    )
    b = book()
    result = b.ingest([draft()], T0, windows=[w])
    (alert,) = result.inserted
    assert alert.status is AlertStatus.SUPPRESSED
    assert alert.suppression_reason == "maintenance:w1"
    assert result.created == [] and len(b) == 0
    assert result.items[0].outcome is Outcome.SUPPRESSED


def test_repeats_under_maintenance_are_counted_on_one_suppressed_row() -> None:
    w = MaintenanceWindow("w1", "t1", T0, T0 + timedelta(hours=1))
    b = book()
    first = b.ingest([draft(), draft()], T0, windows=[w])
    assert len(first.inserted) == 1 and first.inserted[0].suppressed_count == 1
    later = b.ingest([draft()], T0 + timedelta(minutes=1), windows=[w])
    assert later.inserted == []
    assert later.folded[first.inserted[0].id].suppressed_count == 2


def test_maintenance_for_other_types_or_sites_does_not_suppress() -> None:
    windows = [
        MaintenanceWindow(
            "w1", "t1", T0, T0 + timedelta(hours=1), alert_types=frozenset({"SLA_BREACH"})
        ),
        MaintenanceWindow("w2", "t1", T0, T0 + timedelta(hours=1), site_id="s2"),
        MaintenanceWindow("w3", "t1", T0 - timedelta(hours=2), T0),  # ended exactly now
    ]
    result = book().ingest([draft()], T0, windows=windows)
    assert result.items[0].outcome is Outcome.CREATED


def test_backpressure_sheds_new_info_alerts_as_suppressed_but_keeps_higher_ones() -> None:
    b = book()
    result = b.ingest(
        [
            draft("i1", severity=Severity.INFO),
            draft("h1", severity=Severity.HIGH),
            draft("l1", severity=Severity.LOW),
        ],
        T0,
        backlog=TenantBacklog(forced=True),
    )
    outcomes = {i.dedup_key: i.outcome for i in result.items}
    assert sorted(outcomes.values()) == sorted(
        [Outcome.SUPPRESSED, Outcome.CREATED, Outcome.CREATED]
    )
    shed = [a for a in result.inserted if a.status is AlertStatus.SUPPRESSED]
    assert [a.severity for a in shed] == [Severity.INFO] and shed[
        0
    ].suppression_reason == "backpressure"


def test_backpressure_still_folds_repeats_of_an_open_info_alert() -> None:
    b = book()
    b.ingest([draft(severity=Severity.INFO)], T0)
    result = b.ingest([draft(severity=Severity.INFO)], T0, backlog=TenantBacklog(forced=True))
    assert result.items[0].outcome is Outcome.FOLDED


def test_a_storm_in_one_batch_sheds_info_exactly_beyond_the_threshold() -> None:
    """Threshold 1,000: the tenant may hold 1,001 NEW INFO/LOW alerts ("more
    than" triggers); every INFO alert after that is stored SUPPRESSED, while
    HIGH alerts in the same batch are created."""
    b = book()
    drafts = [draft(f"i{i}", severity=Severity.INFO) for i in range(3000)]
    drafts[1500:1500] = [draft(f"h{i}", severity=Severity.HIGH) for i in range(10)]
    result = b.ingest(drafts, T0, backlog=TenantBacklog(others=0))
    info = [i for i in result.items if drafts[i.index].severity is Severity.INFO]
    assert sum(i.outcome is Outcome.CREATED for i in info) == 1001
    assert sum(i.outcome is Outcome.SUPPRESSED for i in info) == 1999
    assert all(i.outcome is Outcome.SUPPRESSED for i in info[1001:])
    high = [i for i in result.items if drafts[i.index].severity is Severity.HIGH]
    assert [i.outcome for i in high] == [Outcome.CREATED] * 10


def test_other_clients_backlog_counts_toward_the_threshold() -> None:
    b = book()
    result = b.ingest(
        [draft(f"i{i}", severity=Severity.INFO) for i in range(5)],
        T0,
        backlog=TenantBacklog(others=998),
    )
    assert [i.outcome for i in result.items] == [Outcome.CREATED] * 3 + [Outcome.SUPPRESSED] * 2


def test_low_alerts_count_toward_the_threshold_but_are_never_shed() -> None:
    b = book()
    result = b.ingest(
        [draft(f"l{i}", severity=Severity.LOW) for i in range(3)]
        + [draft("i", severity=Severity.INFO)],
        T0,
        backlog=TenantBacklog(others=999),
    )
    assert [i.outcome for i in result.items] == [Outcome.CREATED] * 3 + [Outcome.SUPPRESSED]


def test_draft_for_another_client_is_rejected_naming_item_and_field() -> None:
    b = book()
    with pytest.raises(InvalidInput) as err:
        b.ingest([draft(), draft(client_id="c2")], T0)
    assert err.value.item == 1 and err.value.field == "client_id"


def test_observed_time_in_the_past_becomes_first_seen_but_future_is_clamped() -> None:
    b = book()
    past = b.ingest([draft("a", observed_at=T0 - timedelta(minutes=5))], T0).inserted[0]
    future = b.ingest([draft("b", observed_at=T0 + timedelta(minutes=5))], T0).inserted[0]
    assert past.first_seen == T0 - timedelta(minutes=5)
    assert future.first_seen == T0


def test_auto_resolve_closes_open_alert_about_the_entity() -> None:
    b = book()
    b.ingest([draft("d1"), draft("d2")], T0)
    done = b.auto_resolve([AutoResolve("DEVICE_OFFLINE", "device", "d1", "back online")], T0)
    assert [a.entity_id for a in done] == ["d1"]
    assert done[0].status is AlertStatus.RESOLVED and done[0].resolution_notes == "back online"
    assert [a.entity_id for a in b.open_alerts()] == ["d2"]


def test_resolve_by_integration_key() -> None:
    b = book()
    b.ingest([draft(dedup_key="pd:k1")], T0)
    assert [a.status for a in b.resolve_keys(["pd:k1", "pd:unknown"], T0, None)] == [
        AlertStatus.RESOLVED
    ]
    assert len(b) == 0


def test_transition_of_unknown_or_closed_alert_is_not_found() -> None:
    b = book()
    a = b.ingest([draft()], T0).inserted[0]
    b.resolve(a.id, "u", T0)
    with pytest.raises(NotFound):
        b.acknowledge(a.id, "u", T0)


def test_acknowledged_alert_stays_indexed_and_keeps_folding() -> None:
    b = book()
    a = b.ingest([draft()], T0).inserted[0]
    b.acknowledge(a.id, "u1", T0)
    with pytest.raises(InvalidTransition):
        b.acknowledge(a.id, "u1", T0)
    assert b.ingest([draft()], T0).items[0].outcome is Outcome.FOLDED


def test_load_rebuilds_the_open_index_after_restart() -> None:
    b = book()
    created = b.ingest([draft("d1"), draft("d2")], T0).inserted
    fresh = book()
    fresh.load(created)
    assert fresh.ingest([draft("d1")], T0).items[0].outcome is Outcome.FOLDED
    # Correlation survives too: a new alert of the same type joins the group.
    new = fresh.ingest([draft("d3")], T0 + timedelta(minutes=1)).inserted[0]
    assert new.correlation_id == created[0].correlation_id


def test_alert_types_are_data_a_tenant_may_add_its_own_with_a_severity() -> None:
    policy = TenantPolicy(type_severity={"FIRE_PANEL_FAULT": Severity.CRITICAL})
    b = AlertBook("t1", "c1", policy, new_id=lambda: "x")
    (alert,) = b.ingest([draft(typ="FIRE_PANEL_FAULT")], T0).inserted
    assert alert.severity is Severity.CRITICAL
    # A type nobody configured gets MEDIUM rather than failing.
    other = AlertBook("t1", "c1", TenantPolicy(), new_id=lambda: "y")
    assert other.ingest([draft(typ="SOMETHING_NEW")], T0).inserted[0].severity is Severity.MEDIUM


def test_tenant_types_extend_the_built_in_list_and_must_be_upper_case_identifiers() -> None:
    from pydantic import ValidationError

    policy = TenantPolicy(type_severity={"FIRE_PANEL_FAULT": Severity.CRITICAL})
    assert policy.severity_for_type("DEVICE_OFFLINE") is Severity.HIGH
    with pytest.raises(ValidationError, match="UPPER_CASE"):
        TenantPolicy(type_severity={"fire panel": Severity.LOW})


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["ingest", "ack", "escalate", "resolve", "suppress", "resolve_key", "load"]
        ),
        st.integers(0, 11),
        st.sampled_from(list(Severity)),
    ),
    max_size=60,
)


@given(ops=OPS)
@settings(max_examples=150, deadline=None)
def test_the_books_running_counts_equal_a_walk_over_its_open_alerts(
    ops: list[tuple[str, int, Severity]],
) -> None:
    """The backpressure count and the per-severity gauge are kept as alerts
    open and close (not recounted per operation): after any sequence of
    operations they equal what walking every open alert gives, and
    ``open_changes`` (which tells the metrics to gauge again) moves whenever
    the per-severity counts do."""
    from noc_actors.domain.backpressure import count_new_info_low

    b = book()
    now = T0
    for op, n, severity in ops:
        now += timedelta(seconds=1)
        counts, changes = b.open_by_severity(), b.open_changes
        open_ids = sorted(a.id for a in b.open_alerts())
        target = open_ids[n % len(open_ids)] if open_ids else None
        if op == "ingest":
            b.ingest([draft(f"e{n}", severity=severity)], now, backlog=TenantBacklog())
        elif op == "load":
            b.load([a for a in b.open_alerts() if a.id != target])  # one closed elsewhere
        elif target is None:
            continue
        elif op == "ack" and b.get(target).acknowledged_at is None:
            b.acknowledge(target, "op", now)
        elif op == "escalate":
            b.escalate(target, "oncall", now)
        elif op == "resolve":
            b.resolve(target, "op", now)
        elif op == "suppress":
            b.suppress(target, "test")
        elif op == "resolve_key":
            b.resolve_keys([b.get(target).dedup_key], now, "am")
        walked = {s: 0 for s in Severity}
        for a in b.open_alerts():
            walked[a.severity] += 1
        assert b.open_by_severity() == walked
        assert b.new_info_low() == count_new_info_low(b.open_alerts())
        if walked != counts:
            assert b.open_changes != changes


def test_a_draft_crosses_a_process_boundary_whole() -> None:
    """Drafts are pickled by their own ``__reduce__`` (a fast path): every
    field must survive it, including one added later."""
    import dataclasses
    import pickle

    values = {
        f.name: (
            Severity.HIGH
            if f.name == "severity"
            else {"k": 1}
            if f.name == "metadata"
            else datetime(2026, 1, 2, tzinfo=UTC)
            if f.name == "observed_at"
            else f"v-{f.name}"
        )
        for f in dataclasses.fields(AlertDraft)
    }
    draft = AlertDraft(**values)
    again = pickle.loads(pickle.dumps(draft))
    assert dataclasses.asdict(again) == values
