"""What the runtimes of one host share, so that many clients in one process
cost one transaction and one hub message per drain instead of one each.

``SharedCommits`` is the ``ClientStore`` of every runtime of a host: a
runtime's commit waits in one queue with the commits of the host's other
clients, and a consumer writes everything pending in one transaction
(``GroupStore.commit_many``), then answers each runtime; a commit that
arrives while the running transactions wait on the database starts another
one (up to ``transactions`` at once: commits of different clients never
conflict). If a shared transaction fails, each commit is written on its
own, so one client's refusal (``DuplicateBatch``, ``ClaimLost``, a
constraint) fails only that client's operation — and nothing of the failed
transaction was stored. A runtime
holds its own lock while its commit waits, so a drain holds at most one
commit per client, and every client stays a single writer. ``commit_many``
writes commits that are ready together (``ingest_together``: one per client
of a host's message) in one transaction of their own, without the queue.

``SharedHub`` is the ``HubPort`` of every runtime of a host: events published
during one turn of the event loop leave in one message, in the order they
were published (the hub numbers them in that order).

Soft state only: the commits and events not yet written or sent. A host that
dies loses neither: an unanswered commit was not stored (its caller sees the
failure), and the hub's subscribers see the gap in sequence numbers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.commit import Commit, LoadedClient
from noc_actors.domain.hub_events import HubEvent
from noc_actors.runtime.group_commit import GroupCommit, Pending
from noc_actors.runtime.ports import ClientStore, HubPort

MAX_COMMITS = 64
"""Commits (one per client) in one shared transaction at the most."""
TRANSACTIONS = 4
"""Shared transactions in flight at once at the most (PostgreSQL): a commit
that arrives while every one waits on the database starts another, so the
host's clients do not queue behind one transaction."""


class GroupStore(ClientStore, Protocol):
    """A store that can write several clients' commits in one transaction."""

    async def commit_many(self, commits: Sequence[Commit]) -> None:
        """Store every commit in one transaction, all or nothing."""
        ...


class SharedCommits:
    """One host's clients' commits, grouped; see the module docstring."""

    def __init__(
        self, store: GroupStore, max_group: int = MAX_COMMITS, transactions: int = TRANSACTIONS
    ) -> None:
        self.store = store
        self._writes: GroupCommit[Commit, None] = GroupCommit(
            self._write, None, _nothing, max_group, transactions
        )
        self.together = 0
        """Transactions of ``commit_many``, and the commits in them."""
        self.together_commits = 0

    @property
    def transactions(self) -> int:
        """Transactions tried (for ``status``)."""
        return self._writes.groups + self.together

    @property
    def commits(self) -> int:
        return self._writes.jobs + self.together_commits

    async def load(self, tenant_id: str, client_id: str, now: datetime) -> LoadedClient:
        return await self.store.load(tenant_id, client_id, now)

    async def commit(self, commit: Commit) -> None:
        await self._writes.submit(commit)

    async def commit_many(self, commits: Sequence[Commit]) -> None:
        """Several clients' commits in one transaction of their own, all or
        nothing (``ingest_together`` has them ready at once: no queue)."""
        self.together += 1
        self.together_commits += len(commits)
        await self.store.commit_many(commits)

    async def _write(self, group: list[Pending[Commit, None]]) -> None:
        await self.store.commit_many([p.job for p in group])
        for pending in group:
            pending.resolve(None)

    async def stored_batch(self, client_id: str, batch_key: str) -> IngestReport | None:
        return await self.store.stored_batch(client_id, batch_key)

    async def alerts(self, tenant_id: str, alert_ids: Sequence[str]) -> list[Alert]:
        return await self.store.alerts(tenant_id, alert_ids)


def _nothing() -> None:
    """A failed shared transaction leaves nothing to forget: each runtime
    reloads itself when its own commit fails."""


class SharedHub:
    """One message to the hub per turn of the event loop; see the module
    docstring."""

    def __init__(self, port: HubPort) -> None:
        self.port = port
        self._events: list[HubEvent] = []
        self._scheduled = False
        self.messages = 0

    def publish(self, events: Sequence[HubEvent]) -> None:
        if not events:
            return
        self._events.extend(events)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): send now
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if self._events:
            events, self._events = self._events, []
            self.messages += 1
            self.port.publish(events)
