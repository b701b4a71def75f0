"""The pure part of notifications: which changes call for a notice, who a
notice reaches, how a send is judged and retried, signatures, and what each
channel is sent (masked for a recipient without noc:view_pii)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.escalation import EscalationContacts
from noc_actors.domain.notify import render
from noc_actors.domain.notify.contacts import (
    ContactPoint,
    escalation_contacts,
    resolution_contacts,
    target_users,
)
from noc_actors.domain.notify.notices import notices_of
from noc_actors.domain.notify.retry import RetryPolicy, http_retryable
from noc_actors.domain.notify.signing import new_token, signature, token_hash, verify
from tests.aggregates import counted_aggregate

T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
PII = {"person_name": "Jane Roe", "email": "jane.roe@example.com", "phone": "+1 555 867 5309"}


def aggregate() -> ClientAggregate:
    agg = counted_aggregate()
    agg.contacts = EscalationContacts(site_oncall={"s1": "u-oncall"})
    return agg


def critical() -> AlertDraft:
    return AlertDraft(
        "t1",
        "c1",
        "SECURITY_ANOMALY",
        "door forced, call jane.roe@example.com",
        site_id="s1",
        entity_type="door",
        entity_id="d1",
        metadata=dict(PII),
    )


def contact(cid: str, user: str | None, **kw: object) -> ContactPoint:
    return ContactPoint(cid, "t1", f"name-{cid}", "webhook", {"url": "http://x"}, user, **kw)  # type: ignore[arg-type]


# --- notices ------------------------------------------------------------------------


def test_each_escalation_level_and_the_resolution_of_an_escalated_alert_call_for_a_notice() -> None:
    agg = aggregate()
    (alert,) = agg.ingest_alerts([critical()], T0).ingest.created
    assert notices_of(agg.ingest_alerts([critical()], T0), T0) == []  # a fold tells nobody
    first = agg.escalate([alert.id], "u-op", T0 + timedelta(minutes=1))
    (n1,) = notices_of(first, T0)
    assert (n1.kind, n1.level, n1.target, n1.severity) == ("escalation", 1, "u-oncall", "CRITICAL")
    (n2,) = notices_of(agg.escalate([alert.id], "u-op", T0 + timedelta(minutes=2)), T0)
    assert (n2.level, n2.target) == (2, "tenant_admins")  # the chain's next available target
    resolved = agg.resolve([alert.id], "u-op", T0 + timedelta(minutes=3))
    (n3,) = notices_of(resolved, T0)
    assert (n3.kind, n3.level, n3.target) == ("resolved", 0, None)


def test_resolving_an_alert_that_never_escalated_tells_nobody() -> None:
    agg = aggregate()
    (alert,) = agg.ingest_alerts([critical()], T0).ingest.created
    assert notices_of(agg.resolve([alert.id], "u-op", T0), T0) == []


# --- who hears it -------------------------------------------------------------------


def test_an_escalation_reaches_its_users_contacts_and_the_tenants_by_severity() -> None:
    contacts = [
        contact("a", "u1"),
        contact("b", "u2"),
        contact("team", None),
        contact("loud", None, min_severity=Severity.CRITICAL),
        contact("off", "u1", enabled=False),
    ]
    got = escalation_contacts(contacts, ["u1"], Severity.HIGH)
    assert [c.id for c in got] == ["a", "team"]
    got = escalation_contacts(
        contacts, target_users("tenant_admins", ["u2", "u1"]), Severity.CRITICAL
    )
    assert [c.id for c in got] == ["a", "b", "loud", "team"]
    assert target_users(None, ["u1"]) == []


def test_a_users_rules_split_by_severity_band() -> None:
    """CRITICAL → email and webhook at once; HIGH → email after 5 minutes
    (its own band: a CRITICAL alert does not also get the late email)."""
    rules = [
        contact("mail-now", "u1", min_severity=Severity.CRITICAL),
        contact("hook-now", "u1", min_severity=Severity.CRITICAL),
        contact(
            "mail-late", "u1", min_severity=Severity.HIGH, max_severity=Severity.HIGH, delay_s=300
        ),
    ]
    assert [c.id for c in escalation_contacts(rules, ["u1"], Severity.CRITICAL)] == [
        "hook-now",
        "mail-now",
    ]
    assert [c.id for c in escalation_contacts(rules, ["u1"], Severity.HIGH)] == ["mail-late"]
    assert escalation_contacts(rules, ["u1"], Severity.MEDIUM) == []


def test_a_resolution_reaches_only_contacts_that_were_told_and_want_it() -> None:
    contacts = [contact("a", "u1"), contact("b", "u2", send_resolved=False), contact("c", None)]
    assert [c.id for c in resolution_contacts(contacts, ["a", "b"])] == ["a"]


# --- retry --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry"),
    [(None, True), (408, True), (429, True), (500, True), (503, True), (400, False), (404, False)],
)
def test_http_failures_worth_another_try(status: int | None, retry: bool) -> None:
    assert http_retryable(status) is retry


def test_backoff_doubles_under_a_cap_with_full_jitter_and_gives_up_after_the_last_try() -> None:
    policy = RetryPolicy(max_attempts=4, base_s=2, cap_s=10)
    assert [policy.backoff_s(n, lambda: 0.999999) for n in (1, 2, 3, 4)] == pytest.approx(
        [2, 4, 8, 10], rel=1e-5
    )
    assert policy.backoff_s(3, lambda: 0.0) == 0
    assert policy.judge(True, False, 1) == "sent"
    assert policy.judge(False, True, 3) == "retry"
    assert policy.judge(False, True, 4) == "failed"
    assert policy.judge(False, False, 1) == "failed"


# --- signing ------------------------------------------------------------------------


def test_a_signature_verifies_only_for_its_body_secret_and_a_fresh_timestamp() -> None:
    body = b'{"a":1}'
    sig = signature("s" * 20, 1_000, body)
    assert sig.startswith("sha256=")
    assert verify("s" * 20, 1_000, body, sig, now=1_100)
    assert not verify("s" * 20, 1_000, b'{"a":2}', sig, now=1_100)
    assert not verify("t" * 20, 1_000, body, sig, now=1_100)
    assert not verify("s" * 20, 1_000, body, sig, now=1_000 + 301)  # a replay, later


def test_tokens_are_random_and_stored_as_hashes() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert token_hash(a) != a and len(token_hash(a)) == 64


# --- render -------------------------------------------------------------------------


def _alert_json() -> dict[str, object]:
    agg = aggregate()
    (alert,) = agg.ingest_alerts([critical()], T0).ingest.created
    agg.escalate([alert.id], "u-op", T0)
    return alert.to_json()


def test_a_recipient_without_view_pii_gets_every_channel_masked() -> None:
    m = render.message(_alert_json(), "escalation", 1, False, "http://noc/api/noc/ack/tok")
    text, page = render.email_bodies(m)
    bodies = [
        json.dumps(render.webhook_body(m)),
        json.dumps(render.slack_body(m)),
        json.dumps(render.pagerduty_body(m, "rk")),
        text,
        page,
        m.subject,
    ]
    for body in bodies:
        for value in PII.values():
            assert value not in body
    assert "http://noc/api/noc/ack/tok" in text and "Acknowledge" in page
    for body in bodies[:-1]:  # the details are there, masked
        assert "j***e@example.com" in body


def test_a_recipient_with_view_pii_sees_the_values_and_a_resolution_has_no_link() -> None:
    alert = _alert_json()
    m = render.message(alert, "escalation", 1, True, "http://l")
    assert render.webhook_body(m)["alert"]["metadata"]["email"] == PII["email"]
    done = render.message(alert, "resolved", 0, True, "http://l")
    assert done.ack_url is None and done.subject.startswith("[CRITICAL] RESOLVED")
    event = render.pagerduty_body(done, "rk")
    assert event == {"routing_key": "rk", "event_action": "resolve", "dedup_key": alert["id"]}


def test_slack_gets_blocks_with_an_acknowledge_button() -> None:
    body = render.slack_body(render.message(_alert_json(), "escalation", 2, False, "http://l"))
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][-1]["elements"][0]["url"] == "http://l"
    assert "level 2" in body["text"]
