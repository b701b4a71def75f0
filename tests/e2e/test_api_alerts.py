"""REST over real HTTP: authentication, scope, 404 across tenants, audited
denials with the source address, transitions with audit rows and 409s, PII
masking, validation errors naming the field, correlation ids."""

from __future__ import annotations

import json

import httpx

from tests.e2e.conftest import OPERATOR_KEY, PII_VALUES, Api

OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}


def test_missing_or_bad_token_is_401_with_a_json_error(api: Api) -> None:
    with api.client(None) as c:
        r = c.get("/api/noc/alerts")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "unauthenticated" and err["correlation_id"]
    assert r.headers["x-correlation-id"] == err["correlation_id"]
    with api.client(None, Authorization="Bearer noc_not-a-real-token-at-all") as c:
        assert c.get("/api/noc/alerts").status_code == 401


def test_site_scoped_user_sees_exactly_the_alerts_of_its_site(api: Api) -> None:
    with api.client("guard") as c:
        r = c.get("/api/noc/alerts", params={"limit": 500})
        assert r.status_code == 200
        got = {a["id"] for a in r.json()["items"]}
        assert got == set(api.alerts["a1-n"])
        other = api.alerts["a1-s"][0]
        denied = c.get(f"/api/noc/alerts/{other}", headers={"X-Correlation-ID": "probe-1"})
        assert denied.status_code == 403
        assert c.get(f"/api/noc/alerts/{api.alerts['a1-n'][0]}").status_code == 200
        # Asking for another client explicitly gives nothing, never more.
        r = c.get("/api/noc/alerts", params={"client_id": api.ids["a2"]})
        assert r.json()["items"] == []
    rows = api.sql(
        "SELECT actor_id, source_ip, entity_id, correlation_id FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'probe-1'"
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [(api.ids["guard"], "127.0.0.1", other)]


def test_every_object_of_another_tenant_is_404(api: Api) -> None:
    theirs = api.alerts["b1-x"][0]
    with api.client("admin") as c:
        assert c.get(f"/api/noc/alerts/{theirs}").status_code == 404
        assert c.post(f"/api/noc/alerts/{theirs}/acknowledge").status_code == 404
        r = c.post("/api/noc/alerts/bulk", json={"action": "resolve", "alert_ids": [theirs]})
        assert r.json()["results"][0]["status"] == 404
        listed = {a["id"] for a in c.get("/api/noc/alerts", params={"limit": 500}).json()["items"]}
        assert theirs not in listed
    with api.client("admin_b") as c:
        assert c.get(f"/api/noc/alerts/{theirs}").status_code == 200


def test_missing_capability_is_403_and_audited_with_the_source_address(api: Api) -> None:
    target = api.alerts["a2-x"][0]
    with api.client("viewer", **{"X-Correlation-ID": "probe-2"}) as c:
        r = c.post(f"/api/noc/alerts/{target}/acknowledge")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    rows = api.sql(
        "SELECT metadata, source_ip FROM audit_log WHERE "
        "action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'probe-2'"
    )
    assert len(rows) == 1 and rows[0][1] == "127.0.0.1"
    meta = rows[0][0] if isinstance(rows[0][0], dict) else json.loads(rows[0][0])
    assert meta["capability"] == "noc:ack_alerts"


def test_transitions_set_their_fields_and_audit_rows_and_closed_alerts_answer_409(
    api: Api,
) -> None:
    a, b = api.alerts["a2-x"]
    with api.client("operator") as c:
        ack = c.post(f"/api/noc/alerts/{a}/acknowledge")
        assert ack.status_code == 200, ack.text
        assert ack.json()["status"] == "ACKNOWLEDGED" and ack.json()["acknowledged_at"]
        assigned = c.post(f"/api/noc/alerts/{a}/assign", json={"assignee": api.ids["operator"]})
        assert assigned.json()["status"] == "ASSIGNED" and assigned.json()["assigned_at"]
        esc = c.post(f"/api/noc/alerts/{b}/escalate")
        assert esc.json()["status"] == "ESCALATED" and esc.json()["escalation_level"] == 1
        res = c.post(f"/api/noc/alerts/{a}/resolve", json={"notes": "door repaired"})
        assert res.json()["status"] == "RESOLVED" and res.json()["resolution_notes"]
        again = c.post(f"/api/noc/alerts/{a}/acknowledge")
        assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
        missing = c.post(f"/api/noc/alerts/{b}/assign", json={})
        assert missing.status_code == 422 and "assignee" in missing.json()["error"]["message"]
    actions = {
        (r[0], r[1])
        for r in api.sql(
            "SELECT action, entity_id FROM audit_log WHERE actor_id = :u", u=api.ids["operator"]
        )
    }
    assert {("ACKNOWLEDGE", a), ("ASSIGN", a), ("ESCALATE", b), ("RESOLVE", a)} <= actions


def test_bulk_action_reports_each_alert_and_commits_the_successes(api: Api) -> None:
    ids = api.alerts["a1-s"]
    with api.client("operator") as c:
        r = c.post(
            "/api/noc/alerts/bulk",
            json={"action": "acknowledge", "alert_ids": [*ids, "no-such-alert"]},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["succeeded"], body["failed"]) == (2, 1)
        assert [x["status"] for x in body["results"]] == [200, 200, 404]
        assert (
            c.post(
                "/api/noc/alerts/bulk", json={"action": "acknowledge", "alert_ids": []}
            ).status_code
            == 422
        )
        too_many = c.post(
            "/api/noc/alerts/bulk", json={"action": "acknowledge", "alert_ids": ["x"] * 101}
        )
        assert too_many.status_code == 422
        assert "alert_ids" in too_many.json()["error"]["message"]
    statuses = {
        r[0] for r in api.sql("SELECT status FROM alerts WHERE id IN (:a, :b)", a=ids[0], b=ids[1])
    }
    assert statuses == {"ACKNOWLEDGED"}


def test_user_without_view_pii_never_receives_unmasked_pii(api: Api) -> None:
    alert_id = api.alerts["a1-n"][0]
    with api.client("operator") as c:
        bodies = [
            c.get("/api/noc/alerts", params={"limit": 500}).text,
            c.get(f"/api/noc/alerts/{alert_id}").text,
        ]
    for text in bodies:
        for value in PII_VALUES:
            assert value not in text
    masked = json.loads(bodies[1])["metadata"]
    assert masked["email"] == "j***e@example.com" and masked["phone"] == "***-***-5309"
    assert masked["badge"] == "B-17"
    with api.client("admin") as c:
        assert c.get(f"/api/noc/alerts/{alert_id}").json()["metadata"]["email"] == PII_VALUES[1]


def test_bad_query_values_are_422_naming_the_field(api: Api) -> None:
    with api.client("admin") as c:
        r = c.get("/api/noc/alerts", params={"severity": "LOUD"})
        assert r.status_code == 422 and r.json()["error"]["message"].startswith("severity")
        r = c.get("/api/noc/alerts", params={"since": "2026-11-26T10:00:00"})
        assert r.status_code == 422 and "since" in r.json()["error"]["message"]
        r = c.get("/api/noc/alerts", params={"limit": 0})
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "limit"
        r = c.post(
            "/api/noc/alerts/bulk",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422


def test_revoked_token_is_refused_on_the_next_request(api: Api) -> None:
    import asyncio
    from datetime import UTC, datetime

    from noc_actors.store.db import make_engine
    from noc_actors.store.repos import tokens

    async def issue_and_revoke(revoke: bool, token_id: str | None = None) -> tuple[str, str]:
        engine = make_engine(api.url)
        try:
            async with engine.begin() as db:
                if revoke:
                    await tokens.revoke_token(
                        db,
                        tenant_id=api.ids["tenant_a"],
                        token_id=token_id or "",
                        now=datetime.now(UTC),
                    )
                    return "", ""
                plain, row = await tokens.issue_token(
                    db,
                    tenant_id=api.ids["tenant_a"],
                    name="short",
                    now=datetime.now(UTC),
                    user_id=api.ids["viewer"],
                )
                return plain, row["id"]
        finally:
            await engine.dispose()

    plain, token_id = asyncio.run(issue_and_revoke(False))
    headers = {"Authorization": f"Bearer {plain}"}
    with __import__("httpx").Client(base_url=api.base_url, headers=headers) as c:
        assert c.get("/api/noc/alerts").status_code == 200
        asyncio.run(issue_and_revoke(True, token_id))
        assert c.get("/api/noc/alerts").status_code == 401


def test_health_details_need_a_configure_token_and_show_every_component(api: Api) -> None:
    with api.client("admin") as c:
        r = c.get("/api/noc/health")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "healthy", r.text
        assert set(body["components"]) == {
            "database", "cache", "actors", "timer", "backpressure", "replica"
        }  # fmt: skip
        assert body["components"]["database"]["queues"]["new_alerts"] >= 1
        replica = body["components"]["replica"]
        assert replica["ingest_queue"]["capacity"] == api.settings.ingest_queue_size
        assert replica["pump"]["subscriptions"] >= 1 and "sockets" in replica["dispatcher"]
        assert c.get("/docs").status_code == 200
        assert "/api/noc/alerts/bulk" in c.get("/openapi.json").json()["paths"]


def test_public_health_says_only_status_and_failing_names_and_is_cached(api: Api) -> None:
    """Issue 11 item 6: strangers got every client and tenant id, error texts
    and tenant-wide counts, and each call scanned the alerts table."""
    with api.client(None) as c:
        first = c.get("/api/noc/health")
        again = c.get("/api/noc/health")
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"status", "failing", "at"}
    assert first.json()["status"] == "healthy" and first.json()["failing"] == [], first.text
    for ref in (api.ids["tenant_a"], api.ids["tenant_b"], api.ids["a1"], api.ids["b1"]):
        assert ref not in first.text
    assert again.json()["at"] == first.json()["at"]  # one check serves probes for a while


def test_health_details_are_scoped_to_the_readers_tenant_and_clients(api: Api) -> None:
    with api.client("admin_b") as c:
        body = c.get("/api/noc/health").json()
    text = json.dumps(body)
    for other in (api.ids["tenant_a"], api.ids["a1"], api.ids["a2"]):
        assert other not in text
    hosts = [
        a for a in body["components"]["actors"]["actors"] if a["kind"] in ("pool", "aggregator")
    ]
    assert [c for a in hosts for c in a["clients"]] == [api.ids["b1"]]
    assert set(body["components"]["backpressure"]["levels"]) <= {api.ids["tenant_b"]}
    # Tenant B's queues count tenant B's alerts only (two NEW HIGH alerts seeded).
    assert body["components"]["database"]["queues"]["new_alerts"] == count_new(api, "tenant_b")


def test_health_details_without_noc_configure_are_refused_and_audited(api: Api) -> None:
    with api.client("viewer") as c:
        r = c.get("/api/noc/health")
    assert r.status_code == 403, r.text
    denied = api.sql(
        "SELECT count(*) FROM audit_log WHERE actor_id = :u AND action = 'UNAUTHORIZED_ACCESS'",
        u=api.ids["viewer"],
    )
    assert denied[0][0] >= 1
    with api.client(None) as c:
        assert c.get("/metrics").status_code == 401
    with api.client("viewer") as c:
        assert c.get("/metrics").status_code == 403


def count_new(api: Api, tenant: str) -> int:
    return int(
        api.sql(
            "SELECT count(*) FROM alerts WHERE tenant_id = :t AND status = 'NEW'",
            t=api.ids[tenant],
        )[0][0]
    )


def test_health_is_503_naming_the_database_while_postgres_is_unreachable(api: Api) -> None:
    import asyncio
    import time

    import asyncpg
    import pytest
    from sqlalchemy.engine import make_url

    if not api.url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: the embedded SQLite file cannot become unreachable")
    name = make_url(api.url).database
    admin_dsn = make_url(api.url).set(drivername="postgresql", database="postgres")

    async def allow(flag: bool) -> None:
        conn = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(flag).lower()}')
            if not flag:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
        finally:
            await conn.close()

    asyncio.run(allow(False))
    try:
        # Past a supervisor watch (every 5 s), so the actors' view holds the
        # jobs that failed for want of the database (they must not make the
        # actors fail), and past the 2 s the public answer is kept.
        time.sleep(6.0)
        with api.client(None) as c:
            r = c.get("/api/noc/health")
            assert r.status_code == 503, r.text
            assert r.json()["failing"] == ["database"]
            assert r.json()["status"] == "unavailable"
        # The operator key reads the details without the database.
        with httpx.Client(base_url=api.base_url, headers=OPERATOR) as c:
            r = c.get("/api/noc/health")
            assert r.status_code == 503, r.text
            assert r.json()["components"]["database"]["ok"] is False
    finally:
        asyncio.run(allow(True))
    deadline = time.monotonic() + 30
    with api.client(None) as c:
        while (r := c.get("/api/noc/health")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert r.status_code == 200, r.text


def test_metrics_endpoint_speaks_prometheus_text(api: Api) -> None:
    with httpx.Client(base_url=api.base_url, headers=OPERATOR) as c:
        r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert 'noc_component_up{component="database"} 1.0' in lines
    assert any(line.startswith('noc_actor_up{actor="noc:escalation-timer"} 1.0') for line in lines)
    assert any(line.startswith('noc_queue_depth{queue="new_alerts"}') for line in lines)
    assert 'noc_component_up{component="replica"} 1.0' in lines
    assert any(line.startswith('noc_ingest_queue_items{kind="capacity"}') for line in lines)
    assert any(line.startswith("noc_ws_sockets ") for line in lines)
    # each client's load, as noc status --load has it (the world's clients
    # took alerts: they are loaded somewhere)
    a1 = f'tenant="{api.ids["tenant_a"]}",client="{api.ids["a1"]}",placement="pooled",host="'
    assert any(line.startswith(f"noc_client_items_per_minute{{{a1}") for line in lines), r.text
    assert any(line.startswith(f"noc_client_open_alerts{{{a1}") for line in lines)
    with api.client("admin") as c:  # a tenant's configurer: its own clients only
        mine = c.get("/metrics").text
    assert f'client="{api.ids["a1"]}",placement="pooled",host="' in mine
    assert [x for x in mine.splitlines() if api.ids["b1"] in x] == []


OPEN = ("NEW", "ACKNOWLEDGED", "ASSIGNED", "ESCALATED")


def open_by_type(api: Api, who: str) -> dict[str, int]:
    """What the alert list says is open, per type, for ``who``."""
    with api.client(who) as c:
        r = c.get("/api/noc/alerts", params={"status": OPEN, "limit": 500})
    counts: dict[str, int] = {}
    for a in r.json()["items"]:
        counts[a["alert_type"]] = counts.get(a["alert_type"], 0) + 1
    return counts


def alert_types(api: Api, who: str) -> dict[str, dict]:
    with api.client(who) as c:
        r = c.get("/api/noc/alert-types")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["alert_type"] for i in items] == sorted(i["alert_type"] for i in items)
    return {i["alert_type"]: i for i in items}


