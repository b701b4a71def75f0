"""Users, tokens and policies over real HTTP: an admin creates a user and its
token, which works until revoked (then 401 at once); integration keys;
audited 403s for non-admins; 404 across tenants; validation naming the field;
policy overrides audited as CONFIG_CHANGE and applied by the aggregators."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.e2e.conftest import Api


def _meta(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


def _create_user(api: Api, name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "display_name": name.title(),
        "email": f"{name}-{api.tag}@example.com",
        "capabilities": {"noc:view": True, "noc:view_all_clients": True},
        **extra,
    }
    with api.client("admin") as c:
        r = c.post("/api/noc/users", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_admin_creates_a_user_whose_token_works_until_revoked(api: Api) -> None:
    user = _create_user(api, "newbie", phone="+1 555 000 4242")
    assert user["email"] == f"newbie-{api.tag}@example.com"  # admins hold noc:view_pii
    with api.client("admin", **{"X-Correlation-ID": "adm-issue"}) as c:
        r = c.post("/api/noc/tokens", json={"user_id": user["id"], "expires_in_days": 30})
        assert r.status_code == 201, r.text
        issued = r.json()
        assert r.headers["cache-control"] == "no-store"
        plaintext, token_id = issued["token"], issued["id"]
        assert plaintext.startswith("noc_") and issued["kind"] == "user"
        assert issued["status"] == "active" and issued["expires_at"]
        listed = c.get("/api/noc/tokens", params={"user_id": user["id"]})
        assert [t["id"] for t in listed.json()] == [token_id]
        assert plaintext not in listed.text and "token_hash" not in listed.text
        assert c.get(f"/api/noc/users/{user['id']}").json()["id"] == user["id"]

    with api.client(None, Authorization=f"Bearer {plaintext}") as mine:
        assert mine.get("/api/noc/alerts").status_code == 200
        with api.client("admin", **{"X-Correlation-ID": "adm-revoke"}) as c:
            revoked = c.delete(f"/api/noc/tokens/{token_id}")
            assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
            assert c.delete(f"/api/noc/tokens/{token_id}").status_code == 409
        assert mine.get("/api/noc/alerts").status_code == 401

    (stored,) = api.sql("SELECT token_hash FROM api_tokens WHERE id = :i", i=token_id)
    assert stored[0] != plaintext
    assert stored[0] == hashlib.sha256(plaintext.encode()).hexdigest()
    rows = api.sql(
        "SELECT action, actor_id, source_ip, correlation_id FROM audit_log "
        "WHERE entity_type = 'token' AND entity_id = :i ORDER BY at",
        i=token_id,
    )
    assert [tuple(r) for r in rows] == [
        ("TOKEN_ISSUED", api.ids["admin"], "127.0.0.1", "adm-issue"),
        ("TOKEN_REVOKED", api.ids["admin"], "127.0.0.1", "adm-revoke"),
    ]


def test_non_admin_calling_admin_routes_gets_403_audited_with_source_address(
    api: Api,
) -> None:
    with api.client("operator", **{"X-Correlation-ID": "adm-deny"}) as c:
        calls = [
            c.get("/api/noc/users"),
            c.post("/api/noc/users", json={"display_name": "X", "email": "x@example.com"}),
            c.get(f"/api/noc/users/{api.ids['viewer']}"),
            c.get("/api/noc/tokens"),
            c.post("/api/noc/tokens", json={"user_id": api.ids["operator"]}),
            c.delete("/api/noc/tokens/whatever"),
        ]
    for r in calls:
        assert r.status_code == 403, r.text
        err = r.json()["error"]
        assert err["code"] == "forbidden" and err["correlation_id"] == "adm-deny"
    rows = api.sql(
        "SELECT actor_id, source_ip, metadata FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'adm-deny'"
    )
    assert len(rows) == len(calls)
    for actor, source_ip, meta in rows:
        assert (actor, source_ip) == (api.ids["operator"], "127.0.0.1")
        assert _meta(meta)["capability"] == "admin"


def test_a_denial_on_an_over_long_path_is_still_a_403_with_its_audit_row(api: Api) -> None:
    """Issue 11 item 8: a path longer than the audit column (255) made the
    denial's own audit write fail (a 500 on PostgreSQL, and no row)."""
    long_id = "u" * 600
    with api.client("operator", **{"X-Correlation-ID": "adm-long"}) as c:
        r = c.get(f"/api/noc/users/{long_id}")
    assert r.status_code == 403, r.text
    rows = api.sql(
        "SELECT entity_id, metadata FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'adm-long'"
    )
    assert len(rows) == 1
    entity_id, meta = rows[0]
    assert entity_id.startswith("GET /api/noc/users/uuu") and len(entity_id) <= 255
    assert _meta(meta)["entity_id_length"] == len(f"GET /api/noc/users/{long_id}")


