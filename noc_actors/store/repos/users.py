"""Users: operators, supervisors, executives of one tenant, with their
capabilities (``{capability: bool}``; ``false`` is not granted) and scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import new_id, utcnow
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import users

UPDATABLE = frozenset(
    {"display_name", "email", "phone", "is_admin", "capabilities", "client_ids", "site_ids"}
)


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "email" in out:
        out["email"] = out["email"].strip().lower()
    if "capabilities" in out:
        out["capabilities"] = {str(k): bool(v) for k, v in out["capabilities"].items()}
    for key in ("client_ids", "site_ids"):
        if key in out:
            out[key] = [str(v) for v in out[key]]
    return out


async def create_user(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    display_name: str,
    email: str,
    capabilities: dict[str, bool],
    phone: str | None = None,
    is_admin: bool = False,
    client_ids: Iterable[str] = (),
    site_ids: Iterable[str] = (),
    user_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Insert a user; emails are stored lower-case and unique per tenant."""
    row = _normalise(
        {
            "id": user_id or new_id(),
            "tenant_id": tenant_id,
            "display_name": display_name,
            "email": email,
            "phone": phone,
            "is_admin": is_admin,
            "capabilities": capabilities,
            "client_ids": list(client_ids),
            "site_ids": list(site_ids),
            "created_at": now or utcnow(),
        }
    )
    await conn.execute(insert(users).values(row))
    return row


async def get_user(conn: AsyncConnection, *, tenant_id: str, user_id: str) -> dict[str, Any] | None:
    """The user, or None (also for another tenant's user)."""
    row = (
        await conn.execute(
            select(users).where(users.c.tenant_id == tenant_id, users.c.id == user_id)
        )
    ).first()
    return as_dict(row) if row else None


async def get_user_by_email(
    conn: AsyncConnection, *, tenant_id: str, email: str
) -> dict[str, Any] | None:
    """The tenant's user with this email (case-insensitive), or None."""
    row = (
        await conn.execute(
            select(users).where(
                users.c.tenant_id == tenant_id, users.c.email == email.strip().lower()
            )
        )
    ).first()
    return as_dict(row) if row else None


async def list_users(conn: AsyncConnection, *, tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's users by display name."""
    result = await conn.execute(
        select(users)
        .where(users.c.tenant_id == tenant_id)
        .order_by(users.c.display_name, users.c.id)
    )
    return [as_dict(r) for r in result]


async def list_admins(conn: AsyncConnection, *, tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's admins (the last escalation target)."""
    result = await conn.execute(
        select(users)
        .where(users.c.tenant_id == tenant_id, users.c.is_admin.is_(True))
        .order_by(users.c.id)
    )
    return [as_dict(r) for r in result]


async def update_user(
    conn: AsyncConnection, *, tenant_id: str, user_id: str, **changes: Any
) -> dict[str, Any] | None:
    """Change fields among ``UPDATABLE``; the updated user, or None if absent.

    Unknown field names raise ``ValueError`` (nothing is written)."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update user fields {sorted(unknown)}")
    if changes:
        await conn.execute(
            update(users)
            .where(users.c.tenant_id == tenant_id, users.c.id == user_id)
            .values(_normalise(changes))
        )
    return await get_user(conn, tenant_id=tenant_id, user_id=user_id)
