"""``PUT /api/noc/clients/{client_id}/placement``: move a running client to
a pooled or a dedicated host (issue 12). ``noc:configure``, and the client
in the caller's scope (403 + audit otherwise); audited as CONFIG_CHANGE.

The client's calls wait while it moves (nothing is lost or applied twice);
the answer says whether it moved and how long it was paused, never which
host runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, Field

from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import NotFound
from noc_actors.store.repos import audit, clients
from serve_app.auth import deny
from serve_app.caller import Caller
from serve_app.deps import Ctx, requires
from serve_app.schemas import StrictModel

router = APIRouter(prefix="/api/noc/clients", tags=["placement"])

Configurer = Annotated[Caller, Depends(requires(Capability.CONFIGURE))]


class PlacementIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={  # the supervisor's rule, in the schema
            "if": {"properties": {"placement": {"const": "pooled"}}, "required": ["placement"]},
            "then": {"properties": {"resource": {"type": "null"}}},
        }
    )

    placement: Literal["pooled", "dedicated"] = Field(
        description="pooled: a shared pool host; dedicated: a host of its own (a loud client)."
    )
    resource: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$",
        description="dedicated only: run its host on the nodes offering this Ray custom "
        "resource (422 when none does).",
    )


@router.put("/{client_id}/placement", summary="Move a client to a pooled or a dedicated host")
async def put_placement(
    client_id: str, body: PlacementIn, ctx: Ctx, caller: Configurer
) -> dict[str, Any]:
    async with ctx.engine.connect() as db:
        client = await clients.get_client(db, tenant_id=caller.tenant_id, client_id=client_id)
    if client is None:
        raise NotFound("client", client_id)
    visible = caller.visible_client_ids
    if visible is not None and client_id not in visible:
        raise await deny(ctx, caller, "scope", "client", client_id)
    moved = await ctx.noc.place(caller.tenant_id, client_id, body.placement, body.resource)
    answer = {
        "client_id": client_id,
        "placement": body.placement,
        "resource": body.resource,
        "moved": moved["moved"],
        "paused_s": moved.get("paused_s", 0.0),
    }
    entry = caller.audit_entry(
        AuditAction.CONFIG_CHANGE, "client_placement", client_id, answer, datetime.now(UTC)
    )
    async with ctx.engine.begin() as db:
        await audit.append_audit(db, [entry])
    return answer