async def test_alert_types_list_the_tenants_and_the_seen_ones_with_open_counts_in_scope(
    api: Api,
) -> None:
    """The seed's get_accessible_alert_types: built-in types, the tenant's
    own (its policy), and a type only an alert carries — each with its
    default severity and the open alerts the caller sees."""
    from noc_actors.actors.client import NocClient
    from noc_actors.domain.draft import AlertDraft

    with api.client("admin") as c:
        r = c.put("/api/noc/policies", json={"type_severity": {"LIFT_STUCK": "CRITICAL"}})
        assert r.status_code == 200, r.text
    tenant, client, site = api.ids["tenant_a"], api.ids["a1"], api.ids["a1-n"]
    drafts = [AlertDraft(tenant, client, "ROOF_LEAK", "water", site_id=site, entity_id="roof")]
    await NocClient(api.settings.ray_namespace).ingest_alerts(tenant, client, drafts)

    types = alert_types(api, "admin")
    assert types["SECURITY_ANOMALY"]["source"] == "builtin"
    assert types["SECURITY_ANOMALY"]["default_severity"] == "CRITICAL"
    assert types["DEVICE_OFFLINE"]["default_severity"] == "HIGH"
    assert types["LIFT_STUCK"] | {"open": 0} == {
        "alert_type": "LIFT_STUCK", "default_severity": "CRITICAL", "source": "tenant", "open": 0
    }  # fmt: skip
    assert types["ROOF_LEAK"]["source"] == "alerts"
    for who in ("admin", "guard"):  # the counts are the caller's scope's
        counts = {t: i["open"] for t, i in alert_types(api, who).items() if i["open"]}
        assert counts == open_by_type(api, who), who
    assert alert_types(api, "guard")["ROOF_LEAK"]["open"] == 1  # its site
    with api.client("admin_b") as c:  # another tenant: its own list, none of A's
        other = {i["alert_type"] for i in c.get("/api/noc/alert-types").json()["items"]}
    assert "LIFT_STUCK" not in other and "ROOF_LEAK" not in other


