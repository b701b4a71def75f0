"""The pure rules of ingest (whose clients a caller may ingest for, times
from the future, idempotent batch keys) and the NOC's own ingest bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from noc_actors.domain.access import Principal
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.limits import MAX_BATCH
from serve_app.ingest.pipeline import Binding
from serve_app.ingest.report import BatchReport, ItemResult, ItemStatus
from serve_app.ingest.schemas import (
    AlertBatchIn,
    AlertIn,
    EventBatchIn,
    IngestOut,
    alert_draft,
    event_items,
    ingest_answer,
)
from serve_app.ingest.service import batch_key, default_client, ingest_scope, not_in_future
from tests.unit.ingest.world import caller_for, key_for

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_a_key_limited_to_one_client_ingests_for_that_client_only() -> None:
    assert ingest_scope(key_for("mall")) == frozenset({"mall"})
    assert default_client(key_for("mall")) == "mall"


def test_a_tenant_wide_key_or_an_admin_ingests_for_every_client_and_names_no_default() -> None:
    assert ingest_scope(key_for(None)) is None and default_client(key_for(None)) is None
    admin = caller_for(Principal("u1", "t1", is_admin=True))
    assert ingest_scope(admin) is None


def test_a_user_ingests_for_the_clients_it_may_see() -> None:
    user = caller_for(
        Principal(
            "u2",
            "t1",
            capabilities={"noc:view": True, "noc:view_client": True, "noc:ingest": True},
            assigned_client_ids=frozenset({"port"}),
        )
    )
    assert ingest_scope(user) == frozenset({"port"}) and default_client(user) == "port"


def test_a_time_up_to_an_hour_ahead_is_clock_skew_and_beyond_it_is_refused() -> None:
    not_in_future(NOW + timedelta(minutes=59), NOW, "x", 0)
    not_in_future(None, NOW, "x", 0)
    with pytest.raises(InvalidInput) as err:
        not_in_future(NOW + timedelta(minutes=61), NOW, "alerts.3.observed_at", 3)
    assert str(err.value) == "item 3: alerts.3.observed_at: is more than 1 hour in the future"


def test_a_batch_key_is_the_idempotency_key_plus_a_digest_of_the_items() -> None:
    a = [AlertDraft("t1", "mall", "X", "one")]
    b = [AlertDraft("t1", "mall", "X", "two")]
    assert batch_key(None, a) is None
    assert batch_key("k", a) == batch_key("k", list(a))
    assert batch_key("k", a) != batch_key("k", b)
    assert str(batch_key("k", a)).startswith("k#")


def test_an_alert_body_refuses_unknown_fields_and_oversized_batches_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        AlertBatchIn.model_validate(
            {"alerts": [{"alert_type": "X", "message": "m", "client_id": "c", "colour": "red"}]}
        )
    assert err.value.errors()[0]["loc"] == ("alerts", 0, "colour")
    one = {"alert_type": "X", "message": "m", "client_id": "c"}
    with pytest.raises(ValidationError):
        AlertBatchIn.model_validate({"alerts": [one] * (MAX_BATCH + 1)})
    with pytest.raises(ValidationError, match="metadata is"):
        AlertIn.model_validate(one | {"metadata": {"blob": "x" * 20_000}})
    assert AlertIn.model_validate(one | {"severity": " high "}).severity == "HIGH"


def test_a_posted_dedup_key_is_namespaced_by_source_and_client() -> None:
    a = AlertIn.model_validate(
        {"alert_type": "UPS", "message": "m", "client_id": "Harbour Mall", "dedup_key": "k1"}
    )
    draft = alert_draft(a, Binding("t1", "mall", "mall-n"))
    assert (draft.client_id, draft.site_id, draft.dedup_key) == ("mall", "mall-n", "api:mall:k1")
    assert draft.source == "api"
    plain = alert_draft(a.model_copy(update={"dedup_key": None}), Binding("t1", "mall", None))
    assert plain.dedup_key is None and plain.key() != draft.key()


def test_event_items_name_their_fields_and_rebind_a_client_given_by_name() -> None:
    body = EventBatchIn.model_validate(
        {
            "events": [
                {
                    "kind": "ticket",
                    "id": "T1",
                    "client_id": "Harbour Mall",
                    "site_id": "mall-n",
                    "priority": "P1",
                    "status": "OPEN",
                    "created_at": NOW.isoformat(),
                    "title": "Lift stuck",
                }
            ]
        }
    )
    (item,) = event_items(body)
    assert (item.field(item.client_field), item.field(item.site_field)) == (
        "events.0.client_id",
        "events.0.site_id",
    )
    assert item.times == (("created_at", NOW),)
    bound = item.bind(Binding("t1", "mall", "mall-n"))
    assert not isinstance(bound, str | AlertDraft) and bound.client_id == "mall"


def test_the_ingest_answer_is_an_ingest_out_document() -> None:
    report = BatchReport(created=1, folded=1)
    report.record(ItemResult(1, ItemStatus.FOLDED, "a1", "k"))
    report.record(ItemResult(0, ItemStatus.CREATED, "a1", "k"))
    report.reject(2, "client 'old' is disabled")
    body = ingest_answer(report)
    assert IngestOut.model_validate(body).model_dump(exclude_none=True) == body
    assert [i["index"] for i in body["items"]] == [0, 1, 2]
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert "retry" not in body["items"][2] and body["alerts"] == []
