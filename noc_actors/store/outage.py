"""Which errors mean "the database cannot be reached now" — a temporary
outage answered 503 with Retry-After (``StorageUnavailable``) — as opposed
to a statement that is wrong (a bug: 500).

An outage shows up in several shapes: the driver's connect raises a plain
``ConnectionRefusedError``; a connection PostgreSQL terminated
(``pg_ctl stop -m fast``) raises asyncpg's ``ConnectionDoesNotExistError`` or
``AdminShutdownError``, wrapped by SQLAlchemy in a ``DBAPIError`` that says
the connection was invalidated; a server starting up raises
``CannotConnectNowError``; an exhausted pool raises SQLAlchemy's
``TimeoutError``; SQLite's "database is locked" is an ``OperationalError``.
``storage_outage`` looks through the error's cause chain for any of them
(and through Ray's wrapper of an error an actor raised)."""

from __future__ import annotations

import socket
from typing import Final

from sqlalchemy import exc as sa_exc

from noc_actors.domain.errors import StorageUnavailable

try:  # asyncpg is the PostgreSQL driver; SQLite-only installs work without it
    from asyncpg import exceptions as pg_exc

    _DRIVER: tuple[type[BaseException], ...] = (
        pg_exc.PostgresConnectionError,
        pg_exc.OperatorInterventionError,
    )
except ImportError:  # pragma: no cover - asyncpg is a dependency
    _DRIVER = ()

OUTAGE: Final[tuple[type[BaseException], ...]] = (
    ConnectionError,
    socket.gaierror,
    sa_exc.OperationalError,
    sa_exc.TimeoutError,
    *_DRIVER,
)


def storage_outage(err: BaseException) -> bool:
    """Whether ``err`` (or anything in its cause chain) says the database
    cannot be reached now."""
    seen: set[int] = set()
    stack: list[BaseException] = [err]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OUTAGE):
            return True
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        # ``cause``: an error raised in an actor, as Ray hands it on
        # (``RayTaskError``), which loses the ``__cause__`` chain.
        for nxt in (
            getattr(e, "orig", None),
            getattr(e, "cause", None),
            e.__cause__,
            e.__context__,
        ):
            if isinstance(nxt, BaseException):
                stack.append(nxt)
    return False


def as_unavailable(err: BaseException) -> StorageUnavailable | None:
    """``StorageUnavailable`` for an outage (its first line as the detail,
    no statement or parameters), else None."""
    if isinstance(err, StorageUnavailable):
        return err
    if not storage_outage(err):
        return None
    return StorageUnavailable(type(err).__name__)
