"""100 client messages per minute per user, in fixed one-minute windows;
a limiter whose Redis fails counts locally and never refuses because of it."""

from __future__ import annotations

from typing import Any

from serve_app.ws.ratelimit import LocalWindow, RedisWindow, retry_after, window_of


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_the_101st_message_of_a_minute_is_refused_and_the_next_minute_is_fresh() -> None:
    clock = Clock(600.0)
    rl = LocalWindow(100, clock)
    assert [await rl.allow("u") for _ in range(101)].count(False) == 1
    assert await rl.allow("other")
    clock.now = 659.9
    assert not await rl.allow("u")
    clock.now = 660.0
    assert await rl.allow("u")


def test_windows_and_retry_after() -> None:
    assert window_of(59.9) == 0 and window_of(60) == 1
    assert retry_after(125.0) == 55.0


class FakePipeline:
    def __init__(self, store: dict[str, int], fail: bool) -> None:
        self.store, self.fail = store, fail
        self.ops: list[tuple[Any, ...]] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    def incr(self, key: str) -> None:
        self.ops.append(("incr", key))

    def expire(self, key: str, ttl: int) -> None:
        self.ops.append(("expire", key, ttl))

    async def execute(self) -> list[Any]:
        if self.fail:
            raise ConnectionError("redis down")
        key = self.ops[0][1]
        self.store[key] = self.store.get(key, 0) + 1
        return [self.store[key], True]


class FakeRedis:
    def __init__(self, fail: bool = False) -> None:
        self.store: dict[str, int] = {}
        self.fail = fail

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        return FakePipeline(self.store, self.fail)


async def test_redis_counts_per_user_and_minute_with_an_expiry() -> None:
    redis = FakeRedis()
    rl = RedisWindow(redis, 2, Clock(120.5))
    assert [await rl.allow("u1") for _ in range(3)] == [True, True, False]
    assert redis.store == {"noc:rate:u1:2": 3}


async def test_a_failing_redis_falls_back_to_counting_locally() -> None:
    rl = RedisWindow(FakeRedis(fail=True), 2, Clock(0.0))
    assert [await rl.allow("u1") for _ in range(3)] == [True, True, False]
