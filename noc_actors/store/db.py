"""Engines and migrations: one code path for PostgreSQL and SQLite.

Build an engine once, in an actor's or deployment's constructor, never at
import time (Ray imports modules in every worker)::

    engine = make_engine(settings.database_url)
    upgrade(settings.database_url)            # or: await upgrade_async(url)
    async with engine.begin() as conn:
        await repos.alerts.insert_alerts(conn, alerts)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

_STORE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = _STORE_DIR / "alembic.ini"
MIGRATIONS_DIR = _STORE_DIR / "migrations"

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}

SQLITE_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=5000")


def _parse(url: str | URL) -> URL:
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def normalise_url(url: str | URL) -> str:
    """Map sync or bare URLs onto the async drivers the store uses:
    ``postgresql://`` -> ``postgresql+asyncpg://``, ``sqlite:///`` ->
    ``sqlite+aiosqlite:///``. Other URLs are returned unchanged."""
    return _parse(url).render_as_string(hide_password=False)


def redact_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, safe for logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL may still hold a secret
        return "<unparsable database url>"


def sqlite_file(url: URL) -> Path | None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def _ensure_sqlite_dir(url: URL) -> None:
    path = sqlite_file(url)
    if path is not None:
        path.expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(
    url: str | URL,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
    echo: bool = False,
) -> AsyncEngine:
    """An ``AsyncEngine`` for PostgreSQL (asyncpg) or SQLite (aiosqlite).

    SQLite: the file's directory is created, and every connection gets
    ``foreign_keys=ON``, ``journal_mode=WAL`` and ``busy_timeout=5000``.
    PostgreSQL: a bounded pool with pre-ping and hourly recycling; keep
    ``pool_size`` small in actors (each actor process holds its own pool)."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(parsed)
        engine = create_async_engine(parsed, echo=echo)
        event.listen(engine.sync_engine, "connect", set_sqlite_pragmas)
        return engine
    return create_async_engine(
        parsed,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=3600,
    )


def alembic_config(url: str | URL) -> Config:
    """The Alembic ``Config`` of the packaged migrations, bound to ``url``.

    Works from an installed package: paths are resolved next to this module,
    and the URL travels in ``config.attributes`` (never in the ini file)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["url"] = normalise_url(url)
    return config


def _upgrade_here(url: str | URL, revision: str) -> None:
    from alembic import command

    _ensure_sqlite_dir(_parse(url))
    command.upgrade(alembic_config(url), revision)


def _downgrade_here(url: str | URL, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def _in_helper_thread(fn: Callable[..., None], *args: Any) -> None:
    # Alembic's env.py runs its own event loop (asyncio.run). That cannot nest
    # inside a running loop, and in the main thread it would also reset the
    # thread's current event loop; a helper thread avoids both.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, *args).result()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (idempotent).

    Synchronous; called from inside a running event loop it still works but
    blocks that loop until done, so async code should prefer
    :func:`upgrade_async`."""
    _in_helper_thread(_upgrade_here, url, revision)


async def upgrade_async(url: str | URL, revision: str = "head") -> None:
    """:func:`upgrade` without blocking the running event loop."""
    await asyncio.to_thread(_upgrade_here, url, revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (e.g. "base")."""
    _in_helper_thread(_downgrade_here, url, revision)
