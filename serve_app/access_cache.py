"""What authentication remembers on one Serve replica, so a request costs one
read of the database's access epoch instead of a transaction that resolves
the token, reads the tenant's clients and sites and writes ``last_used_at``.

Held per token (by its hash): the token record, the principal, its scope and
the tenant's directory — everything ``authenticate`` builds. Valid while the
database's access epoch (migration 0003) keeps its value: the database bumps
it whenever a token is revoked or re-scoped, a user's capabilities or scope
change, or a client, site or tenant changes, however the change was made
(the API, the CLI, plain SQL). A different epoch drops everything. Expiry is
checked on every use. Token use is collected and written in one batch
(``flush_used``), which does not bump the epoch.

Soft state only (per replica, rebuilt on demand)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from noc_actors.domain.access import Principal, Scope
from serve_app.directory import Directory

MAX_ENTRIES = 10_000
"""Cached tokens per replica; past it the cache starts over (cheaply refilled)."""


@dataclass(frozen=True, slots=True)
class Access:
    """One token's resolved access (what a ``Caller`` is made of)."""

    token_id: str
    expires_at: datetime | None
    principal: Principal
    scope: Scope
    visible_client_ids: list[str] | None
    directory: Directory

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class AccessCache:
    """Tokens resolved on this replica, and when each was last used."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.epoch: int | None = None
        self._by_hash: dict[str, Access] = {}
        self.used: dict[str, datetime] = {}
        self.hits = 0
        self.misses = 0

    def at_epoch(self, epoch: int) -> None:
        """The database's epoch as just read: a new one forgets everything."""
        if epoch != self.epoch:
            self._by_hash.clear()
            self.epoch = epoch

    def get(self, token_hash: str, now: datetime) -> Access | None:
        access = self._by_hash.get(token_hash)
        if access is None or not access.live(now):
            self.misses += 1
            return None
        self.hits += 1
        return access

    def put(self, token_hash: str, access: Access) -> None:
        if len(self._by_hash) >= self.max_entries:
            self._by_hash.clear()
        self._by_hash[token_hash] = access

    def use(self, token_id: str, now: datetime) -> None:
        self.used[token_id] = now

    def take_used(self) -> dict[str, datetime]:
        """The uses collected since the last call (to write in one batch)."""
        used, self.used = self.used, {}
        return used

    def give_back(self, used: dict[str, datetime]) -> None:
        """Uses that could not be written: kept for the next batch (a newer
        use recorded meanwhile wins)."""
        for token_id, at in used.items():
            self.used.setdefault(token_id, at)

    def __len__(self) -> int:
        return len(self._by_hash)


class SharedRead:
    """One read of a value (the access epoch) for every request that wants it
    at about the same time, never an answer older than the request.

    A caller gets the result of a read that *started after it asked*: while a
    read runs, new callers wait for the next one, which starts when the
    running one ends and answers all of them. So a change committed before a
    request arrived is always seen by that request (a revocation counts from
    the next request), and under load one database round trip serves many
    requests instead of one each."""

    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._next: asyncio.Future[int] | None = None
        self._task: asyncio.Task[None] | None = None

    async def get(self) -> int:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiter = self._next
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return await asyncio.shield(waiter)

    async def _run(self) -> None:
        try:
            while self._next is not None:
                waiter, self._next = self._next, None
                try:
                    value = await self._read()
                except Exception as err:  # noqa: BLE001 - every waiter gets it
                    if not waiter.done():
                        waiter.set_exception(err)
                    waiter.exception()  # retrieved: no "never retrieved" warning
                else:
                    if not waiter.done():
                        waiter.set_result(value)
        finally:
            self._task = None
