"""Helpers shared by the repositories: ids, clocks, keyset cursors, upserts."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.errors import InvalidInput

MAX_PAGE = 1000


def new_id() -> str:
    """A fresh random id (UUID4 text)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """The current time, aware UTC (for bookkeeping columns only)."""
    return datetime.now(UTC)


def clamp_limit(limit: int) -> int:
    """A page size within 1..MAX_PAGE."""
    return max(1, min(int(limit), MAX_PAGE))


def encode_cursor(at: datetime, key: str | int) -> str:
    """An opaque cursor pointing just after the row ``(at, key)``."""
    raw = json.dumps([at.isoformat(), key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, key_type: type = str) -> tuple[datetime, Any]:
    """The ``(at, key)`` of a cursor; InvalidInput("cursor") if malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, key = json.loads(raw)
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None or not isinstance(key, key_type):
            raise ValueError("bad cursor")
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor", "malformed or foreign pagination cursor") from exc
    return at, key


def after_cursor(
    at_col: ColumnElement[Any], key_col: ColumnElement[Any], cursor: str, key_type: type = str
) -> ColumnElement[bool]:
    """Rows strictly after ``cursor`` in ``(at desc, key desc)`` order."""
    at, key = decode_cursor(cursor, key_type)
    return or_(at_col < at, and_(at_col == at, key_col < key))


def page(
    rows: Sequence[Any], limit: int, at_name: str, key_name: str
) -> tuple[list[Any], str | None]:
    """Split ``limit + 1`` fetched rows into the page and the next cursor."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    last = items[-1]._mapping
    return items, encode_cursor(last[at_name], last[key_name])


def one_of(
    col: ColumnElement[Any], value: str | Sequence[str] | None
) -> ColumnElement[bool] | None:
    """``col = value`` or ``col IN (values)``; None when there is no filter."""
    if value is None:
        return None
    if isinstance(value, str):
        return col == value
    return col.in_([str(v) for v in value])


async def upsert(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update-columns, batched.

    PostgreSQL and SQLite (>= 3.24) share the syntax; only the construct's
    dialect module differs."""
    if not rows:
        return
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = module.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )
    await conn.execute(stmt, list(rows))
