"""Maintenance windows over real HTTP: a window takes effect on the next
ingest (matching alerts SUPPRESSED) and stops when deleted; updates move it;
a tenant-wide window needs a caller who sees every client; every change is
audited with the window; tenant isolation, capabilities, and validation
errors that name the field."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from noc_actors.actors.client import NocClient
from noc_actors.domain.draft import AlertDraft
from noc_actors.store.db import make_engine
from noc_actors.store.repos import tokens, users
from tests.e2e.conftest import Api

URL = "/api/noc/maintenance"


def at(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def ingest(api: Api, client: str, site: str | None, alert_type: str) -> tuple[str, str]:
    """One fresh alert of tenant A; returns (outcome, stored status)."""
    tenant = api.ids["tenant_a"]
    draft = AlertDraft(
        tenant,
        api.ids[client],
        alert_type,
        "probe",
        site_id=api.ids[site] if site else None,
        entity_type="device",
        entity_id=f"dev-{uuid.uuid4().hex[:8]}",
    )

    async def run() -> dict[str, Any]:
        return await NocClient(api.settings.ray_namespace).ingest_alerts(
            tenant, api.ids[client], [draft]
        )

    (item,) = asyncio.run(run())["items"]
    (row,) = api.sql("SELECT status FROM alerts WHERE id = :i", i=item["alert_id"])
    return item["outcome"], row[0]


def audit_of(api: Api, window_id: str) -> list[tuple[str, dict[str, Any]]]:
    rows = api.sql(
        "SELECT action, metadata FROM audit_log WHERE entity_id = :e ORDER BY id", e=window_id
    )
    return [(r[0], r[1] if isinstance(r[1], dict) else json.loads(r[1])) for r in rows]


def client_manager(api: Api, client: str) -> httpx.Client:
    """A user who may manage maintenance of one client only."""

    async def run() -> str:
        engine = make_engine(api.url)
        try:
            async with engine.begin() as db:
                u = await users.create_user(
                    db,
                    tenant_id=api.ids["tenant_a"],
                    display_name="Client Manager",
                    email=f"cm-{uuid.uuid4().hex[:6]}@example.com",
                    capabilities={
                        "noc:view": True,
                        "noc:view_client": True,
                        "noc:manage_maintenance": True,
                    },
                    client_ids=[api.ids[client]],
                )
                plain, _ = await tokens.issue_token(
                    db,
                    tenant_id=api.ids["tenant_a"],
                    name="cm",
                    now=datetime.now(UTC),
                    user_id=u["id"],
                )
                return plain
        finally:
            await engine.dispose()

    token = asyncio.run(run())
    return httpx.Client(
        base_url=api.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_window_suppresses_the_next_matching_ingest_until_deleted(api: Api) -> None:
    body = {
        "client_id": api.ids["a2"],
        "starts_at": at(-1),
        "ends_at": at(60),
        "alert_types": ["DEVICE_OFFLINE"],
        "reason": "switch replacement",
    }
    with api.client("admin") as c:
        r = c.post(URL, json=body)
        assert r.status_code == 201, r.text
        window = r.json()
        assert window["active"] is True and window["alert_types"] == ["DEVICE_OFFLINE"]
        assert ingest(api, "a2", "a2-x", "DEVICE_OFFLINE") == ("suppressed", "SUPPRESSED")
        # Other types and other clients are not covered.
        assert ingest(api, "a2", "a2-x", "SYNC_DEGRADED") == ("created", "NEW")
        assert ingest(api, "a1", "a1-n", "DEVICE_OFFLINE") == ("created", "NEW")
        assert c.get(f"{URL}/{window['id']}").json() == window
        assert window["id"] in {w["id"] for w in c.get(URL).json()["items"]}
        assert c.delete(f"{URL}/{window['id']}").status_code == 204
        assert ingest(api, "a2", "a2-x", "DEVICE_OFFLINE") == ("created", "NEW")
        assert c.get(f"{URL}/{window['id']}").status_code == 404
        assert c.delete(f"{URL}/{window['id']}").status_code == 404
        assert window["id"] not in {w["id"] for w in c.get(URL).json()["items"]}
    trail = audit_of(api, window["id"])
    assert [a for a, _ in trail] == ["MAINTENANCE_CREATE", "MAINTENANCE_DELETE"]
    assert trail[0][1]["window"]["client_id"] == api.ids["a2"]
    assert trail[1][1]["window"]["alert_types"] == ["DEVICE_OFFLINE"]


def test_updating_a_window_takes_effect_on_the_next_ingest(api: Api) -> None:
    body = {
        "client_id": api.ids["a1"],
        "site_id": api.ids["a1-s"],
        "starts_at": at(60),
        "ends_at": at(120),
        "alert_types": ["GEOFENCE_BREACH"],
    }
    with api.client("admin") as c:
        window = c.post(URL, json=body).json()
        assert window["active"] is False
        assert ingest(api, "a1", "a1-s", "GEOFENCE_BREACH") == ("created", "NEW")
        r = c.put(f"{URL}/{window['id']}", json=body | {"starts_at": at(-5)})
        assert r.status_code == 200, r.text
        assert r.json()["active"] is True and r.json()["id"] == window["id"]
        assert ingest(api, "a1", "a1-s", "GEOFENCE_BREACH") == ("suppressed", "SUPPRESSED")
        # The window covers one site: the client's other site is not quiet.
        assert ingest(api, "a1", "a1-n", "GEOFENCE_BREACH") == ("created", "NEW")
        current = {w["id"] for w in c.get(URL, params={"current": True}).json()["items"]}
        assert window["id"] in current
        assert c.put(f"{URL}/no-such-window", json=body).status_code == 404
    trail = audit_of(api, window["id"])
    assert [a for a, _ in trail] == ["MAINTENANCE_CREATE", "MAINTENANCE_UPDATE"]
    update = trail[1][1]
    assert update["previous"]["starts_at"] == window["starts_at"]
    assert update["window"]["starts_at"] != window["starts_at"]


def test_tenant_wide_window_needs_every_client_in_scope_and_covers_them_all(api: Api) -> None:
    wide = {"starts_at": at(-1), "ends_at": at(30), "alert_types": ["WIDE_PROBE"]}
    with client_manager(api, "a1") as cm:
        cm.headers["X-Correlation-ID"] = "mw-probe-1"
        denied = cm.post(URL, json=wide)
        assert denied.status_code == 403, denied.text
        other = cm.post(URL, json=wide | {"client_id": api.ids["a2"]})
        assert other.status_code == 403
        own = cm.post(URL, json=wide | {"client_id": api.ids["a1"]})
        assert own.status_code == 201, own.text
    with api.client("admin") as c:
        r = c.post(URL, json=wide)
        assert r.status_code == 201, r.text
        assert r.json()["client_id"] is None
        theirs = c.post(URL, json=wide | {"client_id": api.ids["a2"], "alert_types": ["X_PROBE"]})
    assert ingest(api, "a1", "a1-n", "WIDE_PROBE") == ("suppressed", "SUPPRESSED")
    assert ingest(api, "a2", "a2-x", "WIDE_PROBE") == ("suppressed", "SUPPRESSED")
    with client_manager(api, "a1") as cm:
        seen = {w["id"] for w in cm.get(URL).json()["items"]}
        assert {own.json()["id"], r.json()["id"]} <= seen
        assert theirs.json()["id"] not in seen
        assert cm.get(f"{URL}/{theirs.json()['id']}").status_code == 403
        assert cm.delete(f"{URL}/{r.json()['id']}").status_code == 403
    rows = api.sql(
        "SELECT entity_type, source_ip FROM audit_log "
        "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'mw-probe-1' ORDER BY id"
    )
    assert [tuple(x) for x in rows] == [
        ("maintenance_window", "127.0.0.1"),
        ("client", "127.0.0.1"),
    ]


def test_another_tenants_window_is_404(api: Api) -> None:
    body = {"client_id": api.ids["b1"], "starts_at": at(10), "ends_at": at(20)}
    with api.client("admin_b") as c:
        theirs = c.post(URL, json=body)
        assert theirs.status_code == 201, theirs.text
        wid = theirs.json()["id"]
    with api.client("admin") as c:
        assert c.get(f"{URL}/{wid}").status_code == 404
        assert c.put(f"{URL}/{wid}", json=body | {"client_id": api.ids["a1"]}).status_code == 404
        assert c.delete(f"{URL}/{wid}").status_code == 404
        assert wid not in {w["id"] for w in c.get(URL).json()["items"]}
        # Their client is unknown here, exactly like a client that does not exist.
        r = c.post(URL, json=body)
        assert r.status_code == 422 and "client_id" in r.json()["error"]["message"]
    with api.client("admin_b") as c:
        assert c.get(f"{URL}/{wid}").status_code == 200


def test_missing_capability_is_403_and_audited_with_the_source_address(api: Api) -> None:
    body = {"client_id": api.ids["a1"], "starts_at": at(10), "ends_at": at(20)}
    with api.client("viewer", **{"X-Correlation-ID": "mw-probe-2"}) as c:
        r = c.post(URL, json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert c.get(URL).status_code == 200
    rows = api.sql(
        "SELECT metadata, source_ip, actor_id FROM audit_log WHERE "
        "action = 'UNAUTHORIZED_ACCESS' AND correlation_id = 'mw-probe-2'"
    )
    assert len(rows) == 1 and rows[0][1] == "127.0.0.1" and rows[0][2] == api.ids["viewer"]
    meta = rows[0][0] if isinstance(rows[0][0], dict) else json.loads(rows[0][0])
    assert meta["capability"] == "noc:manage_maintenance"


def test_bad_input_is_422_naming_the_field(api: Api) -> None:
    good = {"client_id": api.ids["a1"], "starts_at": at(10), "ends_at": at(20), "reason": "bad"}
    naive = (datetime.now(UTC) + timedelta(minutes=10)).replace(tzinfo=None).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        (good | {"starts_at": naive}, "starts_at"),
        (good | {"ends_at": naive}, "ends_at"),
        (good | {"ends_at": at(5)}, "ends_at"),
        (good | {"ends_at": good["starts_at"]}, "ends_at"),
        (good | {"starts_at": "tomorrow"}, "starts_at"),
        (good | {"colour": "red"}, "colour"),
        (good | {"alert_types": ["device offline"]}, "alert_types"),
        (good | {"client_id": "no-such-client"}, "client_id"),
        (good | {"site_id": api.ids["a2-x"]}, "site_id"),
        ({k: v for k, v in good.items() if k != "client_id"} | {"site_id": "s"}, "site_id"),
        ({"client_id": api.ids["a1"], "starts_at": at(10)}, "ends_at"),
    ]
    with api.client("admin") as c:
        for body, field in cases:
            r = c.post(URL, json=body)
            assert r.status_code == 422, (body, r.text)
            err = r.json()["error"]
            assert field in err["message"] and err["correlation_id"], (field, err)
        created = c.post(URL, json=good).json()
        bad = c.put(f"{URL}/{created['id']}", json=good | {"ends_at": at(1)})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "ends_at"
        assert c.get(f"{URL}/{created['id']}").json()["ends_at"] == created["ends_at"]
    # Nothing half-written: the one window with this reason is the good one.
    rows = api.sql("SELECT id FROM maintenance_windows WHERE reason = 'bad'")
    assert [r[0] for r in rows] == [created["id"]]