def test_another_tenants_user_and_token_are_404(api: Api) -> None:
    theirs = api.ids["admin_b"]
    (their_token,) = api.sql("SELECT id FROM api_tokens WHERE user_id = :u", u=theirs)
    with api.client("admin") as c:
        assert c.get(f"/api/noc/users/{theirs}").status_code == 404
        assert c.patch(f"/api/noc/users/{theirs}", json={"is_admin": False}).status_code == 404
        assert c.delete(f"/api/noc/tokens/{their_token[0]}").status_code == 404
        assert theirs not in c.get("/api/noc/users").text
        assert their_token[0] not in c.get("/api/noc/tokens").text
        r = c.post("/api/noc/tokens", json={"user_id": theirs})
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "user_id"
    with api.client("admin_b") as c:
        assert c.get(f"/api/noc/users/{theirs}").status_code == 200


def test_integration_key_issued_via_the_api_is_scoped_and_stored_hashed(api: Api) -> None:
    with api.client("admin") as c:
        r = c.post(
            "/api/noc/tokens", json={"integration": {"name": "prom", "client_id": api.ids["a1"]}}
        )
        assert r.status_code == 201, r.text
        plaintext, key_id = r.json()["token"], r.json()["id"]
        assert r.json()["capabilities"] == ["noc:ingest"]
        for client_id in ("nope", api.ids["b1"]):
            bad = c.post(
                "/api/noc/tokens", json={"integration": {"name": "x", "client_id": client_id}}
            )
            assert bad.status_code == 422
            assert bad.json()["error"]["fields"][0]["field"] == "integration.client_id"
    rows = api.sql("SELECT * FROM api_tokens WHERE id = :i", i=key_id)
    row = rows[0]._mapping
    assert (row["kind"], row["client_id"], row["user_id"]) == ("integration", api.ids["a1"], None)
    assert "noc:ingest" in str(row["capabilities"])
    assert row["token_hash"] != plaintext
    assert all(plaintext not in str(v) for r in api.sql("SELECT * FROM api_tokens") for v in r)
    # The key resolves (authenticated), but it may only ingest: 403, not 401.
    with api.client(None, Authorization=f"Bearer {plaintext}") as key:
        assert key.get("/api/noc/alerts").status_code == 403


def test_user_input_is_validated_naming_the_field(api: Api) -> None:
    with api.client("admin") as c:
        r = c.post(
            "/api/noc/users",
            json={
                "display_name": "Bad",
                "email": f"bad-{api.tag}@example.com",
                "capabilities": {"noc:view": True, "noc:bogus": True},
            },
        )
        assert r.status_code == 422
        assert "noc:bogus" in r.json()["error"]["message"]
        assert r.json()["error"]["fields"][0]["field"] == "capabilities"
        for field, value in (("client_ids", [api.ids["b1"]]), ("site_ids", ["no-site"])):
            r = c.post(
                "/api/noc/users",
                json={"display_name": "Bad", "email": f"b-{api.tag}@example.com", field: value},
            )
            assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == field
        r = c.post("/api/noc/users", json={"display_name": "Bad", "email": "not-an-email"})
        assert r.status_code == 422 and "email" in r.json()["error"]["message"]
        r = c.patch(f"/api/noc/users/{api.ids['viewer']}", json={"salary": 1})
        assert r.status_code == 422 and "salary" in r.json()["error"]["message"]
        both = {"user_id": api.ids["viewer"], "integration": {"name": "x"}}
        assert c.post("/api/noc/tokens", json=both).status_code == 422
        dup = {"display_name": "Dup", "email": f"viewer-{api.tag}@example.com"}
        assert c.post("/api/noc/users", json=dup).status_code == 409
    assert api.sql("SELECT id FROM users WHERE display_name IN ('Bad', 'Dup')") == []


