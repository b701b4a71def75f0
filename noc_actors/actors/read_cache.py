"""``RedisInvalidator``: the runtime's ``Invalidator`` over Redis. It bumps
``noc:ver:<tenant>:<client>`` (``cache_keys``) so no cached read (overview,
dashboard) outlives a committed alert change. One per process; without a
Redis URL it does nothing."""

from __future__ import annotations

from typing import Any

from noc_actors import cache_keys


class RedisInvalidator:
    def __init__(self, redis_url: str | None) -> None:
        self._redis: Any = None
        if redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    async def bump(self, tenant_id: str, client_id: str) -> None:
        if self._redis is not None:
            await self._redis.incr(cache_keys.version_key(tenant_id, client_id))
