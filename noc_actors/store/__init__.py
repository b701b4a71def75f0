"""Storage: SQLAlchemy 2 async Core over PostgreSQL (asyncpg) or SQLite
(aiosqlite), with Alembic migrations as the single source of DDL.

- ``db``      engines, URL handling, ``upgrade(url)``
- ``schema``  the tables (for queries; the migrations create them)
- ``rows``    rows <-> domain objects
- ``repos``   one module of async functions per resource

Importing this package touches no database and builds no engine.
"""

from noc_actors.store.db import make_engine, normalise_url, redact_url, upgrade, upgrade_async

__all__ = ["make_engine", "normalise_url", "redact_url", "upgrade", "upgrade_async"]