def test_patch_changes_capabilities_and_keeps_the_last_admin(api: Api) -> None:
    user = _create_user(api, "patchy")
    with api.client("admin") as c:
        r = c.patch(
            f"/api/noc/users/{user['id']}",
            json={"capabilities": {"noc:view": True, "noc:configure": True}, "phone": None},
        )
        assert r.status_code == 200, r.text
        assert r.json()["capabilities"] == {"noc:view": True, "noc:configure": True}
        last = c.patch(f"/api/noc/users/{api.ids['admin']}", json={"is_admin": False})
        assert last.status_code == 409
    rows = api.sql(
        "SELECT metadata FROM audit_log WHERE action = 'CONFIG_CHANGE' AND entity_id = :i",
        i=user["id"],
    )
    assert len(rows) == 2 and "patchy" not in str(rows).lower()


OUT_OF_BOUNDS = [
    ({"escalation_minutes": {"CRITICAL": 1e10}}, "escalation_minutes"),
    ({"sla_hours": {"P1": 1e12}}, "sla_hours"),
    ({"correlation_window_minutes": 1e12}, "correlation_window_minutes"),
    ({"device_offline_minutes": 1e15}, "device_offline_minutes"),
    ({"backpressure_sweep_age_minutes": 1e15}, "backpressure_sweep_age_minutes"),
    ({"incident_rule_window_minutes": 1e15}, "incident_rule_window_minutes"),
    ({"attendance_grace_minutes": 1e15}, "attendance_grace_minutes"),
    ({"backpressure_threshold": 10**15}, "backpressure_threshold"),
]


