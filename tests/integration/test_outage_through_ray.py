"""An actor's database outage, as Ray hands it on, is still an outage
(503, retry), not a bug (500). Ray wraps an error raised in an actor as
``RayTaskError(<its class>)``: an instance of both that keeps the error as
``cause`` but none of its fields. Before this was looked at, PostgreSQL
stopping under ingest could answer 500 (seen in CI, issue 14's notes).
Needs Ray's exception types only, no cluster (the unit tier imports no Ray)."""

from __future__ import annotations

from asyncpg import exceptions as pg_exc
from ray.exceptions import RayTaskError
from sqlalchemy import exc as sa_exc

from noc_actors.domain.errors import StorageUnavailable
from noc_actors.store.outage import as_unavailable, storage_outage


def test_an_outage_an_actor_raised_counts_as_ray_hands_it_on() -> None:
    err = sa_exc.DBAPIError(
        "INSERT",
        {},
        pg_exc.AdminShutdownError("terminating connection"),
        connection_invalidated=True,
    )
    handed_on = RayTaskError("ClientHost.ingest_alerts", "tb", err).as_instanceof_cause()
    assert isinstance(handed_on, sa_exc.DBAPIError)
    assert not handed_on.connection_invalidated  # the fields are gone
    assert storage_outage(handed_on)
    assert isinstance(as_unavailable(handed_on), StorageUnavailable)


def test_a_wrong_statement_an_actor_raised_is_still_a_bug() -> None:
    err = sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    handed_on = RayTaskError("ClientHost.ingest_alerts", "tb", err).as_instanceof_cause()
    assert not storage_outage(handed_on) and as_unavailable(handed_on) is None
