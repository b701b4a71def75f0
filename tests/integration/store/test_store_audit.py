"""Audit trail: batched appends, filtered newest-first pages per tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from noc_actors.domain.enums import AuditAction
from noc_actors.store.repos import audit

if TYPE_CHECKING:
    from tests.integration.store.conftest import Org

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    tenant_id: str
    action: str
    at: datetime
    actor_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source_ip: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None


async def test_audit_entries_append_in_batches_and_page_newest_first(
    engine: AsyncEngine, org: Org
) -> None:
    entries = [
        Entry(org.tenant_a, AuditAction.ACKNOWLEDGE, T0 + timedelta(seconds=i // 2), "u1")
        for i in range(7)
    ] + [{"tenant_id": org.tenant_a, "action": "EXPORT_DATA", "at": T0, "source_ip": "10.0.0.9"}]
    async with engine.begin() as conn:
        await audit.append_audit(conn, entries)
        await audit.append_audit(conn, [Entry(org.tenant_b, "ACKNOWLEDGE", T0)])
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        async with engine.connect() as conn:
            rows, cursor = await audit.query_audit(
                conn, tenant_id=org.tenant_a, limit=3, cursor=cursor
            )
        seen += rows
        if cursor is None:
            break
    assert len(seen) == 8
    assert {r["tenant_id"] for r in seen} == {org.tenant_a}
    keys = [(r["at"], r["id"]) for r in seen]
    assert keys == sorted(keys, reverse=True)
    async with engine.connect() as conn:
        exports, _ = await audit.query_audit(conn, tenant_id=org.tenant_a, action="EXPORT_DATA")
        late, _ = await audit.query_audit(
            conn, tenant_id=org.tenant_a, since=T0 + timedelta(seconds=3)
        )
    assert [e["source_ip"] for e in exports] == ["10.0.0.9"]
    assert len(late) == 1


async def test_audit_entry_without_required_fields_is_refused(
    engine: AsyncEngine, org: Org
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(ValueError, match="lacks"):
            await audit.append_audit(conn, [{"tenant_id": org.tenant_a, "action": "X"}])
        with pytest.raises(ValueError, match="unknown"):
            await audit.append_audit(
                conn, [{"tenant_id": org.tenant_a, "action": "X", "at": T0, "who": "me"}]
            )
