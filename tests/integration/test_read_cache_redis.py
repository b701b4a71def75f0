"""The hosts' read-cache invalidator over a real Redis: a bump moves one
client's version and its tenant's; a bump of many (``ingest_together``:
every client of a host's message) moves each of theirs and their tenant's,
once, in one command; without a Redis URL it does nothing."""

from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as redis

from noc_actors import cache_keys
from noc_actors.actors.read_cache import RedisInvalidator
from tests.conftest import service_unavailable

URL = os.environ.get("NOC_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
async def versions() -> redis.Redis:
    client = redis.from_url(URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except redis.RedisError as err:
        await client.aclose()
        service_unavailable(f"Redis unreachable at {URL}: {err}")
    yield client
    await client.aclose()


async def test_bumps_move_each_clients_version_once(versions: redis.Redis) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    clients = [(tenant, f"c{i}") for i in range(3)]
    invalidator = RedisInvalidator(URL)

    async def version(client_id: str) -> int:
        return int(await versions.get(cache_keys.version_key(tenant, client_id)) or 0)

    await invalidator.bump(tenant, "c0")
    await invalidator.bump_many(clients)
    await invalidator.bump_many([])  # nothing to do: no round trip, no error
    await invalidator.close()
    assert [await version(c) for _, c in clients] == [2, 1, 1]
    tenant_key = cache_keys.tenant_version_key(tenant)
    assert int(await versions.get(tenant_key) or 0) == 2  # once per bump, however many clients
    await versions.delete(tenant_key, *(cache_keys.version_key(t, c) for t, c in clients))


async def test_without_a_redis_url_bumps_do_nothing() -> None:
    invalidator = RedisInvalidator(None)
    await invalidator.bump("t", "c")
    await invalidator.bump_many([("t", "c")])
