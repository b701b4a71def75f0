"""SQLite writes in one thread hop per transaction.

Through ``aiosqlite`` every step of a transaction is a round trip to the
driver's thread — a cursor, each statement, closing the cursor, the commit,
the pool's reset — and each round trip wakes two threads and the event loop:
a two-statement transaction cost ~1 ms of CPU here, against ~0.3 ms when the
same statements run in one hop on a plain ``sqlite3`` connection. A host
writes one transaction per message (``SharedCommits``), so on SQLite that
overhead was a third of what a request spread over many pools cost more than
the same request on one.

``SqliteWrites`` runs a whole write in its own thread, on a synchronous
engine over the same file (same pragmas: WAL, foreign keys, busy timeout).
The repositories stay async functions of an ``AsyncConnection``: they get a
facade whose ``execute`` runs the statement at once, so their coroutines
never suspend, and the thread drives each to completion with one ``send``.
A write that awaits anything else raises (it would need the event loop).
One thread: a process's transactions queue here instead of waiting on the
file's lock in SQLite's busy handler (SQLite has one writer at a time).

Soft state only: the thread and the synchronous engine's connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import URL, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.db import set_sqlite_pragmas, sqlite_file

Write = Callable[[AsyncConnection], Awaitable[None]]


class _Immediate:
    """What the repositories use of an ``AsyncConnection`` (``execute``,
    ``dialect``), answered at once by a synchronous connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> CursorResult[Any]:
        return self._conn.execute(statement, parameters)


def run_unsuspended(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends to its end; its value."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a SQLite write awaited something other than its connection")


class SqliteWrites:
    """Transactions on one SQLite file, each run whole in this object's
    thread; see the module docstring."""

    def __init__(self, url: URL) -> None:
        self.engine = create_engine(url.set(drivername="sqlite+pysqlite"))
        event.listen(self.engine, "connect", set_sqlite_pragmas)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="noc-sqlite-writes")

    @staticmethod
    def applies(url: URL) -> bool:
        """Whether ``url`` is a SQLite file (an in-memory database is one
        connection's own: it is written through that connection)."""
        return sqlite_file(url) is not None

    async def write(self, work: Write) -> None:
        """``work`` in one transaction, committed when this returns (rolled
        back if it raises: the error is raised here)."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._write, work)

    def _write(self, work: Write) -> None:
        with self.engine.begin() as conn:
            run_unsuspended(cast(Coroutine[Any, Any, None], work(_facade(conn))))

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()


def _facade(conn: Connection) -> AsyncConnection:
    return cast(AsyncConnection, _Immediate(conn))
