"""``GET /api/noc/alert-types``: the alert types a caller may see and filter
by — the tenant's list (the built-in types and the tenant's own, each with
its default severity, SPEC section 3) and any other type among the open
alerts in the caller's scope (an integration's), with how many of each are
open in that scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from noc_actors.domain.enums import AlertType
from noc_actors.store.repos import reports
from noc_actors.store.tenancy import tenant_policy
from serve_app.deps import Ctx, Viewer
from serve_app.scoping import report_scope

router = APIRouter(prefix="/api/noc/alert-types", tags=["alerts"])

BUILTIN = frozenset(t.value for t in AlertType)


@router.get("", summary="Alert types the caller may see, with their open alerts in scope")
async def list_alert_types(ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    """Each type: ``alert_type``, ``default_severity`` (the tenant policy's),
    ``source`` (``builtin``, ``tenant`` — added by the tenant's policy — or
    ``alerts`` — only seen on alerts) and ``open`` (open alerts of that type
    the caller sees). Sorted by type."""
    async with ctx.engine.connect() as db:
        policy = await tenant_policy(db, caller.tenant_id, ctx.settings.policy)
        open_counts = await reports.open_by_type(db, scope=report_scope(caller))
    items = [
        {
            "alert_type": t,
            "default_severity": policy.severity_for_type(t).value,
            "source": "builtin"
            if t in BUILTIN
            else ("tenant" if t in policy.type_severity else "alerts"),
            "open": open_counts.get(t, 0),
        }
        for t in sorted(set(policy.type_severity) | set(open_counts) | BUILTIN)
    ]
    return {"items": items}
