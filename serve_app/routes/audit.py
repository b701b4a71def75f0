"""``GET /api/noc/audit``: the tenant's audit log (SPEC section 11), newest
first with keyset pages. Needs ``noc:audit_view``. Narrowed by scope: a
reader who sees every client reads every row of the tenant; one limited to
some clients (or sites) reads the rows about their alerts, incidents and
maintenance windows, denials on them, and its own actions
(``filters.audit_scope``). Metadata is PII-masked unless the caller holds
``noc:view_pii``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from noc_actors.domain.enums import Capability
from noc_actors.store.repos import audit
from serve_app.caller import Caller
from serve_app.deps import Ctx, requires
from serve_app.filters import AuditSearch
from serve_app.scoping import public

router = APIRouter(prefix="/api/noc/audit", tags=["audit"])

Auditor = Annotated[Caller, Depends(requires(Capability.AUDIT_VIEW))]


class AuditPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


def audit_json(caller: Caller, row: dict[str, Any]) -> dict[str, Any]:
    """One audit row as JSON (ISO time), masked unless the caller sees PII."""
    item = dict(row)
    item["at"] = item["at"].isoformat()
    return public(caller, item)


@router.get("", response_model=AuditPage, summary="Search the audit log (newest first)")
async def list_audit(
    ctx: Ctx, caller: Auditor, search: Annotated[AuditSearch, Query()]
) -> AuditPage:
    async with ctx.engine.connect() as db:
        rows, next_cursor = await audit.query_audit(
            db, **search.query(caller), limit=search.limit, cursor=search.cursor
        )
    return AuditPage(items=[audit_json(caller, r) for r in rows], next_cursor=next_cursor)
