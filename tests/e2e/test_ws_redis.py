"""The dashboard socket with Redis, on two Serve replicas: the 100 messages a
minute of one user are counted across replicas (in Redis), and pushes still
reach sockets on both replicas (each replica's one hub subscription feeds
its sockets; with Redis it has no cache to invalidate)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest_asyncio

from tests.e2e.conftest import Api
from tests.e2e.ws_client import Dash, alert_item, is_alert, post_alerts, run_id, two_replicas

REDIS = True
REPLICAS = 2
BACKENDS = ("postgres",)
"""Redis and two replicas are tested here; the database plays no part (one
stack start fewer in CI; PostgreSQL with Redis, as in production)."""


@pytest_asyncio.fixture(autouse=True)
async def close_sockets() -> AsyncIterator[None]:
    yield
    await Dash.close_all()


async def test_the_rate_limit_counts_one_users_messages_across_replicas(api: Api) -> None:
    a, b = await two_replicas(api, "viewer")
    if time.time() % 60 > 50:  # keep the burst inside one fixed window
        await asyncio.sleep(61 - time.time() % 60)
    for i in range(60):
        await a.send({"type": "heartbeat", "id": i})
        await b.send({"type": "heartbeat", "id": i})
    replies = []
    for d in (a, b):
        await d.next(lambda f: f.get("id") == 59, 10)
        replies += d.frames_of_ids(range(60))
    kinds = [f["type"] for f in replies]
    assert kinds.count("heartbeat_ack") == 100 and kinds.count("error") == 20
    assert {f["code"] for f in replies if f["type"] == "error"} == {"rate_limited"}


async def test_pushes_reach_sockets_on_both_replicas_with_redis(api: Api) -> None:
    a, b = await two_replicas(api, "admin")
    run = run_id()
    posted = await post_alerts(api, [alert_item(api, run, 0)])
    for d in (a, b):
        arrived, _ = await d.arrival(is_alert(run), 5)
        assert arrived - posted.started < 1.0
