"""``RedisInvalidator``: the runtime's ``Invalidator`` over Redis. It bumps
``noc:ver:<tenant>:<client>`` and ``noc:tver:<tenant>`` (``cache_keys``) so
no cached read (overview, alert lists, snapshots) outlives a committed
change. One per process; without a Redis URL it does nothing.

A bump of many clients (a host's shared ingest) is one command: a script
that increments every key (each tenant's once), not an INCR per key —
redis-py spends ~25 µs of the caller's CPU packing each command, which for
a pipeline of two keys per client cost a pool ~10 % of its ingest
(docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from noc_actors import cache_keys

INCR_ALL = "for _, key in ipairs(KEYS) do redis.call('INCR', key) end return #KEYS"


async def bump_versions(redis: Any, clients: Sequence[tuple[str, str]]) -> None:
    """Move the versions of ``(tenant_id, client_id)`` pairs, and of their
    tenants, in one command on the asyncio client ``redis``."""
    keys = dict.fromkeys(k for t, c in clients for k in cache_keys.bumped_keys(t, c))
    if keys:
        await redis.eval(INCR_ALL, len(keys), *keys)


class RedisInvalidator:
    def __init__(self, redis_url: str | None) -> None:
        self._redis: Any = None
        if redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    async def bump(self, tenant_id: str, client_id: str) -> None:
        await self.bump_many([(tenant_id, client_id)])

    async def bump_many(self, clients: Sequence[tuple[str, str]]) -> None:
        """Every client's version (and its tenant's), in one command."""
        if self._redis is not None:
            await bump_versions(self._redis, clients)

    async def close(self) -> None:
        """Close the connection (a host lives as long as its process: tests)."""
        if self._redis is not None:
            await self._redis.aclose()
