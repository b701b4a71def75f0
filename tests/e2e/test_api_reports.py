"""The reports' periods and the alert rate over real HTTP (issue 15 item 1):
``days`` on MTTR, SLA compliance and noisy sites (defaults unchanged: the
SPEC's 30, 30 and 7 days), and ``/reports/alert-rate`` — new and resolved
alerts per bucket, equal to the reference function over the alerts the
caller may see, and nothing of the clients or sites it may not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain import reports
from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import Severity
from noc_actors.store.repos import alerts, clients, incidents, tokens, users
from tests.e2e.conftest import Api
from tests.e2e.test_api_reads import in_db, tenant_alerts

OLD = timedelta(days=20)  # inside the 30-day windows, outside a 7-day period


async def _seed(db: AsyncConnection, api: Api) -> None:
    """A user who sees client a1 only; a site of a2 whose only alerts are
    20 days old (resolved, so no runtime holds them); two incidents with an
    SLA: one resolved in time 20 days ago, one resolved late a day ago."""
    tid, now = api.ids["tenant_a"], datetime.now(UTC)
    user = await users.create_user(
        db,
        tenant_id=tid,
        display_name="A1 only",
        email=f"a1-only-{api.tag}@example.com",
        capabilities={"noc:view": True, "noc:view_client": True},
        client_ids=[api.ids["a1"]],
    )
    api.ids["a1_only"] = user["id"]
    api.tokens["a1_only"], _ = await tokens.issue_token(
        db, tenant_id=tid, name="a1-only", now=now, user_id=user["id"]
    )
    site = f"a2-old-{api.tag}"
    await clients.create_site(
        db, tenant_id=tid, client_id=api.ids["a2"], name="a2-old", site_id=site
    )
    api.ids["a2-old"] = site
    old: list[Alert] = []
    for i in range(3):
        seen = now - OLD - timedelta(minutes=i)
        a = Alert(
            id=f"old-{i}-{api.tag}",
            tenant_id=tid,
            client_id=api.ids["a2"],
            alert_type="DEVICE_OFFLINE",
            severity=Severity.CRITICAL,
            message="old camera outage",
            dedup_key=f"old-{i}-{api.tag}",
            first_seen=seen,
            last_seen=seen,
            site_id=site,
            suppressed_count=4,
        )
        a.resolve(api.ids["admin"], seen + timedelta(minutes=30))
        old.append(a)
    await alerts.insert_alerts(db, old)
    for n, (ago, sla_h, took_h) in enumerate(((OLD, 4, 1), (timedelta(days=1), 1, 3))):
        created = now - ago
        inc = await incidents.create_incident(
            db,
            tenant_id=tid,
            client_id=api.ids["a1"],
            site_id=api.ids["a1-n"],
            title=f"incident {n}",
            severity="HIGH",
            now=created,
            alert_ids=api.alerts["a1-n"][:1],
            sla_target=created + timedelta(hours=sla_h),
        )
        await incidents.update_incident(
            db,
            tenant_id=tid,
            incident_id=inc["id"],
            state="RESOLVED",
            resolved_at=created + timedelta(hours=took_h),
        )


@pytest.fixture(scope="module")
def world(api: Api) -> Api:
    in_db(api, lambda db: _seed(db, api))
    with api.client("operator") as c:  # one alert resolved now: counted in the rate
        target = api.alerts["a1-s"][0]
        assert c.post(f"/api/noc/alerts/{target}/resolve", json={}).status_code == 200
    return api


def rate(api: Api, who: str, **params: Any) -> dict[str, Any]:
    with api.client(who) as c:
        r = c.get("/api/noc/reports/alert-rate", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_alert_rate_equals_the_reference_over_what_each_caller_may_see(world: Api) -> None:
    api = world
    mine = tenant_alerts(api, "tenant_a")
    ids = api.ids
    cases: list[tuple[str, Callable[[Alert], bool], dict[str, Any]]] = [
        ("admin", lambda a: True, {}),
        ("a1_only", lambda a: a.client_id == ids["a1"], {}),
        ("guard", lambda a: a.site_id == ids["a1-n"], {"hours": 6, "bucket_minutes": 7}),
        ("admin", lambda a: True, {"hours": 168, "bucket_minutes": 60}),
    ]
    for who, sees, params in cases:
        body = rate(api, who, **params)
        now = datetime.fromisoformat(body["generated_at"])
        hours, minutes = params.get("hours", 24), params.get("bucket_minutes", 5)
        ref = reports.alert_rate([a for a in mine if sees(a)], now, hours, minutes)
        assert (body["hours"], body["bucket_minutes"]) == (hours, minutes)
        assert body["buckets"] == ref, who
        assert len(ref) == -(-hours * 60 // minutes)
        assert body["new"] == sum(b["new"] for b in ref)
        assert body["resolved"] == sum(b["resolved"] for b in ref)
    # The world's open alerts: a1 has 5 (a1-n 3, a1-s 2, one resolved now), a2 has 2.
    assert (rate(api, "admin")["new"], rate(api, "admin")["resolved"]) == (7, 1)
    assert (rate(api, "a1_only")["new"], rate(api, "a1_only")["resolved"]) == (5, 1)
    assert (rate(api, "guard")["new"], rate(api, "guard")["resolved"]) == (3, 0)
    assert rate(api, "admin_b")["new"] == 2  # tenant B sees its own only
    week = rate(api, "admin", hours=168, bucket_minutes=60)
    assert week["new"] == 7  # the 20-day-old alerts are outside any period the rate allows


def test_report_periods_keep_the_spec_windows_by_default_and_follow_days(world: Api) -> None:
    api = world
    mine = tenant_alerts(api, "tenant_a")
    with api.client("admin") as c:
        get = lambda path, **p: c.get(f"/api/noc/reports/{path}", params=p).json()  # noqa: E731
        mttr, mttr_7 = get("mttr"), get("mttr", days=7)
        sla, sla_7 = get("sla-compliance"), get("sla-compliance", days=7)
        noisy, noisy_30 = get("noisy-sites"), get("noisy-sites", days=30)
    now = datetime.now(UTC)
    assert (mttr["window_days"], sla["window_days"], noisy["window_days"]) == (30, 30, 7)
    assert (mttr_7["window_days"], sla_7["window_days"], noisy_30["window_days"]) == (7, 7, 30)

    # MTTR: the old CRITICAL alerts count over 30 days, not over 7.
    for body, days in ((mttr, 30), (mttr_7, 7)):
        ref = reports.mttr(mine, now, timedelta(days=days))
        assert body["resolved"] == ref["resolved"]
        assert body["overall_s"] == pytest.approx(ref["overall_s"])
        assert body["by_severity"]["CRITICAL"] == ref["by_severity"]["CRITICAL"]
    assert mttr["resolved_by_severity"]["CRITICAL"] == 3 and mttr["by_severity"]["CRITICAL"] == 1800
    assert mttr_7["resolved_by_severity"] == {
        "CRITICAL": 0,
        "HIGH": 1,
        "MEDIUM": 0,
        "LOW": 0,
        "INFO": 0,
    }

    # SLA: in time 20 days ago, late a day ago; per client and in total.
    assert (sla["resolved"], sla["within_sla"], sla["compliance"]) == (2, 1, 0.5)
    assert (sla_7["resolved"], sla_7["within_sla"], sla_7["compliance"]) == (1, 0, 0.0)
    assert sla["by_client"] == [
        {"client_id": api.ids["a1"], "resolved": 2, "within_sla": 1, "compliance": 0.5,
         "open_past_sla": 0}
    ]  # fmt: skip

    # Noisy sites: the old site (3 alerts, 12 duplicates) only over 30 days.
    assert noisy["sites"] == reports.noisy_sites(mine, now)
    assert noisy_30["sites"] == reports.noisy_sites(mine, now, window=timedelta(days=30))
    assert noisy_30["sites"][0] == {
        "client_id": api.ids["a2"], "site_id": api.ids["a2-old"],
        "alerts": 3, "suppressed_duplicates": 12, "noise": 15,
    }  # fmt: skip
    assert api.ids["a2-old"] not in {s["site_id"] for s in noisy["sites"]}


def test_a_user_limited_to_one_client_gets_reports_of_that_client_only(world: Api) -> None:
    api = world
    with api.client("a1_only") as c:
        noisy = c.get("/api/noc/reports/noisy-sites", params={"days": 30}).json()["sites"]
        sla = c.get("/api/noc/reports/sla-compliance").json()
    assert {s["client_id"] for s in noisy} == {api.ids["a1"]}
    assert [row["client_id"] for row in sla["by_client"]] == [api.ids["a1"]]
    with api.client("guard") as c:  # site a1-n only: its incidents are on a1-n
        assert c.get("/api/noc/reports/sla-compliance").json()["resolved"] == 2
        assert [s["site_id"] for s in c.get("/api/noc/reports/noisy-sites").json()["sites"]] == [
            api.ids["a1-n"]
        ]


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("alert-rate", "hours", 0),
        ("alert-rate", "hours", 169),
        ("alert-rate", "hours", "a day"),
        ("alert-rate", "bucket_minutes", 0),
        ("alert-rate", "bucket_minutes", 61),
        ("mttr", "days", 0),
        ("mttr", "days", 91),
        ("sla-compliance", "days", 0),
        ("sla-compliance", "days", 91),
        ("noisy-sites", "days", 0),
        ("noisy-sites", "days", "week"),
    ],
)
def test_bad_report_parameters_are_422_naming_the_field(
    api: Api, path: str, field: str, value: Any
) -> None:
    with api.client("admin") as c:
        r = c.get(f"/api/noc/reports/{path}", params={field: value})
    assert r.status_code == 422, r.text
    assert [f["field"] for f in r.json()["error"]["fields"]] == [field]
