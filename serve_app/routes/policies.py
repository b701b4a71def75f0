"""``/api/noc/policies``: the tenant's policy (thresholds, escalation delays)
and escalation chains. ``noc:configure`` only.

Every change is audited as CONFIG_CHANGE (before/after in the metadata) and
then every affected, enabled client's aggregator reloads its context, so the
new numbers apply at once. An aggregator that is not running (or not found)
is skipped: it reads the policy when it starts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from fastapi import APIRouter, Body, Depends
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationError,
    create_model,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import InvalidInput, NotFound
from noc_actors.domain.escalation import EscalationPolicy, TargetKind
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.schema_rules import JSON_INT
from noc_actors.store.repos import audit, clients, policies, tenants
from noc_actors.store.tenancy import effective_policy
from serve_app.auth import deny, require_tenant_wide
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.deps import Ctx, requires
from serve_app.reloads import reload_clients
from serve_app.schemas import StrictModel

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/noc/policies", tags=["policies"])

Configurer = Annotated[Caller, Depends(requires(Capability.CONFIGURE))]


class TargetIn(StrictModel):
    kind: TargetKind
    ref: str | None = Field(
        default=None, min_length=1, max_length=128, description="Pin a user/contact id."
    )


class EscalationIn(StrictModel):
    """The ordered chain of ``client_id`` (omitted: the tenant's default)."""

    targets: list[TargetIn] = Field(min_length=1, max_length=20)
    client_id: str | None = Field(default=None, min_length=1, max_length=128)
    name: str | None = Field(default=None, min_length=1, max_length=200)


def _strict_numbers(tp: Any) -> Any:
    """``tp`` with ``float``/``int``/``bool`` strict (JSON ``true`` is not a
    number, ``1`` is not a boolean; an integer is still a float), through
    dicts and unions."""
    if tp is float:
        return StrictFloat
    if tp is bool:
        return StrictBool
    if tp is int:
        return Annotated[(int, *JSON_INT)]
    args = get_args(tp)
    if not args:
        return tp
    origin = get_origin(tp)
    if origin is dict:
        return dict[_strict_numbers(args[0]), _strict_numbers(args[1])]  # type: ignore[misc]
    if origin in (Union, UnionType):
        return Union[tuple(_strict_numbers(a) for a in args)]  # noqa: UP007
    return tp


def _overrides_model() -> type[BaseModel]:
    """The body of ``PUT /api/noc/policies``: every ``TenantPolicy`` field,
    optional, with its type and bounds (so the published schema is the one
    validation applies); ``null`` puts a field back to its default. Rules
    across fields and the field validators run on the merged policy."""
    fields: dict[str, Any] = {}
    for name, info in TenantPolicy.model_fields.items():
        typed: Any
        if info.annotation is int:  # bounds before JSON_INT's validator, or the schema drops them
            typed = Annotated[(int, *info.metadata, *JSON_INT)]
        else:
            base = _strict_numbers(info.annotation)
            typed = Annotated[(base, *info.metadata)] if info.metadata else base
        fields[name] = (
            typed | None,
            Field(
                default=None,
                description=info.description,
                json_schema_extra=info.json_schema_extra,
            ),
        )
    return create_model(
        "PolicyOverrides",
        __config__=ConfigDict(extra="forbid", allow_inf_nan=False),
        __doc__="TenantPolicy fields to override (merged into the stored overrides); "
        "a field set to null goes back to the default.",
        **fields,
    )


if TYPE_CHECKING:
    PolicyOverrides = BaseModel
else:
    PolicyOverrides = _overrides_model()


def _policy_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "tenant_id"}


async def _view(db: AsyncConnection, ctx: AppContext, tenant_id: str) -> dict[str, Any]:
    tenant = await tenants.get_tenant(db, tenant_id=tenant_id)
    if tenant is None:
        raise NotFound("tenant", tenant_id)
    overrides = dict(tenant.get("policy") or {})
    chains = await policies.list_escalation_policies(db, tenant_id=tenant_id)
    return {
        "policy": effective_policy(ctx.settings.policy, overrides).model_dump(mode="json"),
        "overrides": overrides,
        "escalation_policies": [_policy_row(p) for p in chains],
        "default_escalation_targets": [
            {"kind": t.kind, "ref": t.ref} for t in EscalationPolicy.default().targets
        ],
    }


async def _audit(
    db: AsyncConnection,
    caller: Caller,
    entity_type: str,
    entity_id: str,
    metadata: dict[str, Any],
    now: datetime,
) -> None:
    entry = caller.audit_entry(AuditAction.CONFIG_CHANGE, entity_type, entity_id, metadata, now)
    await audit.append_audit(db, [entry])


