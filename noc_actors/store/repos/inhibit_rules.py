"""A tenant's inhibit rules (``domain.inhibition``). The shipped default
rules are not rows: a stored rule with a default's id replaces it (stored
disabled, it turns the default off), so ``effective_rules`` is what the
tenant's aggregators apply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.inhibition import DEFAULT_RULES, InhibitRule
from noc_actors.store.rows import as_dict
from noc_actors.store.schema import inhibit_rules

DEFAULT_IDS = frozenset(r.id for r in DEFAULT_RULES)


def _rule(row: dict[str, Any]) -> InhibitRule:
    return InhibitRule.parse(
        {k: row[k] for k in ("id", "name", "source_matchers", "target_matchers", "equal")}
        | {"enabled": bool(row["enabled"])}
    )


async def stored_rules(conn: AsyncConnection, *, tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's rows, oldest first."""
    result = await conn.execute(
        select(inhibit_rules)
        .where(inhibit_rules.c.tenant_id == tenant_id)
        .order_by(inhibit_rules.c.created_at, inhibit_rules.c.id)
    )
    return [as_dict(r) for r in result]


async def effective_rules(conn: AsyncConnection, *, tenant_id: str) -> list[InhibitRule]:
    """The defaults (each replaced by the tenant's row of the same id), then
    the tenant's own rules, oldest first; disabled ones included."""
    rows = {r["id"]: r for r in await stored_rules(conn, tenant_id=tenant_id)}
    rules = [_rule(rows.pop(d.id)) if d.id in rows else d for d in DEFAULT_RULES]
    return rules + [_rule(r) for r in rows.values()]


async def get_rule(conn: AsyncConnection, *, tenant_id: str, rule_id: str) -> InhibitRule | None:
    for rule in await effective_rules(conn, tenant_id=tenant_id):
        if rule.id == rule_id:
            return rule
    return None


async def put_rule(
    conn: AsyncConnection, *, tenant_id: str, rule: InhibitRule, by: str | None, now: datetime
) -> bool:
    """Store ``rule`` (insert, or replace the row of its id); True if new."""
    values = rule.to_dict() | {"updated_at": now}
    changed = await conn.execute(
        update(inhibit_rules)
        .where(inhibit_rules.c.tenant_id == tenant_id, inhibit_rules.c.id == rule.id)
        .values({k: v for k, v in values.items() if k != "id"})
    )
    if changed.rowcount:
        return False
    await conn.execute(
        insert(inhibit_rules).values(
            values | {"tenant_id": tenant_id, "created_by": by, "created_at": now}
        )
    )
    return True


async def delete_rule(conn: AsyncConnection, *, tenant_id: str, rule_id: str) -> bool:
    """Remove the tenant's row of ``rule_id``; whether there was one."""
    result = await conn.execute(
        delete(inhibit_rules).where(
            inhibit_rules.c.tenant_id == tenant_id, inhibit_rules.c.id == rule_id
        )
    )
    return bool(result.rowcount)
