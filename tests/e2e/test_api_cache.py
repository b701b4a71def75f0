"""Hot reads are cached in Redis (scoped by tenant and user scope) and a
committed alert change invalidates them at once: no cached read returns the
old state."""

from __future__ import annotations

import json

import redis

from tests.e2e.conftest import Api

REDIS = True  # the `api` fixture gives this module's system a Redis cache
SETTINGS = {"cache_warm_interval_s": 1.0}


def tile(api: Api, who: str, client: str) -> dict:
    with api.client(who) as c:
        r = c.get("/api/noc/overview")
    assert r.status_code == 200, r.text
    return next(t for t in r.json()["clients"] if t["client_id"] == api.ids[client])


def test_overview_is_cached_in_redis_per_scope(api: Api) -> None:
    first = tile(api, "admin", "a1")
    again = tile(api, "admin", "a1")
    assert first == again
    r = redis.Redis.from_url(api.settings.redis_url or "", decode_responses=True)
    keys = r.keys("noc:cache:overview:*")
    tile(api, "guard", "a1")  # another scope, another entry
    assert len(r.keys("noc:cache:overview:*")) == len(keys) + 1
    assert tile(api, "guard", "a1")["open_total"] == len(api.alerts["a1-n"])


def test_an_alert_change_invalidates_cached_reads_at_once(api: Api) -> None:
    r = redis.Redis.from_url(api.settings.redis_url or "", decode_responses=True)
    version = f"noc:ver:{api.ids['tenant_a']}:{api.ids['a2']}"
    bumped_before = int(r.get(version) or 0)
    before = tile(api, "admin", "a2")["open_total"]
    # Served from the cache: a value planted in the cached entries comes back.
    planted = 0
    for entry in r.keys("noc:cache:overview:*"):
        page = json.loads(r.get(entry) or "[]")
        tiles = page if isinstance(page, list) else page.get("clients", [])
        for t in tiles:
            if t["client_id"] == api.ids["a2"]:
                t["open_total"] = 999
                r.set(entry, json.dumps(page), keepttl=True)
                planted += 1
    assert planted >= 1
    assert tile(api, "admin", "a2")["open_total"] == 999
    victim = api.alerts["a2-x"][0]
    with api.client("admin") as c:
        assert c.post(f"/api/noc/alerts/{victim}/resolve").status_code == 200
    # The commit bumped the client's version: the next read is fresh, not 999.
    assert int(r.get(version) or 0) > bumped_before
    assert tile(api, "admin", "a2")["open_total"] == before - 1


def test_health_reports_the_redis_cache(api: Api) -> None:
    with api.client("admin") as c:
        body = c.get("/api/noc/health").json()
    assert body["components"]["cache"] == {"ok": True, "kind": "redis"}


def test_overviews_are_warmed_for_all_clients_users_without_a_request(api: Api) -> None:
    import time

    r = redis.Redis.from_url(api.settings.redis_url or "", decode_responses=True)
    for key in r.keys("noc:cache:overview:*"):
        r.delete(key)
    # Tenant A has all-clients users with PII (admin) and without (operator),
    # tenant B an admin: three warmed entries (one warm pass writes them one
    # after the other, so wait for all of them).
    deadline = time.monotonic() + 15
    while len(r.keys("noc:cache:overview:*")) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(r.keys("noc:cache:overview:*")) >= 3


def alerts_page(api: Api, who: str, **params: str) -> dict:
    with api.client(who) as c:
        r = c.get("/api/noc/alerts", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def plant(r: redis.Redis, kind: str, change) -> int:
    """Rewrite every cached entry of ``kind`` with ``change``; how many."""
    planted = 0
    for entry in r.keys(f"noc:cache:{kind}:*"):
        value = json.loads(r.get(entry) or "null")
        if change(value):
            r.set(entry, json.dumps(value), keepttl=True)
            planted += 1
    return planted


def test_alert_lists_are_cached_and_a_change_shows_at_once(api: Api) -> None:
    """A client's list and the tenant-wide list are served from Redis (a
    value planted there comes back); acknowledging an alert of that client
    makes both fresh before its answer arrives."""
    r = redis.Redis.from_url(api.settings.redis_url or "", decode_responses=True)
    victim = api.alerts["a1-s"][0]
    mine = {"client_id": api.ids["a1"], "status": "NEW"}
    first, everyone = alerts_page(api, "admin", **mine), alerts_page(api, "admin")
    assert victim in [a["id"] for a in first["items"]]
    assert alerts_page(api, "admin", **mine) == first  # the same entry

    def rename(page: dict) -> bool:
        for item in page["items"]:
            item["message"] = "planted"
        return bool(page["items"])

    assert plant(r, "alerts", rename) >= 2
    assert {a["message"] for a in alerts_page(api, "admin", **mine)["items"]} == {"planted"}
    assert {a["message"] for a in alerts_page(api, "admin")["items"]} == {"planted"}
    with api.client("admin") as c:
        assert c.post(f"/api/noc/alerts/{victim}/acknowledge").status_code == 200
    fresh = alerts_page(api, "admin", **mine)
    assert victim not in [a["id"] for a in fresh["items"]]  # no longer NEW
    assert "planted" not in {a["message"] for a in fresh["items"]}
    tenant_wide = alerts_page(api, "admin")["items"]
    assert "planted" not in {a["message"] for a in tenant_wide}
    assert len(tenant_wide) == len(everyone["items"])
    assert next(a for a in tenant_wide if a["id"] == victim)["status"] == "ACKNOWLEDGED"


def test_alert_lists_are_cached_per_scope_and_pii_view(api: Api) -> None:
    """The guard (one site, no PII) never gets the admin's entry."""
    r = redis.Redis.from_url(api.settings.redis_url or "", decode_responses=True)
    for key in r.keys("noc:cache:alerts:*"):
        r.delete(key)
    admin = alerts_page(api, "admin", client_id=api.ids["a1"])
    guard = alerts_page(api, "guard", client_id=api.ids["a1"])
    assert len(r.keys("noc:cache:alerts:*")) == 2
    north, south = api.ids["a1-n"], api.ids["a1-s"]
    assert {a["site_id"] for a in guard["items"]} == {north}
    assert {a["site_id"] for a in admin["items"]} == {north, south}


async def test_snapshot_reads_are_cached_until_the_next_snapshot(api: Api) -> None:
    from noc_actors.actors.client import NocClient

    r = redis.Redis.from_url(api.settings.redis_url or "", decode_responses=True)
    path = f"/api/noc/clients/{api.ids['a1']}/snapshots"
    noc = NocClient(api.settings.ray_namespace)
    await noc.take_snapshot(api.ids["tenant_a"], api.ids["a1"])
    with api.client("admin") as c:
        first = c.get(path).json()["items"]
    assert first

    def poison(items: list) -> bool:
        for item in items:
            item["metrics"] = {"planted": True}
        return True

    assert plant(r, "snapshots", poison) >= 1
    with api.client("admin") as c:
        assert c.get(path).json()["items"][-1]["metrics"] == {"planted": True}  # cached
    await noc.take_snapshot(api.ids["tenant_a"], api.ids["a1"])  # bumps the client
    with api.client("admin") as c:
        items = c.get(path).json()["items"]
    assert items and all(i["metrics"] != {"planted": True} for i in items)
