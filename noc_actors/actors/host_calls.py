"""Calls for the clients of one host, made in one turn of the event loop,
leave in one actor call (``ClientHost.call_many``).

A request of 100 alerts for 20 clients becomes 20 calls of the gateway
(``NocClient``), started together by ``asyncio.gather``; when the 20 clients
live in one pool, they cost one Ray call and share the pool's transactions,
instead of 20 of each. A lone call goes as ``ClientHost.call_one``. Either way the host answers
each call with its value or a portable error (a database outage as
``StorageUnavailable``), never by raising it through Ray.
Each caller gets its own value or its own error back; a failure of the
actor call itself (the host died) reaches every caller of that message.

Soft state only: the calls of the current turn, per host.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

Call = tuple[str, str, tuple[Any, ...], dict[str, Any]]
"""``(method, client_id, args, kwargs)``."""

_Waiting = tuple[Call, "asyncio.Future[tuple[bool, Any]]"]


class HostCalls:
    """Per host, the calls of one event-loop turn; see the module docstring."""

    def __init__(self) -> None:
        self._turn: dict[Any, tuple[Any, list[_Waiting]]] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self.messages = 0
        self.calls = 0

    async def call(
        self,
        handle: Any,
        method: str,
        client_id: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """``method(client_id, *args, **kwargs)`` on the host ``handle``."""
        ok, value = await self.submit(handle, method, client_id, args, kwargs)
        if ok:
            return value
        raise value

    def submit(
        self,
        handle: Any,
        method: str,
        client_id: str,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> asyncio.Future[tuple[bool, Any]]:
        """As ``call``, without a coroutine of its own: the future of
        ``(True, value)`` or ``(False, error)`` (a caller sending many
        clients' batches at once awaits their futures, not a task each)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[bool, Any]] = loop.create_future()
        key = handle._actor_id  # one queue per actor, whatever handle object names it
        waiting = self._turn.get(key)
        if waiting is None:
            waiting = self._turn[key] = (handle, [])
            loop.call_soon(self._flush, key)
        waiting[1].append(((method, client_id, tuple(args), kwargs or {}), answer))
        return answer

    def _flush(self, key: Any) -> None:
        handle, waiting = self._turn.pop(key)
        task = asyncio.get_running_loop().create_task(self._send(handle, waiting))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, handle: Any, waiting: list[_Waiting]) -> None:
        self.messages += 1
        self.calls += len(waiting)
        try:
            if len(waiting) == 1:
                answers = [await handle.call_one.remote(waiting[0][0])]
            else:
                answers = await handle.call_many.remote([call for call, _ in waiting])
        except BaseException as err:  # the message failed: every caller hears
            for _, answer in waiting:
                if not answer.done():
                    answer.set_result((False, err))
            if not isinstance(err, Exception):  # cancelled: after answering everyone
                raise
            return
        for (_, answer), result in zip(waiting, answers, strict=True):
            if not answer.done():  # the caller may have given up (cancelled)
                answer.set_result(tuple(result))
