"""The demo's platform keeps what the NOC refused and sends it again first:
a refused first step (the NOC still starting) must not lose the tickets,
shifts and work orders every later rule needs."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from noc_actors.demo.feed import IngestRefused, ResendingFeed


class Platform:
    """A feed whose answers are scripted: ``refuse`` lists, per call, how
    many items the NOC takes before refusing (None: it takes them all)."""

    def __init__(self, refuse: list[int | None]) -> None:
        self.refuse = refuse
        self.stored: list[str] = []
        self.calls: list[list[str]] = []

    async def _take(self, items: list[dict[str, Any]]) -> Counter[str]:
        ids = [i["id"] for i in items]
        self.calls.append(ids)
        taken = self.refuse.pop(0) if self.refuse else None
        if taken is None:
            self.stored += ids
            return Counter(created=len(ids))
        self.stored += ids[:taken]
        raise IngestRefused("answered 503: starting", accepted=taken)

    async def events(self, events: list[dict[str, Any]]) -> Counter[str]:
        return await self._take(events)

    async def alerts(self, alerts: list[dict[str, Any]]) -> Counter[str]:
        return await self._take(alerts)

    async def close(self) -> None:
        return None


def items(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i} for i in ids]


def test_a_refused_step_is_sent_again_first_and_nothing_is_lost_or_doubled() -> None:
    platform = Platform(refuse=[0, 1, None])
    feed = ResendingFeed(platform)

    async def run() -> None:
        with pytest.raises(IngestRefused):
            await feed.events(items("t1", "s1"))
        assert feed.pending() == 2
        with pytest.raises(IngestRefused):
            await feed.events(items("o1"))  # t1 stored, s1 and o1 kept
        assert feed.pending() == 2
        assert await feed.events(items("d1")) == Counter(created=3)

    asyncio.run(run())
    assert platform.calls == [["t1", "s1"], ["t1", "s1", "o1"], ["s1", "o1", "d1"]]
    assert platform.stored == ["t1", "s1", "o1", "d1"]
    assert feed.pending() == 0


def test_events_and_alerts_are_kept_apart() -> None:
    platform = Platform(refuse=[0, None, None])
    feed = ResendingFeed(platform)

    async def run() -> None:
        with pytest.raises(IngestRefused):
            await feed.alerts(items("a1"))
        await feed.events(items("e1"))
        await feed.alerts(items("a2"))

    asyncio.run(run())
    assert platform.calls == [["a1"], ["e1"], ["a1", "a2"]]


def test_a_long_outage_keeps_the_newest_up_to_the_limit_and_counts_the_rest() -> None:
    platform = Platform(refuse=[0, 0, None])
    feed = ResendingFeed(platform, limit=3)

    async def run() -> None:
        for batch in (items("1", "2"), items("3", "4")):
            with pytest.raises(IngestRefused):
                await feed.events(batch)
        assert feed.pending() == 3
        await feed.events(items("5"))

    asyncio.run(run())
    assert feed.dropped == 1
    assert platform.stored == ["2", "3", "4", "5"]


def test_an_unreachable_noc_keeps_everything() -> None:
    class Down(Platform):
        async def _take(self, items: list[dict[str, Any]]) -> Counter[str]:
            raise ConnectionError("refused")

    feed = ResendingFeed(Down(refuse=[]))
    with pytest.raises(ConnectionError):
        asyncio.run(feed.events(items("x", "y")))
    assert feed.unsent["events"] == items("x", "y")
