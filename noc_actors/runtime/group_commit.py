"""Group commit: concurrent operations on one client become one transaction.

Callers ``submit`` a job and wait for its own answer. One consumer takes
everything pending (up to ``max_group``), applies it with ``apply`` — which
must be all or nothing: one transaction, then every job's answer — and
answers each caller after the commit. Single alerts from many senders then
cost one transaction per drain instead of one per call.

With ``consumers`` above one (a pool's commits across clients, which never
conflict), a job that arrives while every running consumer waits on its
transaction starts another consumer, up to that many transactions in flight;
jobs that arrive together still go in one group.

If a group fails, ``on_failure`` runs (the runtime forgets its memory, so the
next apply reloads from the store) and each job of the group is applied on
its own, so one bad job fails only its own caller; a job that fails alone
fails with its own error. A group of one is never retried.

Soft state only: the queue (jobs not yet answered) and the consumer tasks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

MAX_GROUP = 128
"""Jobs in one transaction at the most (each may be a batch of thousands)."""


@dataclass(slots=True)
class Pending(Generic[J, R]):
    """A submitted job and where its answer goes."""

    job: J
    answer: asyncio.Future[R] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def resolve(self, result: R) -> None:
        if not self.answer.done():  # the caller may have given up (cancelled)
            self.answer.set_result(result)

    def fail(self, err: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(err)


Apply = Callable[[list[Pending[J, R]]], Awaitable[None]]


class GroupCommit(Generic[J, R]):
    """The consumer(s) of one writer's jobs; see the module docstring.
    ``lock`` (if any) is held around each group's ``apply``."""

    def __init__(
        self,
        apply: Apply[J, R],
        lock: asyncio.Lock | None,
        on_failure: Callable[[], None],
        max_group: int = MAX_GROUP,
        consumers: int = 1,
    ) -> None:
        self._apply = apply
        self._lock = lock
        self._on_failure = on_failure
        self.max_group = max_group
        self.max_consumers = consumers
        self._queue: list[Pending[J, R]] = []
        self._consumers: set[asyncio.Task[None]] = set()
        self._idle = 0
        """Consumers scheduled that have not taken a group yet."""
        self.groups = 0
        self.jobs = 0
        self.largest = 0

    @property
    def idle(self) -> bool:
        """Nothing queued: a job submitted now would be the next to run."""
        return not self._queue

    async def submit(self, job: J) -> R:
        """Queue ``job``; its answer once its group is committed."""
        pending: Pending[J, R] = Pending(job)
        self._queue.append(pending)
        running = sum(1 for t in self._consumers if not t.done())  # done: about to leave
        if self._idle == 0 and running < self.max_consumers:
            self._idle += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self._consumers.add(task)
            task.add_done_callback(self._consumers.discard)
        return await pending.answer

    async def drain(self) -> None:
        """Wait until every job submitted so far is answered (a client
        leaving its host: what it accepted is committed before it goes)."""
        while True:
            running = [t for t in self._consumers if not t.done()]
            if not running and not self._queue:
                return
            if running:
                await asyncio.wait(running)
            else:  # queued, its consumer not scheduled yet
                await asyncio.sleep(0)

    async def _drain(self) -> None:
        idle = True
        try:
            while self._queue:
                group = self._queue[: self.max_group]
                del self._queue[: self.max_group]
                if idle:
                    self._idle, idle = self._idle - 1, False
                await self._guarded(group)
        finally:
            if idle:
                self._idle -= 1

    async def _guarded(self, group: list[Pending[J, R]]) -> None:
        try:
            if self._lock is None:
                await self._commit(group)
            else:
                async with self._lock:
                    await self._commit(group)
        except BaseException as err:  # the consumer must answer everyone
            for pending in group:
                pending.fail(err)
            if isinstance(err, asyncio.CancelledError):
                for pending in self._queue:
                    pending.fail(err)
                self._queue.clear()
                raise

    async def _commit(self, group: list[Pending[J, R]]) -> None:
        self.groups += 1
        self.jobs += len(group)
        self.largest = max(self.largest, len(group))
        if len(group) > 1:
            try:
                await self._apply(group)
                return
            except Exception as err:  # noqa: BLE001 - retried one by one below
                log.info("group of %d failed (%s); applying one by one", len(group), err)
                self._on_failure()
        for pending in group:
            try:
                await self._apply([pending])
            except Exception as err:  # noqa: BLE001 - answered to its caller
                self._on_failure()
                pending.fail(err)
