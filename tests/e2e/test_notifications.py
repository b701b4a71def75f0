"""Notifications end to end (issue 13): contact points over the API, an
escalation of a real alert, the notifier actor sending to real receivers on
loopback (an aiohttp server, an aiosmtpd server), the delivery log, retries,
timeouts, the acknowledge link — and kills of the notifier and the aggregator
mid-send.

The world's sites have no on-call users, so every escalation goes to the
tenant admins: the admin's contact points (who holds noc:view_pii) and the
tenant's own (a team channel: masked)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import ray
from sqlalchemy import text

from noc_actors.actors import names
from noc_actors.domain.notify.signing import verify
from noc_actors.store.db import make_engine
from tests.e2e.conftest import PII_VALUES, Api, pii_metadata
from tests.e2e.receivers import HttpReceiver, smtp_sink, wait_for

SECRET = "s3cret-" + "x" * 20


def add_contact(api: Api, made: list[str], body: dict[str, Any]) -> dict[str, Any]:
    body = {"name": f"{body['channel']}-{uuid.uuid4().hex[:6]}", **body}
    with api.client("admin") as c:
        r = c.post("/api/noc/contact-points", json=body)
    assert r.status_code == 201, r.text
    made.append(r.json()["id"])
    return dict(r.json())


def admin_hook(api: Api, made: list[str], url: str, **config: str) -> dict[str, Any]:
    """A webhook contact point of the admin (who holds noc:view_pii)."""
    body = {"channel": "webhook", "user_id": api.ids["admin"], "config": {"url": url, **config}}
    return add_contact(api, made, body)


def critical_alert(api: Api) -> str:
    item = {
        "alert_type": "SECURITY_ANOMALY",
        "message": "door forced",
        "client_id": api.ids["a1"],
        "site_id": api.ids["a1-n"],
        "severity": "CRITICAL",
        "entity_type": "door",
        "entity_id": f"door-{uuid.uuid4().hex[:6]}",
        "metadata": pii_metadata(),
    }
    with api.client("key") as c:
        r = c.post("/api/noc/alerts", json={"alerts": [item]})
    assert r.status_code == 200, r.text
    return str(r.json()["items"][0]["alert_id"])


def escalate(api: Api, alert_id: str) -> None:
    with api.client("admin") as c:
        r = c.post(f"/api/noc/alerts/{alert_id}/escalate")
    assert r.status_code == 200, r.text


def log_of(api: Api, alert_id: str) -> dict[str, Any]:
    with api.client("admin") as c:
        r = c.get(f"/api/noc/alerts/{alert_id}/notifications")
    assert r.status_code == 200, r.text
    return dict(r.json())


def settled(api: Api, alert_id: str, n: int) -> dict[str, Any] | None:
    """The log once ``n`` deliveries exist and none is pending."""
    log = log_of(api, alert_id)
    done = [d for d in log["deliveries"] if d["state"] != "pending"]
    return log if len(log["deliveries"]) == n and len(done) == n else None


def for_alert(received: list[Any], alert_id: str) -> list[Any]:
    return [r for r in received if r.json().get("alert", {}).get("id") == alert_id]


# --- contact points ------------------------------------------------------------------


def test_contact_points_keep_their_secrets_and_changes_are_audited(
    api: Api, contacts: list[str]
) -> None:
    made = add_contact(
        api,
        contacts,
        {"channel": "webhook", "config": {"url": "http://127.0.0.1:9/hook", "secret": SECRET}},
    )
    assert made["secrets_set"] == ["secret"] and "secret" not in made["config"]
    assert SECRET not in str(made)
    (stored,) = api.sql("SELECT secret, config FROM contact_points WHERE id = :i", i=made["id"])
    assert SECRET not in str(stored)  # encrypted at rest
    with api.client("admin") as c:
        r = c.patch(f"/api/noc/contact-points/{made['id']}", json={"min_severity": "HIGH"})
        assert r.status_code == 200 and r.json()["secrets_set"] == ["secret"]
        # a band (HIGH only), then a bound below the floor: refused, nothing changed
        r = c.patch(f"/api/noc/contact-points/{made['id']}", json={"max_severity": "HIGH"})
        assert r.status_code == 200 and r.json()["max_severity"] == "HIGH", r.text
        r = c.patch(f"/api/noc/contact-points/{made['id']}", json={"max_severity": "MEDIUM"})
        assert r.status_code == 422 and "max_severity" in r.text
        r = c.patch(f"/api/noc/contact-points/{made['id']}", json={"max_severity": None})
        assert r.status_code == 200 and r.json()["max_severity"] is None
        bad = c.post(
            "/api/noc/contact-points",
            json={"name": "x", "channel": "email", "config": {"to": "not-an-address"}},
        )
        assert bad.status_code == 422 and "config" in bad.text
        dup = c.post(
            "/api/noc/contact-points",
            json={"name": made["name"], "channel": "slack", "config": {"url": "http://h/x"}},
        )
        assert dup.status_code == 409
    with api.client("operator") as c:  # no noc:configure
        assert c.get("/api/noc/contact-points").status_code == 403
    rows = api.sql(
        "SELECT metadata FROM audit_log WHERE entity_type = 'contact_point' AND entity_id = :i",
        i=made["id"],
    )
    assert len(rows) == 4 and all(SECRET not in str(r[0]) for r in rows)


# --- one delivery per level and contact, signed, masked per recipient ----------------


def test_each_level_reaches_each_contact_once_signed_and_masked_per_recipient(
    api: Api, receiver: HttpReceiver, contacts: list[str]
) -> None:
    admin_hook(api, contacts, receiver.url("/admin"), secret=SECRET)
    add_contact(api, contacts, {"channel": "slack", "config": {"url": receiver.url("/team")}})
    alert_id = critical_alert(api)
    escalate(api, alert_id)
    wait_for(lambda: settled(api, alert_id, 2))
    escalate(api, alert_id)
    log = wait_for(lambda: settled(api, alert_id, 4))
    assert sorted((d["level"], d["channel"], d["state"]) for d in log["deliveries"]) == [
        (1, "slack", "sent"),
        (1, "webhook", "sent"),
        (2, "slack", "sent"),
        (2, "webhook", "sent"),
    ]
    hooks = for_alert(receiver.at("/admin"), alert_id)
    assert [h.json()["level"] for h in hooks] == [1, 2]
    for h in hooks:  # signed, fresh, with the delivery's idempotency key
        stamp = int(h.headers["X-NOC-Timestamp"])
        assert verify(SECRET, stamp, h.body, h.headers["X-NOC-Signature"], now=time.time())
        assert h.headers["Idempotency-Key"] == h.json()["delivery_id"]
        assert PII_VALUES[1] in h.body.decode()  # the admin holds noc:view_pii
    slack = [t for t in receiver.at("/team") if "ESCALATED" in t.json()["text"]]
    assert len(slack) == 2 and all("blocks" in t.json() for t in slack)
    for t in slack:  # a team channel has no user: masked
        assert not any(v in t.body.decode() for v in PII_VALUES)
    assert [a["outcome"] for a in log["attempts"]] == ["sent"] * 4
    with api.client("operator") as c:  # no noc:view_pii: contact names masked like the alert
        seen = c.get(f"/api/noc/alerts/{alert_id}/notifications").json()
    names = {d["contact_name"] for d in log["deliveries"]}
    assert {d["contact_name"] for d in seen["deliveries"]}.isdisjoint(names)
    assert len(seen["deliveries"]) == 4
    with api.client("admin") as c:
        csv = c.get("/api/noc/exports/notifications.csv")
    assert csv.status_code == 200 and csv.text.startswith("id,at,alert_id,kind,level")
    assert sum(alert_id in line for line in csv.text.splitlines()) == 4

    with api.client("admin") as c:
        r = c.post(f"/api/noc/alerts/{alert_id}/resolve", json={"notes": "fixed"})
    assert r.status_code == 200, r.text
    log = wait_for(lambda: settled(api, alert_id, 6))
    resolved = [d for d in log["deliveries"] if d["kind"] == "resolved"]
    assert sorted(d["channel"] for d in resolved) == ["slack", "webhook"]
    hooks = for_alert(receiver.at("/admin"), alert_id)
    assert [h.json()["kind"] for h in hooks] == ["escalation", "escalation", "resolved"]
    assert hooks[-1].json()["ack_url"] is None


# --- retries, refusals, timeouts -----------------------------------------------------


def test_a_flaky_endpoint_is_retried_a_bad_request_is_not(
    api: Api, receiver: HttpReceiver, contacts: list[str]
) -> None:
    receiver.script["/flaky"] = [500, 500, 200]
    receiver.script["/bad"] = [400]
    for path in ("/flaky", "/bad"):
        admin_hook(api, contacts, receiver.url(path))
    alert_id = critical_alert(api)
    escalate(api, alert_id)
    log = wait_for(lambda: settled(api, alert_id, 2), timeout_s=20)
    by_contact = {d["contact_name"]: d for d in log["deliveries"]}
    tries: dict[str, list[tuple[int, str, int | None]]] = {}
    for a in log["attempts"]:
        tries.setdefault(a["contact_name"], []).append(
            (a["attempt"], a["outcome"], a["status_code"])
        )
    (flaky,) = [n for n, d in by_contact.items() if d["state"] == "sent"]
    (bad,) = [n for n, d in by_contact.items() if d["state"] == "failed"]
    assert tries[flaky] == [(1, "retry", 500), (2, "retry", 500), (3, "sent", 200)]
    assert tries[bad] == [(1, "failed", 400)]
    keys = {r.headers["Idempotency-Key"] for r in for_alert(receiver.at("/flaky"), alert_id)}
    assert len(keys) == 1  # three tries, one delivery to the receiver


def test_a_hanging_endpoint_times_out_and_slows_neither_ingest_nor_escalation(
    api: Api, receiver: HttpReceiver, contacts: list[str]
) -> None:
    def ingest_ms() -> float:
        began = time.perf_counter()
        critical_alert(api)
        return (time.perf_counter() - began) * 1000

    before = sorted(ingest_ms() for _ in range(5))[2]
    receiver.script["/hang"] = [0]
    admin_hook(api, contacts, receiver.url("/hang"))
    alert_id = critical_alert(api)
    escalate(api, alert_id)
    wait_for(lambda: receiver.at("/hang"))
    during = sorted(ingest_ms() for _ in range(5))[2]
    began = time.perf_counter()
    other = critical_alert(api)
    escalate(api, other)  # an escalation's answer does not wait for any send
    escalate_ms = (time.perf_counter() - began) * 1000
    print(f"ingest median {before:.0f} ms before, {during:.0f} ms while an endpoint hangs; "
          f"ingest + escalate {escalate_ms:.0f} ms")  # fmt: skip
    assert during < before + 500 and escalate_ms < 2000
    log = wait_for(
        lambda: [a for a in log_of(api, alert_id)["attempts"] if a["outcome"] == "timeout"]
    )
    assert log[0]["error"] == "timed out" and log[0]["latency_ms"] >= 1000


# --- email ---------------------------------------------------------------------------


def test_email_arrives_at_a_real_smtp_server_masked_for_a_team_address(
    api: Api, contacts: list[str]
) -> None:
    with smtp_sink() as sink:
        common = {"from": "noc@example.com", "host": "127.0.0.1", "port": sink.port}
        add_contact(
            api,
            contacts,
            {
                "channel": "email",
                "user_id": api.ids["admin"],
                "config": {**common, "to": "admin@example.com", "starttls": False},
            },
        )
        add_contact(
            api,
            contacts,
            {
                "channel": "email",
                "config": {**common, "to": "team@example.com", "starttls": False},
            },
        )
        alert_id = critical_alert(api)
        escalate(api, alert_id)
        wait_for(lambda: len(sink.messages) >= 2)
        got = {m["To"]: m for m in sink.messages}
    assert set(got) == {"admin@example.com", "team@example.com"}

    def text_of(m: Any) -> str:
        parts = [p.get_payload(decode=True) for p in m.walk() if not p.is_multipart()]
        return "\n".join(p.decode() for p in parts)

    team, admin = text_of(got["team@example.com"]), text_of(got["admin@example.com"])
    assert "ESCALATED" in got["team@example.com"]["Subject"]
    assert not any(v in team for v in PII_VALUES)  # no noc:view_pii behind a team address
    assert PII_VALUES[1] in admin
    assert "/api/noc/ack/" in team and "<a href=" in team  # plain text and HTML


# --- the acknowledge link ------------------------------------------------------------


def test_the_acknowledge_link_works_once_is_audited_and_expires(
    api: Api, receiver: HttpReceiver, contacts: list[str]
) -> None:
    admin_hook(api, contacts, receiver.url("/ack"))
    alert_id = critical_alert(api)
    escalate(api, alert_id)
    (hook,) = wait_for(lambda: for_alert(receiver.at("/ack"), alert_id))
    token = hook.json()["ack_url"].rsplit("/", 1)[1]
    path = f"/api/noc/ack/{token}"
    with httpx.Client(base_url=api.base_url, timeout=30) as c:  # no login
        page = c.get(path)
        assert page.status_code == 200 and "<form method='post'>" in page.text
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
        first = c.post(path, headers={"Accept": "application/json", "User-Agent": "phone"})
        assert first.status_code == 200 and first.json()["outcome"] == "acknowledged"
        again = c.post(path, headers={"Accept": "application/json"})
        assert again.status_code == 409
        assert c.get(path).status_code == 409
        assert c.post("/api/noc/ack/" + "A" * 43).status_code == 404
    with api.client("admin") as c:
        alert = c.get(f"/api/noc/alerts/{alert_id}").json()
    assert alert["status"] == "ACKNOWLEDGED" and alert["acknowledged_by"] == api.ids["admin"]
    (row,) = api.sql(
        "SELECT actor_id, user_agent FROM audit_log WHERE action = 'ACKNOWLEDGE' "
        "AND entity_id = :a",
        a=alert_id,
    )
    assert row[0] == api.ids["admin"] and row[1].startswith("noc-ack-link")

    other = critical_alert(api)
    escalate(api, other)
    (hook,) = wait_for(lambda: for_alert(receiver.at("/ack"), other))
    token = hook.json()["ack_url"].rsplit("/", 1)[1]
    expire_links(api, other)
    with httpx.Client(base_url=api.base_url, timeout=30) as c:
        assert c.post(f"/api/noc/ack/{token}").status_code == 410


def expire_links(api: Api, alert_id: str) -> None:
    async def run() -> None:
        engine = make_engine(api.url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("UPDATE ack_links SET expires_at = :t WHERE alert_id = :a"),
                    {"t": datetime(2000, 1, 1, tzinfo=UTC), "a": alert_id},
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


# --- kills mid-send ------------------------------------------------------------------


def test_killing_the_notifier_and_the_aggregator_mid_send_delivers_once_in_effect(
    api: Api, receiver: HttpReceiver, contacts: list[str]
) -> None:
    receiver.delay_s["/slow"] = 1.0  # answers after the notifier is gone
    admin_hook(api, contacts, receiver.url("/slow"))
    alert_id = critical_alert(api)
    escalate(api, alert_id)
    wait_for(lambda: for_alert(receiver.at("/slow"), alert_id), every_s=0.02)
    ns = api.settings.ray_namespace
    ray.kill(ray.get_actor(names.NOTIFIER, namespace=ns), no_restart=False)
    with api.client("admin") as c:
        status = c.get(f"/api/noc/alerts/{alert_id}").json()
    assert status["escalation_level"] == 1
    supervisor = ray.get_actor(names.SUPERVISOR, namespace=ns)
    _, host = ray.get(supervisor.route.remote(api.ids["a1"]))
    ray.kill(host, no_restart=False)
    log = wait_for(lambda: settled(api, alert_id, 1), timeout_s=40)
    (delivery,) = log["deliveries"]
    assert delivery["state"] == "sent"
    arrived = for_alert(receiver.at("/slow"), alert_id)
    assert len(arrived) >= 2  # at least once on the wire: the lease ran out, sent again
    assert {r.headers["Idempotency-Key"] for r in arrived} == {delivery["id"]}  # once in effect
    escalate(api, alert_id)  # the restarted aggregator escalates on: level 2, once
    log = wait_for(lambda: settled(api, alert_id, 2), timeout_s=20)
    assert sorted(d["level"] for d in log["deliveries"]) == [1, 2]