def _validation_error(err: ValidationError) -> RequestValidationError:
    """Pydantic errors of the merged policy, located in the request body."""
    return RequestValidationError(
        [
            {"loc": ("body", *e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in err.errors(include_url=False, include_context=False)
        ]
    )


async def _require_client(ctx: AppContext, caller: Caller, client_id: str) -> None:
    visible = caller.visible_client_ids
    if visible is not None and client_id not in visible:
        raise await deny(ctx, caller, "scope", "client", client_id)


@router.get("", summary="Effective tenant policy, stored overrides and escalation chains")
async def get_policies(ctx: Ctx, caller: Configurer) -> dict[str, Any]:
    """A configurer limited to some clients sees the tenant's numbers and the
    chains of its own clients (and the tenant default)."""
    async with ctx.engine.connect() as db:
        view = await _view(db, ctx, caller.tenant_id)
    visible = caller.visible_client_ids
    if visible is not None:
        view["escalation_policies"] = [
            p for p in view["escalation_policies"] if p["client_id"] in (None, *visible)
        ]
    return view


@router.put("", summary="Override policy fields (validated; audited; aggregators reload)")
async def put_policies(
    overrides: Annotated[
        PolicyOverrides,
        Body(examples=[{"device_offline_minutes": 10, "escalation_minutes": {"CRITICAL": 5}}]),
    ],
    ctx: Ctx,
    caller: Configurer,
) -> dict[str, Any]:
    """Tenant-wide: only for a configurer who sees every client (403 +
    audit otherwise)."""
    body = overrides.model_dump(mode="json", exclude_unset=True)
    await require_tenant_wide(ctx, caller, "tenant_policy")
    now = datetime.now(UTC)
    defaults = ctx.settings.policy
    async with ctx.engine.begin() as db:
        tenant = await tenants.get_tenant(db, tenant_id=caller.tenant_id)
        if tenant is None:
            raise NotFound("tenant", caller.tenant_id)
        stored = dict(tenant.get("policy") or {})
        merged = {k: v for k, v in {**stored, **body}.items() if v is not None}
        try:
            after = effective_policy(defaults, merged).model_dump(mode="json")
        except ValidationError as err:
            raise _validation_error(err) from err
        before = effective_policy(defaults, stored).model_dump(mode="json")
        kept = {k: after[k] for k in merged}
        await tenants.update_policy(db, tenant_id=caller.tenant_id, policy=kept)
        keys = sorted(body)
        meta = {
            "changed": [k for k in keys if before[k] != after[k]],
            "before": {k: before[k] for k in keys},
            "after": {k: after[k] for k in keys},
        }
        await _audit(db, caller, "tenant_policy", caller.tenant_id, meta, now)
    reloaded = await reload_clients(ctx, caller.tenant_id)
    async with ctx.engine.connect() as db:
        return {**await _view(db, ctx, caller.tenant_id), "reloaded": reloaded}


@router.put("/escalation", summary="Set the escalation chain of the tenant or of one client")
async def put_escalation(body: EscalationIn, ctx: Ctx, caller: Configurer) -> dict[str, Any]:
    """A client's chain needs that client in the caller's scope; the tenant
    default needs every client (403 + audit otherwise)."""
    now = datetime.now(UTC)
    cid = body.client_id
    if cid is None:
        await require_tenant_wide(ctx, caller, "escalation_policy")
    else:
        await _require_client(ctx, caller, cid)
    async with ctx.engine.begin() as db:
        if cid and await clients.get_client(db, tenant_id=caller.tenant_id, client_id=cid) is None:
            raise InvalidInput("client_id", f"unknown client {cid!r}")
        existing = next(
            (
                p
                for p in await policies.list_escalation_policies(db, tenant_id=caller.tenant_id)
                if p["client_id"] == cid
            ),
            None,
        )
        saved = await policies.put_escalation_policy(
            db,
            tenant_id=caller.tenant_id,
            name=body.name or (f"client {cid}" if cid else "tenant default"),
            targets=[t.model_dump() for t in body.targets],
            now=now,
            client_id=cid,
        )
        meta = {
            "client_id": cid,
            "before": existing["targets"] if existing else None,
            "after": saved["targets"],
        }
        await _audit(db, caller, "escalation_policy", saved["id"], meta, now)
    reloaded = await reload_clients(ctx, caller.tenant_id, [cid])
    return {**_policy_row(saved), "reloaded": reloaded}
