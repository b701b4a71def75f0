"""What health answers a load balancer (issue 11 item 6): 200 while the
replica can serve — a cache outage or an actor restarting is degraded, not
down — and 503 only when it cannot (the database is unreachable); and what
the details show a tenant's reader of the supervisor's view."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from serve_app.health import (
    OPERATOR,
    Reader,
    _actors_seen_by,
    actors_ok,
    http_status,
    status_of,
)
from serve_app.recent import Recent


def test_a_cache_or_actor_outage_is_degraded_and_keeps_the_replica_in() -> None:
    assert status_of([]) == "healthy" and http_status("healthy") == 200
    for part in ("cache", "actors", "timer", "backpressure", "replica"):
        assert status_of([part]) == "degraded" and http_status(status_of([part])) == 200


def test_an_unreachable_database_takes_the_replica_out() -> None:
    assert status_of(["database"]) == "unavailable" and http_status("unavailable") == 503
    assert status_of(["cache", "database"]) == "unavailable"


def supervisor_view() -> Any:
    def actor(name: str, kind: str, client: str | None, clients: list[str]) -> dict[str, Any]:
        return {
            "name": name, "kind": kind, "client_id": client, "clients": clients,
            "state": "ALIVE", "restarts": 0, "last_ok": 1.0, "last_error": None, "details": {},
        }  # fmt: skip

    def job(name: str) -> dict[str, Any]:
        return {"name": name, "late": True, "failures": 1}

    return {
        "ok": True,
        "actors": [
            actor("noc:escalation-timer", "timer", None, []),
            actor("noc:pool:0", "pool", None, ["a1", "a2", "b1"]),
            actor("noc:aggregator:b2", "aggregator", "b2", ["b2"]),
        ],
        "jobs": [job("supervisor-watch"), job("a1/snapshot"), job("b1/clock-rules")],
    }


def test_a_tenant_reader_sees_only_its_clients_in_the_actor_view() -> None:
    seen = _actors_seen_by(supervisor_view(), Reader("tenant-a", frozenset({"a1", "a2"})))
    assert [a["name"] for a in seen["actors"]] == ["noc:escalation-timer", "noc:pool:0"]
    assert seen["actors"][1]["clients"] == ["a1", "a2"]
    assert [j["name"] for j in seen["jobs"]] == ["supervisor-watch", "a1/snapshot"]
    everything = _actors_seen_by(supervisor_view(), OPERATOR)
    assert len(everything["actors"]) == 3 and len(everything["jobs"]) == 3


def test_jobs_late_for_want_of_the_database_blame_the_database_not_the_actors() -> None:
    view = supervisor_view()
    view["ok"] = False  # the supervisor counts the late jobs against the actors
    assert not actors_ok(view, database_ok=True)
    assert actors_ok(view, database_ok=False)  # every actor answered: the database is the cause
    view["actors"][1]["state"] = "RESTARTING"
    assert not actors_ok(view, database_ok=False)  # a dead actor is its own failure


async def test_recent_shares_one_computation_among_concurrent_askers() -> None:
    recent: Recent[int] = Recent(ttl_s=60)
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return calls

    answers = await asyncio.gather(*(recent.get(compute) for _ in range(20)))
    assert answers == [1] * 20 and calls == 1
    assert await recent.get(compute) == 1  # kept for its ttl
    expired: Recent[int] = Recent(ttl_s=0)
    await expired.get(compute)
    assert await expired.get(compute) == calls and calls == 3


async def test_a_failed_computation_is_not_kept() -> None:
    recent: Recent[int] = Recent(ttl_s=60)

    async def broken() -> int:
        raise RuntimeError("database down")

    async def fine() -> int:
        return 7

    with pytest.raises(RuntimeError):
        await recent.get(broken)
    assert await recent.get(fine) == 7
