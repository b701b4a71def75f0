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
