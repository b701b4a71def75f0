"""Contact points, the notice outbox, deliveries, attempts and acknowledge
links (migration 0006).

The outbox and the deliveries are claimed with leases: a row is worked on
by whoever set ``lease_until`` last, and comes back to the next look once the
lease runs out (the notifier died mid-send), so at least one send happens;
the delivery's id, sent as ``Idempotency-Key`` on every try, lets a receiver
make it exactly one in effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.notify.notices import Notice
from noc_actors.store.repos._common import after_cursor, clamp_limit, new_id, page
from noc_actors.store.schema import (
    ack_links,
    contact_points,
    deliveries,
    delivery_attempts,
    notices,
)

# --- contact points -----------------------------------------------------------------

CONTACT_COLUMNS = (
    "user_id",
    "name",
    "channel",
    "config",
    "secret",
    "min_severity",
    "max_severity",
    "delay_s",
    "send_resolved",
    "enabled",
)


async def create_contact(
    conn: AsyncConnection, *, tenant_id: str, now: datetime, **values: Any
) -> dict[str, Any]:
    row = {k: values[k] for k in CONTACT_COLUMNS if k in values}
    row |= {"id": new_id(), "tenant_id": tenant_id, "created_at": now, "updated_at": now}
    await conn.execute(insert(contact_points).values(**row))
    found = await get_contact(conn, tenant_id=tenant_id, contact_id=row["id"])
    assert found is not None
    return found


async def get_contact(
    conn: AsyncConnection, *, tenant_id: str, contact_id: str
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            select(contact_points).where(
                contact_points.c.tenant_id == tenant_id, contact_points.c.id == contact_id
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def list_contacts(conn: AsyncConnection, *, tenant_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(contact_points)
        .where(contact_points.c.tenant_id == tenant_id)
        .order_by(contact_points.c.name, contact_points.c.id)
    )
    return [dict(r._mapping) for r in rows]


async def update_contact(
    conn: AsyncConnection, *, tenant_id: str, contact_id: str, now: datetime, **values: Any
) -> dict[str, Any] | None:
    changes = {k: values[k] for k in CONTACT_COLUMNS if k in values}
    await conn.execute(
        update(contact_points)
        .where(contact_points.c.tenant_id == tenant_id, contact_points.c.id == contact_id)
        .values(**changes, updated_at=now)
    )
    return await get_contact(conn, tenant_id=tenant_id, contact_id=contact_id)


async def delete_contact(conn: AsyncConnection, *, tenant_id: str, contact_id: str) -> bool:
    """Delete it; its pending deliveries are skipped, its log stays."""
    result = await conn.execute(
        delete(contact_points).where(
            contact_points.c.tenant_id == tenant_id, contact_points.c.id == contact_id
        )
    )
    return bool(result.rowcount)


# --- the outbox ---------------------------------------------------------------------


def _insert_ignore(conn: AsyncConnection, table: Any, keys: Sequence[str]) -> Any:
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=list(keys))


async def add_notices(conn: AsyncConnection, found: Sequence[Notice]) -> None:
    """Write the notices of a commit; one already written (same alert, kind
    and level: a replay) is left as it was."""
    if not found:
        return
    rows = [
        {
            "tenant_id": n.tenant_id,
            "client_id": n.client_id,
            "alert_id": n.alert_id,
            "kind": n.kind,
            "level": n.level,
            "target": n.target,
            "severity": n.severity,
            "state": "pending",
            "lease_until": None,
            "created_at": n.at,
        }
        for n in found
    ]
    await conn.execute(_insert_ignore(conn, notices, ("alert_id", "kind", "level")), rows)


def _free(lease: Any, now: datetime) -> Any:
    return or_(lease.is_(None), lease < now)


async def _claim(
    conn: AsyncConnection,
    table: Any,
    where: Sequence[Any],
    order: Sequence[Any],
    *,
    now: datetime,
    lease_s: float,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` rows matching ``where`` that nobody holds, now held by
    the caller for ``lease_s`` (a row another claimer took meanwhile is not
    returned: the update checks the lease again)."""
    free = _free(table.c.lease_until, now)
    ids = [
        r[0]
        for r in await conn.execute(
            select(table.c.id).where(*where, free).order_by(*order).limit(limit)
        )
    ]
    if not ids:
        return []
    rows = await conn.execute(
        update(table)
        .where(table.c.id.in_(ids), free)
        .values(lease_until=now + timedelta(seconds=lease_s))
        .returning(*table.c)
    )
    return [dict(r._mapping) for r in rows]


async def claim_notices(
    conn: AsyncConnection, *, now: datetime, lease_s: float, limit: int = 100
) -> list[dict[str, Any]]:
    """Pending notices nobody holds, oldest first, now held by the caller."""
    rows = await _claim(
        conn,
        notices,
        [notices.c.state == "pending"],
        [notices.c.created_at, notices.c.id],
        now=now,
        lease_s=lease_s,
        limit=limit,
    )
    return sorted(rows, key=lambda r: r["id"])


async def plan_notice(
    conn: AsyncConnection, *, notice: dict[str, Any], planned: Sequence[dict[str, Any]]
) -> None:
    """The notice's deliveries (one per contact point; a second try of the
    same plan adds none) and the notice marked planned, together."""
    if planned:
        await conn.execute(_insert_ignore(conn, deliveries, ("notice_id", "contact_id")), planned)
    await conn.execute(
        update(notices)
        .where(notices.c.id == notice["id"])
        .values(state="planned", lease_until=None)
    )


