"""The per-replica access cache: valid while the database's access epoch
stays the same, expiry checked on every use, token use collected for one
batched write; one epoch read shared by the requests waiting for it, never
older than a request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.access import Principal, Scope
from serve_app.access_cache import Access, AccessCache, SharedRead
from serve_app.directory import Directory

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def access(token_id: str = "tok-1", expires_at: datetime | None = None) -> Access:
    principal = Principal("u1", "t1", is_admin=True)
    directory = Directory.of([{"id": "c1", "name": "Mall", "enabled": True}], [])
    scope = Scope.for_principal(principal, directory.client_infos(), directory.site_client)
    return Access(token_id, expires_at, principal, scope, None, directory)


def test_a_cached_token_is_served_while_the_epoch_holds() -> None:
    cache = AccessCache()
    cache.at_epoch(7)
    cache.put("h1", access())
    cache.at_epoch(7)
    assert cache.get("h1", NOW) is not None and (cache.hits, cache.misses) == (1, 0)


def test_a_new_epoch_forgets_every_token() -> None:
    cache = AccessCache()
    cache.at_epoch(7)
    cache.put("h1", access())
    cache.at_epoch(8)  # a token was revoked, a user re-scoped, a client added ...
    assert cache.get("h1", NOW) is None and len(cache) == 0


def test_an_expired_token_is_not_served_from_the_cache() -> None:
    cache = AccessCache()
    cache.at_epoch(1)
    cache.put("h1", access(expires_at=NOW + timedelta(seconds=1)))
    assert cache.get("h1", NOW) is not None
    assert cache.get("h1", NOW + timedelta(seconds=1)) is None


def test_uses_are_collected_latest_first_and_taken_once() -> None:
    cache = AccessCache()
    cache.use("tok-1", NOW)
    cache.use("tok-1", NOW + timedelta(seconds=5))
    cache.use("tok-2", NOW)
    assert cache.take_used() == {"tok-1": NOW + timedelta(seconds=5), "tok-2": NOW}
    assert cache.take_used() == {}


def test_the_cache_starts_over_past_its_size() -> None:
    cache = AccessCache(max_entries=2)
    cache.at_epoch(1)
    for i in range(3):
        cache.put(f"h{i}", access(f"tok-{i}"))
    assert len(cache) == 1 and cache.get("h2", NOW) is not None


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


class Epochs:
    """A database epoch whose reads take until ``release`` is set."""

    def __init__(self) -> None:
        self.value = 1
        self.reads = 0
        self.release = asyncio.Event()
        self.fail = False

    async def read(self) -> int:
        self.reads += 1
        seen = self.value  # what the statement sees when it runs
        await self.release.wait()
        self.release.clear()
        if self.fail:
            raise ConnectionError("database down")
        return seen


async def test_requests_waiting_together_share_one_epoch_read() -> None:
    db = Epochs()
    shared = SharedRead(db.read)
    waiting = [asyncio.ensure_future(shared.get()) for _ in range(20)]
    await settle()
    db.release.set()
    assert await asyncio.gather(*waiting) == [1] * 20
    assert db.reads == 1


async def test_a_request_never_gets_a_read_that_started_before_it_arrived() -> None:
    """A revocation committed while a read runs counts for every request
    that arrived after the commit: they wait for the next read."""
    db = Epochs()
    shared = SharedRead(db.read)
    early = asyncio.ensure_future(shared.get())
    await settle()  # the first read runs and sees epoch 1
    db.value = 2  # a token is revoked
    late = [asyncio.ensure_future(shared.get()) for _ in range(5)]
    await settle()
    db.release.set()
    assert await early == 1
    await settle()
    db.release.set()
    assert await asyncio.gather(*late) == [2] * 5
    assert db.reads == 2


async def test_a_failed_read_fails_its_waiters_and_the_next_request_reads_again() -> None:
    db = Epochs()
    shared = SharedRead(db.read)
    db.fail = True
    waiting = [asyncio.ensure_future(shared.get()) for _ in range(3)]
    await settle()
    db.release.set()
    for w in waiting:
        with pytest.raises(ConnectionError):
            await w
    db.fail = False
    db.release.set()
    assert await shared.get() == 1 and db.reads == 2


def test_uses_that_could_not_be_written_wait_for_the_next_batch_unless_a_newer_came() -> None:
    cache = AccessCache()
    cache.use("tok-1", NOW)
    cache.use("tok-2", NOW)
    failed = cache.take_used()
    cache.use("tok-2", NOW + timedelta(seconds=5))  # used again while the write failed
    cache.give_back(failed)
    assert cache.take_used() == {"tok-1": NOW, "tok-2": NOW + timedelta(seconds=5)}
