"""Escalation policies (who is paged at each level).

An escalation policy is an ordered list of targets ``{"kind": ..., "ref": ...}``
(e.g. site on-call, site in-charge, client owner, tenant admins). A client may
have its own policy; ``client_id`` None is the tenant's default. The database
holds at most one policy per client and one default per tenant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.store.repos._common import new_id
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import escalation_policies as ep


def _targets(targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, target in enumerate(targets):
        if "kind" not in target:
            raise ValueError(f"escalation target {i} has no 'kind'")
        out.append(dict(target))
    return out


def _same_client(client_id: str | None) -> Any:
    return ep.c.client_id.is_(None) if client_id is None else ep.c.client_id == client_id


async def put_escalation_policy(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    name: str,
    targets: Sequence[Mapping[str, Any]],
    now: datetime,
    client_id: str | None = None,
) -> dict[str, Any]:
    """Create or replace the policy of ``client_id`` (None = tenant default)."""
    values = {"name": name, "targets": _targets(targets), "updated_at": now}
    existing = (
        await conn.execute(
            select(ep.c.id).where(ep.c.tenant_id == tenant_id, _same_client(client_id))
        )
    ).scalar_one_or_none()
    if existing is None:
        policy_id = new_id()
        row = {"id": policy_id, "tenant_id": tenant_id, "client_id": client_id, "created_at": now}
        await conn.execute(insert(ep).values(row | values))
    else:
        await conn.execute(update(ep).where(ep.c.id == existing).values(values))
        policy_id = existing
    policy = await get_escalation_policy(conn, tenant_id=tenant_id, policy_id=policy_id)
    assert policy is not None
    return policy


async def get_escalation_policy(
    conn: AsyncConnection, *, tenant_id: str, policy_id: str
) -> dict[str, Any] | None:
    """The tenant's policy with this id, or None."""
    row = (
        await conn.execute(select(ep).where(ep.c.tenant_id == tenant_id, ep.c.id == policy_id))
    ).first()
    return as_dict(row) if row else None


async def effective_escalation_policy(
    conn: AsyncConnection, *, tenant_id: str, client_id: str
) -> dict[str, Any] | None:
    """The client's own policy, else the tenant default, else None."""
    rows = (
        await conn.execute(
            select(ep).where(
                ep.c.tenant_id == tenant_id,
                (ep.c.client_id == client_id) | ep.c.client_id.is_(None),
            )
        )
    ).all()
    by_client = {r.client_id: as_dict(r) for r in rows}
    return by_client.get(client_id) or by_client.get(None)


async def list_escalation_policies(
    conn: AsyncConnection, *, tenant_id: str
) -> list[dict[str, Any]]:
    """The tenant's policies: the default first, then by client id."""
    rows = await conn.execute(select(ep).where(ep.c.tenant_id == tenant_id))
    return sorted(
        (as_dict(r) for r in rows), key=lambda p: (p["client_id"] is not None, p["client_id"] or "")
    )
