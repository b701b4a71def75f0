"""Read cache for overview and dashboard reads: Redis when ``NOC_REDIS_URL``
is set, else an in-process cache per replica.

Entries are keyed by tenant, the caller's scope (visible clients and sites,
PII flag) and the *versions* of the clients they cover (or of the whole
tenant). Aggregators bump a client's version, and its tenant's, in Redis
after every committed alert or snapshot change — before they push it;
without Redis each replica bumps its own versions from the hub's events
(``invalidate_from_hub``).
So no cached read returns state older than the last committed change, and
the TTLs (overview 300 s, metric snapshots 180 s, alert lists 60 s:
``NOC_CACHE_TTL_*``) only bound memory and what a change made behind the
aggregators' backs (the nightly archive) can leave stale."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, cast

from noc_actors import cache_keys
from noc_actors.actors.read_cache import bump_versions
from noc_actors.domain.hub_events import StreamItem, is_dashboard_event

log = logging.getLogger(__name__)


class Cache(Protocol):
    coherent: bool
    """Whether a write is seen by the next read as soon as it is answered:
    Redis, which the aggregators bump before they answer. The in-process
    cache learns of writes from the hub's events, a moment after the
    writer's answer, so a read right after one's own write (an alert list
    after an acknowledge) could still hit the entry of before."""

    async def get(self, key: str) -> Any | None: ...
    async def set(self, key: str, value: Any, ttl_s: int) -> None: ...
    async def versions(self, tenant_id: str, client_ids: Sequence[str] | None) -> str:
        """The versions a read covering ``client_ids`` (None: the whole
        tenant) is keyed by."""
        ...

    async def bump(self, tenant_id: str, client_id: str) -> None: ...
    async def ping(self) -> bool: ...


class MemoryCache:
    """Per-process cache with expiry; versions bumped from hub events."""

    coherent = False

    def __init__(self, max_entries: int = 10_000) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._versions: dict[str, int] = {}
        self.max_entries = max_entries

    async def get(self, key: str) -> Any | None:
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return json.loads(hit[1])

    async def set(self, key: str, value: Any, ttl_s: int) -> None:
        if len(self._data) >= self.max_entries:
            now = time.monotonic()
            for k in [k for k, (exp, _) in self._data.items() if exp < now] or list(self._data):
                del self._data[k]
        self._data[key] = (time.monotonic() + ttl_s, json.dumps(value, default=str))

    async def versions(self, tenant_id: str, client_ids: Sequence[str] | None) -> str:
        keys = cache_keys.version_keys(tenant_id, client_ids)
        return ".".join(str(self._versions.get(k, 0)) for k in keys)

    async def bump(self, tenant_id: str, client_id: str) -> None:
        for key in cache_keys.bumped_keys(tenant_id, client_id):
            self._versions[key] = self._versions.get(key, 0) + 1

    async def ping(self) -> bool:
        return True


class RedisCache:
    """Cache in Redis, shared by every replica; versions bumped by aggregators."""

    coherent = True

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(
            url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2
        )

    async def get(self, key: str) -> Any | None:
        raw = await self.client.get(key)
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any, ttl_s: int) -> None:
        await self.client.set(key, json.dumps(value, default=str), ex=ttl_s)

    async def versions(self, tenant_id: str, client_ids: Sequence[str] | None) -> str:
        if client_ids is not None and not client_ids:
            return "-"
        keys = cache_keys.version_keys(tenant_id, client_ids)
        return ".".join(v or "0" for v in await self.client.mget(keys))

    async def bump(self, tenant_id: str, client_id: str) -> None:
        await bump_versions(self.client, [(tenant_id, client_id)])

    async def ping(self) -> bool:
        return bool(await cast(Awaitable[bool], self.client.ping()))


def make_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else MemoryCache()


async def cached(
    cache: Cache,
    kind: str,
    tenant_id: str,
    scope_parts: Sequence[str],
    client_ids: Sequence[str] | None,
    ttl_s: int,
    compute: Callable[[], Awaitable[Any]],
) -> Any:
    """``compute()`` once per (scope, client versions), then from the cache;
    ``client_ids`` None: the read covers every client of the tenant.
    A cache that fails is bypassed (reads never fail because of the cache)."""
    try:
        key = cache_keys.cache_key(
            kind,
            tenant_id,
            cache_keys.digest(scope_parts),
            await cache.versions(tenant_id, client_ids),
        )
        hit = await cache.get(key)
    except Exception as err:  # noqa: BLE001 - degrade to uncached reads
        log.warning("cache unavailable, reading through: %s", err)
        return await compute()
    if hit is not None:
        return hit
    value = await compute()
    try:
        await cache.set(key, value, ttl_s)
    except Exception as err:  # noqa: BLE001
        log.warning("cache write failed: %s", err)
    return value


async def invalidate_from_hub(cache: Cache, batch: list[StreamItem]) -> None:
    """Bump local versions from one batch of hub events (in-process cache
    only; a listener of the replica's hub pump, ``serve_app.ws.pump``). A
    (re)subscription or an overflow drops every version forward, since
    changes may have been missed."""
    for event in batch:
        kind = event["type"]
        if is_dashboard_event(event):
            client_id = event["client_id"]
            if client_id and (kind.startswith("alert_") or kind == "metrics_update"):
                await cache.bump(event["tenant_id"], client_id)
        elif kind in ("subscribed", "overflow") and isinstance(cache, MemoryCache):
            cache._versions = {k: v + 1 for k, v in cache._versions.items()}
            cache._data.clear()
