"""API tokens: user tokens and integration keys.

Only the SHA-256 of a token is stored (plus a short display prefix); the
plaintext is returned once, by ``issue_token``, and never logged. A token is
looked up by its hash: with 256 bits of randomness a hash lookup leaks
nothing a timing attack could use.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import new_id
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import api_tokens, users

TOKEN_PREFIX = "noc_"
DISPLAY_CHARS = 12
KINDS = ("user", "integration")
PUBLIC_COLUMNS = [c for c in api_tokens.c if c.name != "token_hash"]


def hash_token(token: str) -> str:
    """The hex SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    name: str,
    now: datetime,
    user_id: str | None = None,
    kind: str = "user",
    client_id: str | None = None,
    capabilities: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """Create a token; returns ``(plaintext, token record without hash)``.

    A ``user`` token acts as its user; an ``integration`` key has no user, may
    be scoped to one client and carries its own capabilities (``["noc:ingest"]``)."""
    if kind not in KINDS:
        raise ValueError(f"token kind must be one of {KINDS}, not {kind!r}")
    if kind == "user" and user_id is None:
        raise ValueError("a user token needs a user_id")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = {
        "id": new_id(),
        "tenant_id": tenant_id,
        "user_id": user_id,
        "name": name,
        "kind": kind,
        "client_id": client_id,
        "capabilities": list(capabilities) if capabilities is not None else None,
        "prefix": plaintext[:DISPLAY_CHARS],
        "created_at": now,
        "expires_at": expires_at,
        "revoked_at": None,
        "last_used_at": None,
    }
    await conn.execute(insert(api_tokens).values(token_hash=hash_token(plaintext), **row))
    return plaintext, row


async def resolve_token(
    conn: AsyncConnection, *, token: str, now: datetime
) -> dict[str, Any] | None:
    """The live token record with its ``user`` (None for integration keys),
    or None if the token is unknown, revoked or expired."""
    return await _live(conn, api_tokens.c.token_hash == hash_token(token), now)


async def resolve_token_id(
    conn: AsyncConnection, *, tenant_id: str, token_id: str, now: datetime
) -> dict[str, Any] | None:
    """``resolve_token`` by the token's id (an open socket checks its rights
    again without keeping the plaintext)."""
    where = and_(api_tokens.c.tenant_id == tenant_id, api_tokens.c.id == token_id)
    return await _live(conn, where, now)


async def _live(
    conn: AsyncConnection, where: ColumnElement[bool], now: datetime
) -> dict[str, Any] | None:
    user_cols = [c.label(f"user__{c.name}") for c in users.c]
    stmt = (
        select(*PUBLIC_COLUMNS, *user_cols)
        .select_from(
            api_tokens.outerjoin(
                users,
                and_(
                    users.c.id == api_tokens.c.user_id, users.c.tenant_id == api_tokens.c.tenant_id
                ),
            )
        )
        .where(
            where,
            api_tokens.c.revoked_at.is_(None),
            or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
        )
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    data = as_dict(row)
    user = {k.removeprefix("user__"): data.pop(k) for k in list(data) if k.startswith("user__")}
    data["user"] = user if user["id"] is not None else None
    return data


async def mark_used(conn: AsyncConnection, *, used: Mapping[str, datetime]) -> int:
    """Record when tokens were last used (``{token_id: when}``, collected by a
    replica and written in one batch); an older time never overwrites a newer.
    Returns how many rows changed. Does not bump the access epoch.

    One ``UPDATE … RETURNING`` per chunk of tokens (a CASE gives each its
    time): an executemany would not say how many rows changed on PostgreSQL."""
    last_used = api_tokens.c.last_used_at
    items = list(used.items())
    changed = 0
    for i in range(0, len(items), _USE_CHUNK):
        chunk = items[i : i + _USE_CHUNK]
        when = case(*((api_tokens.c.id == t, literal(at, last_used.type)) for t, at in chunk))
        stmt = (
            update(api_tokens)
            .where(
                api_tokens.c.id.in_([t for t, _ in chunk]),
                or_(last_used.is_(None), last_used < when),
            )
            .values(last_used_at=when)
            .returning(api_tokens.c.id)
        )
        changed += len((await conn.execute(stmt)).all())
    return changed


_USE_CHUNK = 150
"""Tokens in one statement (each binds about five parameters; SQLite allows 999)."""


async def revoke_token(
    conn: AsyncConnection, *, tenant_id: str, token_id: str, now: datetime
) -> bool:
    """Revoke a live token of the tenant; False if absent or already revoked."""
    result = await conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.tenant_id == tenant_id,
            api_tokens.c.id == token_id,
            api_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount == 1


async def get_token(
    conn: AsyncConnection, *, tenant_id: str, token_id: str
) -> dict[str, Any] | None:
    """A token record of the tenant (without hash), or None."""
    row = (
        await conn.execute(
            select(*PUBLIC_COLUMNS).where(
                api_tokens.c.tenant_id == tenant_id, api_tokens.c.id == token_id
            )
        )
    ).first()
    return as_dict(row) if row else None


async def list_tokens(
    conn: AsyncConnection, *, tenant_id: str, user_id: str | None = None
) -> list[dict[str, Any]]:
    """The tenant's tokens (of one user if given), newest first, without hashes."""
    stmt = select(*PUBLIC_COLUMNS).where(api_tokens.c.tenant_id == tenant_id)
    if user_id is not None:
        stmt = stmt.where(api_tokens.c.user_id == user_id)
    result = await conn.execute(stmt.order_by(api_tokens.c.created_at.desc(), api_tokens.c.id))
    return [as_dict(r) for r in result]