def test_policy_numbers_out_of_bounds_are_422_naming_the_field_and_change_nothing(
    api: Api,
) -> None:
    """Issue 11 item 4 (bounds): ``{"escalation_minutes": {"CRITICAL": 1e10}}``
    was stored, and every later CRITICAL ingest answered 500 (OverflowError);
    a huge correlation window broke the aggregators' loads."""
    with api.client("admin") as c:
        before = c.get("/api/noc/policies").json()["overrides"]
        for body, field in OUT_OF_BOUNDS:
            r = c.put("/api/noc/policies", json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["error"]["fields"][0]["field"].startswith(field), r.text
        nan = c.put(
            "/api/noc/policies",
            content=b'{"escalation_minutes": {"HIGH": NaN}}',
            headers={"Content-Type": "application/json"},
        )
        assert nan.status_code == 422, nan.text
        assert c.get("/api/noc/policies").json()["overrides"] == before
    with api.client("key") as http:
        item = {
            "alert_type": "FIRE_ALARM",
            "message": "smoke",
            "client_id": api.ids["a1"],
            "severity": "critical",
            "entity_type": "sensor",
            "entity_id": "bounds-check",
        }
        r = http.post("/api/noc/alerts", json={"alerts": [item]})
    assert r.status_code == 200, r.text


def test_policy_override_is_stored_shown_audited_and_reloaded(api: Api) -> None:
    with api.client("admin", **{"X-Correlation-ID": "pol-1"}) as c:
        r = c.put("/api/noc/policies", json={"device_offline_minutes": 10})
        assert r.status_code == 200, r.text
        assert set(r.json()["reloaded"]) == {api.ids["a1"], api.ids["a2"]}
        got = c.get("/api/noc/policies").json()
        assert got["policy"]["device_offline_minutes"] == 10
        assert got["overrides"] == {"device_offline_minutes": 10}
        assert got["policy"]["escalation_minutes"]["CRITICAL"] == 15
        bad = c.put("/api/noc/policies", json={"nope": 1})
        assert bad.status_code == 422
        assert bad.json()["error"]["fields"][0]["field"] == "nope"
        assert "nope" in bad.json()["error"]["message"]
        neg = c.put("/api/noc/policies", json={"device_offline_minutes": -1})
        assert neg.json()["error"]["fields"][0]["field"] == "device_offline_minutes"
        assert c.get("/api/noc/policies").json()["overrides"] == {"device_offline_minutes": 10}
    rows = api.sql(
        "SELECT actor_id, source_ip, metadata FROM audit_log "
        "WHERE action = 'CONFIG_CHANGE' AND correlation_id = 'pol-1'"
    )
    assert len(rows) == 1 and rows[0][:2] == (api.ids["admin"], "127.0.0.1")
    meta = _meta(rows[0][2])
    assert meta["before"] == {"device_offline_minutes": 30}
    assert meta["after"] == {"device_offline_minutes": 10}


def test_escalation_chain_is_set_per_client_and_audited(api: Api) -> None:
    chain = [{"kind": "client_owner"}, {"kind": "tenant_admins", "ref": api.ids["admin"]}]
    with api.client("admin") as c:
        r = c.put(
            "/api/noc/policies/escalation", json={"targets": chain, "client_id": api.ids["a2"]}
        )
        assert r.status_code == 200, r.text
        assert r.json()["reloaded"] == [api.ids["a2"]]
        stored = c.get("/api/noc/policies").json()["escalation_policies"]
        assert [(p["client_id"], p["targets"]) for p in stored] == [
            (api.ids["a2"], [{"kind": "client_owner", "ref": None}, chain[1]])
        ]
        bad = c.put("/api/noc/policies/escalation", json={"targets": [{"kind": "pager"}]})
        assert bad.status_code == 422
        assert bad.json()["error"]["fields"][0]["field"] == "targets.0.kind"
        other = {"targets": chain, "client_id": api.ids["b1"]}
        assert c.put("/api/noc/policies/escalation", json=other).status_code == 422
    rows = api.sql(
        "SELECT entity_id FROM audit_log WHERE action = 'CONFIG_CHANGE' "
        "AND entity_type = 'escalation_policy'"
    )
    assert [r[0] for r in rows] == [r.json()["id"]]


def test_policies_need_noc_configure(api: Api) -> None:
    with api.client("viewer", **{"X-Correlation-ID": "pol-deny"}) as c:
        assert c.get("/api/noc/policies").status_code == 403
        put = c.put("/api/noc/policies", json={"device_offline_minutes": 1})
        assert put.status_code == 403
        chain = {"targets": [{"kind": "tenant_admins"}]}
        assert c.put("/api/noc/policies/escalation", json=chain).status_code == 403
    rows = api.sql(
        "SELECT source_ip, metadata FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'pol-deny'"
    )
    assert len(rows) == 3
    assert {(ip, _meta(m)["capability"]) for ip, m in rows} == {("127.0.0.1", "noc:configure")}


def test_a_configurer_limited_to_one_client_changes_only_that_clients_chain(api: Api) -> None:
    """Issue 11 item 4 (scope): a noc:configure user limited to client A
    changed client B's escalation chain and the tenant-wide numbers."""
    user = _create_user(
        api,
        "site-config",
        capabilities={"noc:view": True, "noc:view_client": True, "noc:configure": True},
        client_ids=[api.ids["a1"]],
    )
    with api.client("admin") as c:
        issued = c.post("/api/noc/tokens", json={"user_id": user["id"]})
    assert issued.status_code == 201, issued.text
    api.tokens["site-config"] = issued.json()["token"]
    chain = {"targets": [{"kind": "client_owner"}]}
    before = api.sql("SELECT policy FROM tenants WHERE id = :t", t=api.ids["tenant_a"])
    with api.client("site-config", **{"X-Correlation-ID": "scope-deny"}) as c:
        tenant_wide = c.put("/api/noc/policies", json={"device_offline_minutes": 1})
        other_client = c.put(
            "/api/noc/policies/escalation", json={**chain, "client_id": api.ids["a2"]}
        )
        tenant_default = c.put("/api/noc/policies/escalation", json=chain)
        own = c.put("/api/noc/policies/escalation", json={**chain, "client_id": api.ids["a1"]})
        seen = c.get("/api/noc/policies").json()["escalation_policies"]
    assert (tenant_wide.status_code, other_client.status_code) == (403, 403), other_client.text
    assert tenant_default.status_code == 403 and own.status_code == 200, own.text
    assert {p["client_id"] for p in seen} <= {None, api.ids["a1"]}
    assert api.sql("SELECT policy FROM tenants WHERE id = :t", t=api.ids["tenant_a"]) == before
    denied = api.sql(
        "SELECT entity_type, entity_id FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'scope-deny' ORDER BY id"
    )
    assert [tuple(r) for r in denied] == [
        ("tenant_policy", api.ids["tenant_a"]),
        ("client", api.ids["a2"]),
        ("escalation_policy", api.ids["tenant_a"]),
    ]
    chains = api.sql(
        "SELECT client_id FROM escalation_policies WHERE tenant_id = :t", t=api.ids["tenant_a"]
    )
    assert api.ids["a2"] not in {r[0] for r in chains} or _a2_chain_untouched(api)


def _a2_chain_untouched(api: Api) -> bool:
    """a2's chain (set by another test in this module) still names the owner
    and the admin, not only the owner."""
    (targets,) = api.sql(
        "SELECT targets FROM escalation_policies WHERE client_id = :c", c=api.ids["a2"]
    )[0]
    return len(targets if isinstance(targets, list) else json.loads(targets)) == 2


def test_access_changes_reach_the_next_request_of_a_token_the_replica_has_cached(
    api: Api,
) -> None:
    """Replicas cache tokens, scopes and directories against the database's
    access epoch: a capability taken away, or a client added outside the API
    (as ``noc client create`` does), counts from the very next request."""
    import asyncio

    from noc_actors.store.db import make_engine
    from noc_actors.store.repos import clients

    user = _create_user(api, "cached")
    with api.client("admin") as c:
        plaintext = c.post("/api/noc/tokens", json={"user_id": user["id"]}).json()["token"]
    with api.client(None, Authorization=f"Bearer {plaintext}") as mine:
        assert mine.get("/api/noc/alerts").status_code == 200
        assert mine.get("/api/noc/alerts").status_code == 200  # served from the cache
        with api.client("admin") as c:
            r = c.patch(f"/api/noc/users/{user['id']}", json={"capabilities": {}})
            assert r.status_code == 200, r.text
        assert mine.get("/api/noc/alerts").status_code == 403

    new_id = f"late-{api.tag}"
    body = {"alerts": [{"alert_type": "UPS", "message": "m", "client_id": new_id}]}
    with api.client("key") as key:
        assert key.post("/api/noc/alerts", json=body).status_code == 422  # unknown client

        async def create() -> None:
            engine = make_engine(api.url)
            try:
                async with engine.begin() as conn:
                    await clients.create_client(
                        conn, tenant_id=api.ids["tenant_a"], name=f"Late {api.tag}",
                        client_id=new_id,
                    )  # fmt: skip
            finally:
                await engine.dispose()

        asyncio.run(create())
        r = key.post("/api/noc/alerts", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["status"] == "created"


def test_a_configurer_moves_a_client_in_its_scope_and_the_move_is_audited(api: Api) -> None:
    """Issue 12 item 2 over HTTP: PUT /api/noc/clients/{id}/placement moves a
    running client (its alerts still read and ingest after), is audited, says
    nothing of hosts, and refuses the unknown, the out-of-scope and the
    unprivileged by name."""
    a1, a2 = api.ids["a1"], api.ids["a2"]
    user = _create_user(
        api,
        "place-config",
        capabilities={"noc:view": True, "noc:view_client": True, "noc:configure": True},
        client_ids=[a1],
    )
    with api.client("admin") as c:
        issued = c.post("/api/noc/tokens", json={"user_id": user["id"]})
    api.tokens["place-config"] = issued.json()["token"]
    path = f"/api/noc/clients/{a1}/placement"
    with api.client("place-config", **{"X-Correlation-ID": "place-a1"}) as c:
        there = c.put(path, json={"placement": "dedicated"})
        other = c.put(f"/api/noc/clients/{a2}/placement", json={"placement": "dedicated"})
        bad = c.put(path, json={"placement": "sideways"})
        unknown = c.put("/api/noc/clients/nope/placement", json={"placement": "pooled"})
    with api.client("operator") as c:
        unprivileged = c.put(path, json={"placement": "pooled"})
    with api.client("admin_b") as c:
        foreign = c.put(path, json={"placement": "pooled"})
    assert there.status_code == 200, there.text
    assert there.json()["moved"] is True and there.json()["placement"] == "dedicated"
    assert "noc:" not in there.text  # no host names
    assert (other.status_code, unprivileged.status_code, foreign.status_code) == (403, 403, 404)
    assert bad.status_code == 422 and "placement" in bad.json()["error"]["message"]
    assert unknown.status_code == 404
    assert api.sql("SELECT placement FROM client_placement WHERE client_id = :c", c=a1) == [
        ("dedicated",)
    ]
    audited = api.sql(
        "SELECT entity_type, entity_id FROM audit_log "
        "WHERE action = 'CONFIG_CHANGE' AND correlation_id = 'place-a1'"
    )
    assert [tuple(r) for r in audited] == [("client_placement", a1)]
    with api.client("key_a1") as c:  # the moved client takes alerts as before
        posted = c.post(
            "/api/noc/alerts",
            json={"alerts": [{"client_id": a1, "alert_type": "DOOR_FORCED", "message": "moved"}]},
        )
    assert posted.status_code == 200 and posted.json()["created"] == 1, posted.text
    with api.client("admin") as c:
        back = c.put(path, json={"placement": "pooled"})
    assert back.status_code == 200 and back.json()["moved"] is True
