"""Read routes over real HTTP: overview, snapshots, reports, CSV exports and
the audit log — scope (site-only users, other tenants' 404s), audited
denials with the source address, EXPORT_DATA rows, and a walk over every
read route checking that a user without noc:view_pii never gets PII."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.actors.client import NocClient
from noc_actors.domain import reports
from noc_actors.domain.alert import Alert
from noc_actors.domain.audit import AuditEntry
from noc_actors.domain.enums import AuditAction
from noc_actors.store.db import make_engine
from noc_actors.store.repos import alert_queries, audit, incidents, tokens, users
from tests.e2e.conftest import PII_VALUES, Api

T = TypeVar("T")
NAME, EMAIL, PHONE, ADDRESS = PII_VALUES
BULK_AUDIT_ROWS = 1_100  # more than two export pages of 500


def in_db(api: Api, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction on the test's database."""

    async def run() -> T:
        engine = make_engine(api.url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as db:
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def tenant_alerts(api: Api, tenant: str) -> list[Alert]:
    async def load(db: AsyncConnection) -> list[Alert]:
        items, _ = await alert_queries.query_alerts(db, tenant_id=api.ids[tenant], limit=1000)
        return items

    return in_db(api, load)


def meta(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


NO_PII = {"noc:view": True, "noc:view_pii": False}
EXTRA_USERS: dict[str, tuple[dict[str, bool], list[str]]] = {
    # who: (capabilities, site keys) — none of them may see PII
    "auditor": (
        NO_PII | {"noc:view_all_clients": True, "noc:export": True, "noc:audit_view": True},
        [],
    ),
    "exporter": (NO_PII | {"noc:view_all_clients": True, "noc:export": True}, []),
    "site_exporter": (NO_PII | {"noc:view_assigned_sites": True, "noc:export": True}, ["a1-n"]),
}


async def _seed_rest(db: AsyncConnection, api: Api) -> None:
    """Users with export/audit capabilities but no PII (ids and tokens go on
    ``api``), incidents for the SLA report (a person as assignee), PII in the
    audit log, and many audit rows to page through."""
    tid = api.ids["tenant_a"]
    for who, (caps, site_keys) in EXTRA_USERS.items():
        user = await users.create_user(
            db,
            tenant_id=tid,
            display_name=who.title(),
            email=f"{who}-{api.tag}@example.com",
            capabilities=caps,
            site_ids=[api.ids[k] for k in site_keys],
        )
        api.ids[who] = user["id"]
        api.tokens[who], _ = await tokens.issue_token(
            db, tenant_id=tid, name=who, now=datetime.now(UTC), user_id=user["id"]
        )
    now = datetime.now(UTC)
    plan = (  # tenant, client, site, created h ago, sla h after, resolved h ago
        ("tenant_a", "a1", "a1-n", 2, 8, 1),  # met
        ("tenant_a", "a1", "a1-s", 5, 1, 1),  # resolved late
        ("tenant_a", "a2", "a2-x", 10, 8, None),  # open, past its target
        ("tenant_b", "b1", "b1-x", 2, 8, 1),  # another tenant: never counted
    )
    for n, (tenant, client, site, ago, sla, resolved_ago) in enumerate(plan):
        created = now - timedelta(hours=ago)
        inc = await incidents.create_incident(
            db,
            tenant_id=api.ids[tenant],
            client_id=api.ids[client],
            site_id=api.ids[site],
            title=f"incident {n}",
            severity="HIGH",
            now=created,
            alert_ids=api.alerts[site][:1],
            assignee=NAME,
            sla_target=created + timedelta(hours=sla),
        )
        if resolved_ago is not None:
            await incidents.update_incident(
                db,
                tenant_id=api.ids[tenant],
                incident_id=inc["id"],
                state="RESOLVED",
                resolved_at=now - timedelta(hours=resolved_ago),
            )

    def entry(action: AuditAction, entity: str, at: datetime, **data: str) -> AuditEntry:
        return AuditEntry(tid, "system", action, "test", entity, at, metadata=data)

    pii = dict(person_name=NAME, email=EMAIL, phone=PHONE, address=ADDRESS)
    sensitive = entry(AuditAction.VIEW_SENSITIVE, "person-1", now, **pii)
    bulk = [
        entry(AuditAction.SUPPRESS, f"bulk-{i}", now - timedelta(seconds=i))
        for i in range(BULK_AUDIT_ROWS)
    ]
    await audit.append_audit(db, [sensitive, *bulk])


@pytest.fixture(scope="module")
def world(api: Api) -> Api:
    """The e2e world plus what the read routes need: extra users, incidents,
    audit rows, and a real metric snapshot per client (taken by its actor)."""
    in_db(api, lambda db: _seed_rest(db, api))
    noc = NocClient(api.settings.ray_namespace)
    for tenant, client in (("tenant_a", "a1"), ("tenant_a", "a2"), ("tenant_b", "b1")):
        snap = asyncio.run(noc.take_snapshot(api.ids[tenant], api.ids[client]))
        assert snap is not None
    return api


def test_site_scoped_user_sees_exactly_its_sites_alerts_everywhere(world: Api) -> None:
    api = world
    mine = set(api.alerts["a1-n"])
    with api.client("guard") as c:
        r = c.get("/api/noc/alerts", params={"limit": 500})
        assert r.status_code == 200, r.text
        listed = r.json()["items"]
        assert {a["id"] for a in listed} == mine
        assert all(c.get(f"/api/noc/alerts/{a}").status_code == 200 for a in mine)
        assert c.get(f"/api/noc/alerts/{api.alerts['a1-s'][0]}").status_code == 403
        r = c.get("/api/noc/overview")
        assert r.status_code == 200, r.text
        (tile,) = r.json()["clients"]
        assert tile["client_id"] == api.ids["a1"] and tile["latest_snapshot"] is None
        assert tile["open_alerts"] == {"INFO": 0, "LOW": 0, "MEDIUM": 0, "HIGH": 3, "CRITICAL": 0}
        freq = c.get("/api/noc/reports/frequency", params={"days": 2}).json()
        assert freq["by_type"] == {"SECURITY_ANOMALY": len(mine)}
        noisy = c.get("/api/noc/reports/noisy-sites").json()["sites"]
        assert [s["site_id"] for s in noisy] == [api.ids["a1-n"]]
        sla = c.get("/api/noc/reports/sla-compliance").json()
        assert (sla["resolved"], sla["within_sla"], sla["open_past_sla"]) == (1, 1, 0)
        # Snapshots are client-wide aggregates: refused (and audited) for site-only users.
        denied = c.get(f"/api/noc/clients/{api.ids['a1']}/snapshots")
        assert denied.status_code == 403
    with api.client("site_exporter") as c:
        r = c.get("/api/noc/exports/alerts.csv")
        assert r.status_code == 200, r.text
        assert {row["id"] for row in rows_of(r.text)} == mine
        r = c.get("/api/noc/exports/incidents.csv")
        assert {row["site_id"] for row in rows_of(r.text)} == {api.ids["a1-n"]}
    rows = api.sql(
        "SELECT source_ip FROM audit_log WHERE action = 'UNAUTHORIZED_ACCESS' "
        "AND actor_id = :u AND entity_type = 'client' AND entity_id = :c",
        u=api.ids["guard"],
        c=api.ids["a1"],
    )
    assert [r[0] for r in rows] == ["127.0.0.1"]


def test_every_object_of_another_tenant_is_404_and_never_listed(world: Api) -> None:
    api = world
    theirs = api.ids["b1"]
    with api.client("admin") as c:
        assert c.get(f"/api/noc/clients/{theirs}/snapshots").status_code == 404
        assert c.get("/api/noc/clients/no-such-client/snapshots").status_code == 404
        mine = c.get(f"/api/noc/clients/{api.ids['a1']}/snapshots")
        assert mine.status_code == 200 and len(mine.json()["items"]) >= 1
        tiles = c.get("/api/noc/overview").json()["clients"]
        assert [t["client_id"] for t in tiles] == [api.ids["a1"], api.ids["a2"]]
        assert all(t["latest_snapshot"] is not None for t in tiles)
        exported = {r["id"] for r in rows_of(c.get("/api/noc/exports/alerts.csv").text)}
        assert exported == {a for s in ("a1-n", "a1-s", "a2-x") for a in api.alerts[s]}
        audit_rows = c.get("/api/noc/audit", params={"limit": 500}).json()["items"]
        assert audit_rows and {r["tenant_id"] for r in audit_rows} == {api.ids["tenant_a"]}
    with api.client("admin_b") as c:
        r = c.get(f"/api/noc/clients/{theirs}/snapshots")
        assert r.status_code == 200 and r.json()["items"][0]["metrics"]["client_id"] == theirs


def test_missing_capabilities_are_403_and_audited_with_the_source_address(world: Api) -> None:
    api = world
    probes = (
        ("viewer", "/api/noc/exports/alerts.csv", "noc:export"),
        ("viewer", "/api/noc/audit", "noc:audit_view"),
        ("exporter", "/api/noc/exports/audit.csv", "noc:audit_view"),
    )
    for n, (who, path, capability) in enumerate(probes):
        cid = f"reads-probe-{n}-{api.tag}"
        with api.client(who, **{"X-Correlation-ID": cid}) as c:
            r = c.get(path)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
        rows = api.sql(
            "SELECT metadata, source_ip, actor_id FROM audit_log "
            "WHERE action = 'UNAUTHORIZED_ACCESS' AND correlation_id = :c",
            c=cid,
        )
        assert len(rows) == 1, path
        assert meta(rows[0][0])["capability"] == capability
        assert rows[0][1] == "127.0.0.1"
    # A refused export writes no EXPORT_DATA row.
    assert not api.sql(
        "SELECT 1 FROM audit_log WHERE action = 'EXPORT_DATA' AND actor_id IN (:v, :e)",
        v=api.ids["viewer"],
        e=api.ids["exporter"],
    )


def test_an_export_is_streamed_as_csv_and_audited_once(world: Api) -> None:
    api = world
    cid = f"reads-export-{api.tag}"
    with api.client("admin", **{"X-Correlation-ID": cid}) as c:
        r = c.get("/api/noc/exports/alerts.csv", params={"severity": "HIGH"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="noc-alerts-')
    rows = rows_of(r.text)
    assert len(rows) == 7 and {row["severity"] for row in rows} == {"HIGH"}
    audited = api.sql(
        "SELECT actor_id, entity_id, metadata, source_ip FROM audit_log "
        "WHERE action = 'EXPORT_DATA' AND correlation_id = :c",
        c=cid,
    )
    assert len(audited) == 1
    actor, kind, data, ip = audited[0]
    assert (actor, kind, ip) == (api.ids["admin"], "alerts", "127.0.0.1")
    assert meta(data) == {"kind": "alerts", "filters": {"severity": ["HIGH"]}, "masked": False}


def test_the_audit_export_pages_through_every_row(world: Api) -> None:
    api = world
    with api.client("auditor") as c:
        r = c.get(
            "/api/noc/exports/audit.csv", params={"entity_type": "test", "action": "SUPPRESS"}
        )
        assert r.status_code == 200, r.text
        assert r.text.count("id,at,actor_id,action") == 1
        rows = rows_of(r.text)
        assert len(rows) == BULK_AUDIT_ROWS
        assert len({row["id"] for row in rows}) == BULK_AUDIT_ROWS
        page = c.get("/api/noc/audit", params={"entity_type": "test", "limit": 500}).json()
        nxt = c.get(
            "/api/noc/audit",
            params={"entity_type": "test", "limit": 500, "cursor": page["next_cursor"]},
        ).json()
        assert len(page["items"]) == len(nxt["items"]) == 500
        assert not {i["id"] for i in page["items"]} & {i["id"] for i in nxt["items"]}
        bad = c.get("/api/noc/audit", params={"since": "2026-11-26T10:00:00"})
        assert bad.status_code == 422 and "since" in bad.json()["error"]["message"]


def read_routes(api: Api, alert_id: str) -> list[str]:
    """Every GET route of the running app (from its OpenAPI document), its
    path parameters filled with objects of tenant A — so a new read route is
    walked without anyone adding it here."""
    with api.client("admin") as c:
        spec = c.get("/openapi.json").json()
        incident = c.get("/api/noc/incidents", params={"limit": 1}).json()["items"][0]["id"]
        window = c.post(
            "/api/noc/maintenance",
            json={
                "client_id": api.ids["a1"],
                "starts_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                "ends_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                # Free text: e-mails and phone numbers are found by their shape
                # (a name in free text is not: docs/security.md).
                "reason": f"inspection, call {PHONE} or write to {EMAIL}",
            },
        )
        assert window.status_code == 201, window.text
        contact = c.post(  # a person's address: PII in a contact point's settings
            "/api/noc/contact-points",
            json={
                "name": f"mail-{uuid.uuid4().hex[:6]}",
                "channel": "email",
                "config": {"to": EMAIL, "from": "noc@example.com", "host": "127.0.0.1"},
            },
        )
        assert contact.status_code == 201, contact.text
        schedule = c.post(  # who is on call: people's names, and a note with their numbers
            "/api/noc/schedules",
            json={
                "name": f"rota-{uuid.uuid4().hex[:6]}",
                "time_zone": "Europe/Berlin",
                "client_id": api.ids["a1"],
                "layers": [
                    {
                        "name": "days",
                        "users": [api.ids["operator"], api.ids["admin"]],
                        "start": "2026-11-02T09:00",
                        "shift_hours": 24,
                    }
                ],
            },
        )
        assert schedule.status_code == 201, schedule.text
        override = c.post(
            f"/api/noc/schedules/{schedule.json()['id']}/overrides",
            json={
                "user_id": api.ids["admin"],
                "start": datetime.now(UTC).isoformat(),
                "end": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                "note": f"covering; call {PHONE} or write to {EMAIL}",
            },
        )
        assert override.status_code == 201, override.text
    params = {
        "alert_id": alert_id,
        "incident_id": incident,
        "window_id": window.json()["id"],
        "client_id": api.ids["a1"],
        "user_id": api.ids["operator"],
        "contact_id": contact.json()["id"],
        "schedule_id": schedule.json()["id"],
    }
    paths = []
    for path, ops in spec["paths"].items():
        if "get" not in ops or path.startswith("/api/noc/ack/"):
            # the acknowledge page answers a link's holder, not a reader: its
            # token is the credential (test_notifications walks it)
            continue
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a parameter of {path}: add it to read_routes"
        paths.append(path)
    return paths


def test_user_without_view_pii_never_receives_pii_on_any_read_route(world: Api) -> None:
    api = world
    alert_id = api.alerts["a1-n"][0]
    paths = read_routes(api, alert_id)
    assert {"/api/v2/alerts", "/api/noc/users", "/api/noc/tokens", "/api/noc/audit"} <= set(paths)
    configurer = _configurer_without_pii(api)
    bodies: dict[str, str] = {}
    for who in ("operator", "auditor", configurer):
        with api.client(who) as c:
            for path in paths:
                r = c.get(path)
                # 403: a route the reader may not call (audited); all else answers.
                assert r.status_code in (200, 403), (who, path, r.text)
                if r.status_code == 200:
                    bodies[f"{who} {path}"] = r.text
    admin_only = {"/api/noc/users", f"/api/noc/users/{api.ids['operator']}", "/api/noc/tokens"}
    assigners_only = {"/api/noc/assignees"}  # noc:assign_incidents, which the configurer lacks
    assert {p for p in paths if f"{configurer} {p}" not in bodies} == admin_only | assigners_only
    for where, text in bodies.items():
        for value in PII_VALUES:
            assert value not in text, f"{value!r} leaked in {where}"
    # The PII was there to leak: masked forms show up instead.
    assert "j***e@example.com" in bodies["auditor /api/noc/exports/alerts.csv"]
    assert "***-***-5309" in bodies["auditor /api/noc/exports/audit.csv"]
    assert "Ja***oe" in bodies["auditor /api/noc/exports/incidents.csv"]
    assert "Ja***oe" in bodies["operator /api/noc/incidents"]
    assert "j***e@example.com" in bodies["auditor /api/noc/audit"]
    with api.client("admin") as c:
        for path, value in (
            ("/api/noc/exports/alerts.csv", EMAIL),
            ("/api/noc/exports/incidents.csv", NAME),
            ("/api/noc/exports/audit.csv", PHONE),
            ("/api/noc/audit?limit=500", ADDRESS),
        ):
            assert value in c.get(path).text, path
    masked = api.sql(
        "SELECT metadata FROM audit_log WHERE action = 'EXPORT_DATA' AND actor_id = :u",
        u=api.ids["auditor"],
    )
    assert masked and all(meta(m[0])["masked"] is True for m in masked)


def test_reports_agree_with_the_reference_functions(world: Api) -> None:
    api = world
    target = api.alerts["a2-x"][0]
    with api.client("operator") as c:
        assert c.post(f"/api/noc/alerts/{target}/resolve", json={"notes": "ok"}).status_code == 200
    now = datetime.now(UTC)
    mine = tenant_alerts(api, "tenant_a")
    with api.client("admin") as c:
        mttr = c.get("/api/noc/reports/mttr").json()
        freq = c.get("/api/noc/reports/frequency", params={"days": 7}).json()
        sla = c.get("/api/noc/reports/sla-compliance").json()
        noisy = c.get("/api/noc/reports/noisy-sites").json()
        assert c.get("/api/noc/reports/frequency", params={"days": 0}).status_code == 422
    ref = reports.mttr(mine, now)
    assert mttr["resolved"] == ref["resolved"] >= 1
    assert mttr["overall_s"] == pytest.approx(ref["overall_s"])
    assert mttr["by_severity"]["HIGH"] == pytest.approx(ref["by_severity"]["HIGH"])
    assert mttr["by_severity"]["CRITICAL"] is None
    ref_freq = reports.frequency(mine, now, days=7)
    assert freq["by_type"] == ref_freq["by_type"] == {"SECURITY_ANOMALY": 7}
    assert freq["days"] == ref_freq["days"] and freq["daily"] == ref_freq["daily"]
    assert noisy["sites"] == reports.noisy_sites(mine, now)
    assert (sla["resolved"], sla["within_sla"], sla["open_past_sla"]) == (2, 1, 1)
    assert sla["compliance"] == pytest.approx(0.5)


def test_sites_list_names_exactly_the_sites_a_user_may_see(api: Api) -> None:
    def sites(who: str) -> dict[str, tuple[str, str]]:
        with api.client(who) as c:
            r = c.get("/api/noc/sites")
        assert r.status_code == 200, r.text
        return {s["id"]: (s["name"], s["client_id"]) for s in r.json()}

    ids = api.ids
    assert sites("guard") == {ids["a1-n"]: ("a1-n", ids["a1"])}
    assert set(sites("operator")) == {ids["a1-n"], ids["a1-s"], ids["a2-x"]}
    assert set(sites("admin_b")) == {ids["b1-x"]}
    with api.client("key") as c:  # an integration key has no noc:view
        assert c.get("/api/noc/sites").status_code == 403


def test_exported_cells_never_start_a_formula_even_behind_a_tab_or_return(world: Api) -> None:
    """Issue 11 item 9: a spreadsheet drops a leading tab or carriage return
    and runs what follows, so such a cell is escaped too."""
    api = world
    sneaky = ['\t=HYPERLINK("http://evil.test","x")', "\r+1+cmd|' /C calc'!A0", "\t@SUM(1)"]
    entity = f"csv-{uuid.uuid4().hex[:8]}"
    items = [
        {
            "alert_type": "UPS_ON_BATTERY",
            "message": text,
            "client_id": api.ids["a1"],
            "severity": "low",
            "entity_type": "ups",
            "entity_id": f"{entity}-{n}",
        }
        for n, text in enumerate(sneaky)
    ]
    with api.client("key") as http:
        r = http.post("/api/noc/alerts", json={"alerts": items})
    assert r.status_code == 200, r.text
    with api.client("admin") as c:
        r = c.get("/api/noc/exports/alerts.csv", params={"severity": "LOW"})
    assert r.status_code == 200, r.text
    mine = {
        row["entity_id"]: row["message"] for row in rows_of(r.text) if entity in row["entity_id"]
    }
    assert len(mine) == len(sneaky)
    for n, text in enumerate(sneaky):
        assert mine[f"{entity}-{n}"] == "'" + text  # shown as text, never evaluated


ISSUE_PII = {
    "emails": ["rita.ops@example.com", "r.opsworth@example.org"],
    "phones": ["+44 20 7946 0958"],
    "phone_no": "+1 (415) 555-0199",
    "mobile_no": "0412 345 678",
    "mobno": "9876543210",
    "contact_number": "+91 98765 43210",
    "firstname": "Ritaxa",
    "lastname": "Opsworth",
    "fullname": "Ritaxa Opsworth",
    "surname": "Opsworth",
    "peoplename": "Guardo Nightly",
    "Guard": {"name": "Guardo Nightly", "Phone-No": "+1 415 555 0111"},
    "contacts": [{"name": "Ritaxa Opsworth", "emailAddress": "rita.ops@example.com"}],
    "notes": "call +1 415 555 0123 or mail rita.ops@example.com",
}
ISSUE_PII_VALUES = (
    "rita.ops@example.com", "r.opsworth@example.org", "+44 20 7946 0958", "555-0199",
    "0412 345 678", "9876543210", "98765 43210", "Ritaxa", "Opsworth", "Guardo",
    "555 0111", "555 0123",
)  # fmt: skip


def _user_with_token(
    api: Api, who: str, capabilities: dict[str, bool], client_ids: list[str] | None = None
) -> str:
    """A user of tenant A named ``who`` with a token (made once per module)."""
    if who in api.tokens:
        return who

    async def make(db: AsyncConnection) -> None:
        user = await users.create_user(
            db,
            tenant_id=api.ids["tenant_a"],
            display_name=who,
            email=f"{who}-{api.tag}@example.com",
            capabilities=capabilities,
            client_ids=client_ids or [],
        )
        api.ids[who] = user["id"]
        api.tokens[who], _ = await tokens.issue_token(
            db, tenant_id=api.ids["tenant_a"], name=who, now=datetime.now(UTC), user_id=user["id"]
        )

    in_db(api, make)
    return who


def _configurer_without_pii(api: Api) -> str:
    """A user holding every capability but ``noc:view_pii`` (tenant admins
    hold them all, PII included, so the admin-only routes — users, tokens —
    answer this user 403)."""
    caps = {
        "noc:view": True,
        "noc:view_all_clients": True,
        "noc:configure": True,
        "noc:export": True,
        "noc:audit_view": True,
        "noc:manage_maintenance": True,
        "noc:view_pii": False,
    }
    return _user_with_token(api, "no-pii-configurer", caps)


def test_pii_under_any_key_spelling_or_inside_text_reaches_no_read_surface(world: Api) -> None:
    """Issue 11 item 2: ``emails``, ``phone_no``, ``mobno``, ``firstname``, a
    person's ``name``... came back in clear. Posted through the API; read on
    every GET route, the CSV exports, the Alertmanager API and a socket."""
    import asyncio as aio

    from tests.e2e.ws_client import Dash, post_alerts

    api = world
    item = {
        "alert_type": "PII_PROBE",
        "message": "door held, call +1 415 555 0123",
        "client_id": api.ids["a1"],
        "site_id": api.ids["a1-n"],
        "severity": "HIGH",
        "entity_type": "door",
        "entity_id": f"pii-{uuid.uuid4().hex[:8]}",
        "metadata": ISSUE_PII,
    }

    async def pushed() -> tuple[str, str]:
        dash = await Dash.open(api, "operator")
        try:
            posted = await post_alerts(api, [item])
            await dash.next(
                lambda f: f["type"] == "alert_new" and f["alert"]["id"] == posted.ids[0], 10
            )
            return posted.ids[0], "\n".join(dash.raw)
        finally:
            await dash.close()

    alert_id, socket_text = aio.run(pushed())
    bodies = {"operator socket": socket_text}
    paths = read_routes(api, alert_id)
    for who in ("operator", "auditor", _configurer_without_pii(api)):
        with api.client(who) as c:
            for path in paths:
                r = c.get(path)
                if r.status_code == 200:
                    bodies[f"{who} {path}"] = r.text
    assert f"operator /api/noc/alerts/{alert_id}" in bodies
    assert "auditor /api/noc/exports/alerts.csv" in bodies
    assert "operator /api/v2/alerts" in bodies
    for where, text in bodies.items():
        for value in ISSUE_PII_VALUES:
            assert value not in text, f"{value!r} leaked in {where}"
    with api.client("admin") as c:  # the values are stored, for those who may see them
        detail = c.get(f"/api/noc/alerts/{alert_id}").json()
    assert detail["metadata"]["mobno"] == "9876543210"
    assert detail["metadata"]["contacts"][0]["name"] == "Ritaxa Opsworth"


def test_the_audit_log_a_scoped_reader_sees_is_cut_to_its_clients(world: Api) -> None:
    """Issue 11 item 8: the audit log (and its export) was tenant-wide for
    every auditor, whatever its scope."""
    api = world
    caps = {"noc:view": True, "noc:view_client": True, "noc:audit_view": True, "noc:export": True}
    who = _user_with_token(api, "a2-auditor", caps, client_ids=[api.ids["a2"]])
    a1_alerts = set(api.alerts["a1-n"] + api.alerts["a1-s"])
    a2_alert = api.alerts["a2-x"][1]
    with api.client("admin") as c:
        assert c.post(f"/api/noc/alerts/{a2_alert}/acknowledge").status_code == 200
        assert c.post(f"/api/noc/alerts/{api.alerts['a1-n'][1]}/acknowledge").status_code == 200
    with api.client(who) as c:
        denied = c.get(f"/api/noc/alerts/{api.alerts['a1-n'][0]}")  # its own denial
        rows = c.get("/api/noc/audit", params={"limit": 500}).json()["items"]
        exported = rows_of(c.get("/api/noc/exports/audit.csv").text)
        everything = len(
            api.sql("SELECT id FROM audit_log WHERE tenant_id = :t", t=api.ids["tenant_a"])
        )
    assert denied.status_code == 403
    seen = {(r["action"], r["entity_type"], r["entity_id"]) for r in rows}
    assert ("ACKNOWLEDGE", "alert", a2_alert) in seen
    assert ("UNAUTHORIZED_ACCESS", "alert", api.alerts["a1-n"][0]) in seen  # its own
    assert not {e for _, t, e in seen if t == "alert"} & a1_alerts - {api.alerts["a1-n"][0]}
    # Other users' exports, configuration and tokens are not about its clients.
    assert not {a for a, _, _ in seen} & {"CONFIG_CHANGE", "TOKEN_ISSUED", "EXPORT_DATA"}
    assert len(rows) < everything
    assert {row["id"] for row in exported} >= {str(r["id"]) for r in rows[:10]}
    assert all(
        row["entity_id"] not in a1_alerts or row["actor_id"] == api.ids[who] for row in exported
    )


def test_reading_unmasked_pii_is_audited_and_transitions_keep_the_user_agent(world: Api) -> None:
    """Issue 11 item 8: VIEW_SENSITIVE when unmasked PII is read (an alert
    with PII, an export), and the user agent on transition rows."""
    api = world
    alert_id = api.alerts["a1-s"][0]  # seeded with PII in its metadata
    with api.client("operator") as c:  # masked: nothing sensitive was seen
        assert c.get(f"/api/noc/alerts/{alert_id}").status_code == 200
    with api.client("admin", **{"X-Correlation-ID": "pii-read", "User-Agent": "noc-test/2.0"}) as c:
        assert c.get(f"/api/noc/alerts/{alert_id}").status_code == 200
        assert c.get("/api/noc/exports/alerts.csv").status_code == 200
        ack = c.post(f"/api/noc/alerts/{api.alerts['a1-s'][1]}/acknowledge")
        assert ack.status_code == 200, ack.text
    sensitive = api.sql(
        "SELECT actor_id, entity_type, metadata FROM audit_log "
        "WHERE action = 'VIEW_SENSITIVE' AND correlation_id = 'pii-read' ORDER BY id"
    )
    assert [(r[0], r[1]) for r in sensitive] == [
        (api.ids["admin"], "alert"),
        (api.ids["admin"], "export"),
    ]
    fields = meta(sensitive[0][2])["fields"]
    assert "metadata.email" in fields and "metadata.phone" in fields
    none_for_operator = api.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'VIEW_SENSITIVE' AND actor_id = :u",
        u=api.ids["operator"],
    )
    assert none_for_operator[0][0] == 0
    (agent,) = api.sql(
        "SELECT user_agent FROM audit_log WHERE action = 'ACKNOWLEDGE' AND correlation_id = :c",
        c="pii-read",
    )[0]
    assert agent == "noc-test/2.0"