def test_assignees_are_searchable_by_who_may_assign_with_names_masked_without_pii(
    api: Api,
) -> None:
    """``GET /api/noc/assignees`` (the dashboard's "Assign…" box): the
    tenant's users only; names masked for a caller without noc:view_pii,
    whose search matches ids only (a search by name would tell the name)."""
    with api.client("admin") as http:
        everyone = http.get("/api/noc/assignees").json()["items"]
        by_name = http.get("/api/noc/assignees", params={"q": "operat"}).json()["items"]
        too_long = http.get("/api/noc/assignees", params={"q": "x" * 201})
    names = {u["id"]: u["display_name"] for u in everyone}
    assert names[api.ids["operator"]] == "Operator" and names[api.ids["admin"]] == "Admin"
    assert api.ids["admin_b"] not in names  # another tenant's
    assert [u["id"] for u in by_name] == [api.ids["operator"]]
    assert too_long.status_code == 422 and "q" in too_long.json()["error"]["message"]

    with api.client("operator") as http:  # may assign, does not see PII
        masked = http.get("/api/noc/assignees").json()["items"]
        by_name = http.get("/api/noc/assignees", params={"q": "operat"}).json()["items"]
        by_id = http.get("/api/noc/assignees", params={"q": api.ids["admin"]}).json()["items"]
    assert {u["id"]: u["display_name"] for u in masked}[api.ids["operator"]] == "Op***or"
    assert by_name == []
    assert [u["id"] for u in by_id] == [api.ids["admin"]]

    with api.client("viewer") as http:  # may not assign
        assert http.get("/api/noc/assignees").status_code == 403
