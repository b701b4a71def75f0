"""Which errors are a database outage (503, retry) rather than a bug (500):
issue 11 item 15. The shapes are the ones seen with PostgreSQL stopped
(``pg_ctl stop -m fast``) under load; the chaos tier shows them end to end."""

from __future__ import annotations

import pickle

import pytest
from asyncpg import exceptions as pg_exc
from sqlalchemy import exc as sa_exc

from noc_actors.domain.errors import StorageUnavailable, Unavailable
from noc_actors.store.outage import as_unavailable, storage_outage
from serve_app.errors import answer_for


def wrapped(orig: BaseException, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "err",
    [
        ConnectionRefusedError(111, "Connect call failed"),  # connect, server stopped
        pg_exc.CannotConnectNowError("the database system is starting up"),
        pg_exc.AdminShutdownError("terminating connection due to administrator command"),
        pg_exc.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        wrapped(Exception("closed"), invalidated=True),
        sa_exc.OperationalError("INSERT", {}, Exception("database is locked")),
        sa_exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_unreachable_database_is_an_outage(err: BaseException) -> None:
    assert storage_outage(err)
    outage = as_unavailable(err)
    assert isinstance(outage, StorageUnavailable) and isinstance(outage, Unavailable)
    answer = answer_for(outage)
    assert (answer.status, answer.code, answer.retry_after_s) == (503, "database_unavailable", 5)
    assert isinstance(pickle.loads(pickle.dumps(outage)), StorageUnavailable)  # crosses Ray


def test_an_outage_deep_in_the_cause_chain_counts() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except OSError as inner:
            raise RuntimeError("could not load client") from inner
    except RuntimeError as outer:
        assert storage_outage(outer)


@pytest.mark.parametrize(
    "err",
    [
        sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        sa_exc.ProgrammingError("SELEC", {}, Exception("syntax error")),
        wrapped(Exception("bad parameter")),
        ValueError("not a database error"),
        TimeoutError("an actor call timed out"),  # not the database's: stays what it is
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_wrong_statement_is_not_an_outage(err: BaseException) -> None:
    assert not storage_outage(err) and as_unavailable(err) is None


def test_the_detail_names_the_error_not_the_statement() -> None:
    err = sa_exc.OperationalError("UPDATE users SET email = 'x@y.z'", {}, Exception("gone"))
    outage = as_unavailable(err)
    assert outage is not None and "x@y.z" not in str(outage) and "database" in str(outage)
