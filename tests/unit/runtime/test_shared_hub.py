"""A pool's runtimes share one hub gateway: what they publish in one turn of
the event loop leaves in one message, in the order it was published."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from noc_actors.domain.hub_events import HubEvent
from noc_actors.runtime.shared import SharedHub


class Messages:
    """A ``HubPort`` that keeps each message apart."""

    def __init__(self) -> None:
        self.sent: list[list[HubEvent]] = []

    def publish(self, events: Sequence[HubEvent]) -> None:
        self.sent.append(list(events))


def event(n: int, client: str) -> HubEvent:
    return {"type": "alert_new", "tenant_id": "t1", "client_id": client, "n": n}  # type: ignore[typeddict-unknown-key]


async def test_events_of_one_turn_leave_together_in_order() -> None:
    port = Messages()
    hub = SharedHub(port)
    hub.publish([event(1, "mall"), event(2, "mall")])
    hub.publish([])
    hub.publish([event(3, "port")])
    assert port.sent == []  # nothing leaves before the turn ends
    await asyncio.sleep(0)
    assert port.sent == [[event(1, "mall"), event(2, "mall"), event(3, "port")]]
    hub.publish([event(4, "mall")])
    await asyncio.sleep(0)
    assert port.sent[1:] == [[event(4, "mall")]] and hub.messages == 2


async def test_publishers_in_concurrent_tasks_share_a_message() -> None:
    port = Messages()
    hub = SharedHub(port)

    async def runtime(client: str) -> None:
        await asyncio.sleep(0)
        hub.publish([event(0, client)])

    await asyncio.gather(*(runtime(c) for c in ("a", "b", "c")))
    await asyncio.sleep(0)
    assert [[e["client_id"] for e in m] for m in port.sent] == [["a", "b", "c"]]


def test_without_an_event_loop_it_sends_at_once() -> None:
    port = Messages()
    SharedHub(port).publish([event(1, "mall")])
    assert port.sent == [[event(1, "mall")]]