async def sent_contacts(conn: AsyncConnection, *, alert_id: str) -> list[str]:
    """Contact points an escalation of the alert was sent to."""
    rows = await conn.execute(
        select(deliveries.c.contact_id)
        .where(
            deliveries.c.alert_id == alert_id,
            deliveries.c.kind == "escalation",
            deliveries.c.state == "sent",
        )
        .distinct()
    )
    return [r[0] for r in rows]


# --- deliveries ---------------------------------------------------------------------


async def claim_deliveries(
    conn: AsyncConnection, *, now: datetime, lease_s: float, limit: int = 100
) -> list[dict[str, Any]]:
    """Due pending deliveries nobody holds, now held by the caller."""
    rows = await _claim(
        conn,
        deliveries,
        [deliveries.c.state == "pending", deliveries.c.next_at <= now],
        [deliveries.c.next_at, deliveries.c.id],
        now=now,
        lease_s=lease_s,
        limit=limit,
    )
    return sorted(rows, key=lambda r: (r["next_at"], r["id"]))


async def record_attempt(
    conn: AsyncConnection,
    *,
    delivery: dict[str, Any],
    attempt: int,
    outcome: str,
    state: str,
    status_code: int | None,
    error: str | None,
    latency_ms: float,
    at: datetime,
    next_at: datetime | None,
) -> None:
    """One try in the log, and the delivery's new state, together."""
    await conn.execute(
        insert(delivery_attempts).values(
            delivery_id=delivery["id"],
            tenant_id=delivery["tenant_id"],
            alert_id=delivery["alert_id"],
            attempt=attempt,
            outcome=outcome,
            status_code=status_code,
            error=error,
            latency_ms=latency_ms,
            at=at,
        )
    )
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery["id"])
        .values(
            state=state,
            attempts=attempt,
            next_at=next_at or delivery["next_at"],
            lease_until=None,
            last_error=error,
            done_at=at if state != "pending" else None,
        )
    )


async def skip_delivery(
    conn: AsyncConnection, *, delivery_id: str, reason: str, at: datetime
) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(state="skipped", lease_until=None, last_error=reason, done_at=at)
    )


# --- the log ------------------------------------------------------------------------

LOG_COLUMNS = (
    delivery_attempts.c.id,
    delivery_attempts.c.at,
    delivery_attempts.c.alert_id,
    deliveries.c.level,
    deliveries.c.kind,
    deliveries.c.contact_id,
    deliveries.c.contact_name,
    deliveries.c.channel,
    deliveries.c.user_id,
    delivery_attempts.c.delivery_id,
    delivery_attempts.c.attempt,
    delivery_attempts.c.outcome,
    delivery_attempts.c.status_code,
    delivery_attempts.c.error,
    delivery_attempts.c.latency_ms,
)


async def alert_log(conn: AsyncConnection, *, tenant_id: str, alert_id: str) -> dict[str, Any]:
    """The alert's deliveries (state, attempts) and every attempt, oldest first."""
    planned = await conn.execute(
        select(deliveries)
        .where(deliveries.c.tenant_id == tenant_id, deliveries.c.alert_id == alert_id)
        .order_by(deliveries.c.created_at, deliveries.c.id)
    )
    tries = await conn.execute(
        select(*LOG_COLUMNS)
        .join(deliveries, deliveries.c.id == delivery_attempts.c.delivery_id)
        .where(delivery_attempts.c.tenant_id == tenant_id, delivery_attempts.c.alert_id == alert_id)
        .order_by(delivery_attempts.c.at, delivery_attempts.c.id)
    )
    return {
        "deliveries": [dict(r._mapping) for r in planned],
        "attempts": [dict(r._mapping) for r in tries],
    }


async def attempts_page(
    conn: AsyncConnection,
    *,
    tenant_id: str,
    client_ids: Sequence[str] | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Attempts of the tenant, newest first (``client_ids`` None: all)."""
    limit = clamp_limit(limit)
    where = [delivery_attempts.c.tenant_id == tenant_id]
    if client_ids is not None:
        where.append(
            delivery_attempts.c.delivery_id.in_(
                select(deliveries.c.id)
                .join(notices, notices.c.id == deliveries.c.notice_id)
                .where(deliveries.c.tenant_id == tenant_id, notices.c.client_id.in_(client_ids))
            )
        )
    if since is not None:
        where.append(delivery_attempts.c.at >= since)
    if until is not None:
        where.append(delivery_attempts.c.at < until)
    if cursor is not None:
        where.append(after_cursor(delivery_attempts.c.at, delivery_attempts.c.id, cursor, int))
    rows = (
        await conn.execute(
            select(*LOG_COLUMNS)
            .join(deliveries, deliveries.c.id == delivery_attempts.c.delivery_id)
            .where(and_(*where))
            .order_by(delivery_attempts.c.at.desc(), delivery_attempts.c.id.desc())
            .limit(limit + 1)
        )
    ).all()
    items, nxt = page(rows, limit, "at", "id")
    return [dict(r._mapping) for r in items], nxt


# --- acknowledge links --------------------------------------------------------------


async def add_ack_link(conn: AsyncConnection, **row: Any) -> None:
    await conn.execute(insert(ack_links).values(**row))


async def get_ack_link(conn: AsyncConnection, *, token_hash: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(select(ack_links).where(ack_links.c.token_hash == token_hash))
    ).first()
    return dict(row._mapping) if row else None


async def use_ack_link(conn: AsyncConnection, *, token_hash: str, now: datetime) -> bool:
    """Mark the link used, if it is unused and not expired; True if this
    call did (one use, even with two clicks at once)."""
    result = await conn.execute(
        update(ack_links)
        .where(
            ack_links.c.token_hash == token_hash,
            ack_links.c.used_at.is_(None),
            ack_links.c.expires_at > now,
        )
        .values(used_at=now)
    )
    return bool(result.rowcount)
