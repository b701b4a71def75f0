"""Tenant administration: users (``/api/noc/users``) and API tokens /
integration keys (``/api/noc/tokens``). Tenant admins only; anyone else gets
403 and an UNAUTHORIZED_ACCESS audit row (capability ``admin``).

Token plaintext is returned once, by ``POST /api/noc/tokens``; only its hash
is stored and no response ever carries a hash. Issuing and revoking are
audited (TOKEN_ISSUED / TOKEN_REVOKED); user changes are audited as
CONFIG_CHANGE (ids and capability names only, never PII)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import Conflict, InvalidInput, NotFound
from noc_actors.domain.schema_rules import drop_null, exactly_one
from noc_actors.store.repos import audit, clients, tokens, users
from serve_app.auth import deny
from serve_app.caller import Caller
from serve_app.deps import Ctx, CurrentCaller
from serve_app.schemas import StrictModel
from serve_app.scoping import public

router = APIRouter(prefix="/api/noc", tags=["admin"])

KNOWN_CAPABILITIES = frozenset(c.value for c in Capability)
_CAPABILITY_NAMES: list[JsonValue] = [*sorted(KNOWN_CAPABILITIES)]
"""The keys ``capabilities`` may have, in the schema (``_known`` checks them)."""
_EMAIL_PART = r"[^@\s\x1c-\x1f\x85\ufeff]+"
"""No ``@`` and no whitespace by any engine's ``\\s`` (Python's, Rust's and
ECMA's differ on these few), so the schema's pattern means one thing."""
_EMAIL = re.compile(rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$")
USER_FIELDS: tuple[str, ...] = ("id", "display_name", "email", "phone", "is_admin")
USER_FIELDS += ("capabilities", "client_ids", "site_ids", "created_at")
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


async def _admin(request: Request, ctx: Ctx, caller: CurrentCaller) -> Caller:
    """The caller if it is a tenant admin; else 403 + UNAUTHORIZED_ACCESS."""
    if not caller.principal.is_admin:
        raise await deny(ctx, caller, "admin", "endpoint", f"{request.method} {request.url.path}")
    return caller


Admin = Annotated[Caller, Depends(_admin)]


# --- bodies -------------------------------------------------------------------------


class UserFields(StrictModel):
    """Every user field, all optional (the PATCH shape)."""

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=_EMAIL.pattern)
    phone: str | None = Field(default=None, max_length=64)
    is_admin: StrictBool | None = None
    capabilities: dict[str, StrictBool] | None = Field(
        default=None,
        description="Capability name -> granted; `false` stores an explicit denial.",
        json_schema_extra={"propertyNames": {"enum": _CAPABILITY_NAMES}},
    )
    client_ids: list[Id] | None = Field(default=None, max_length=1000)
    site_ids: list[Id] | None = Field(default=None, max_length=5000)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not _EMAIL.match(v):
            raise ValueError("not an email address")
        return v

    @field_validator("capabilities")
    @classmethod
    def _known(cls, v: dict[str, bool] | None) -> dict[str, bool] | None:
        for name in v or {}:
            if name not in KNOWN_CAPABILITIES:
                known = ", ".join(sorted(KNOWN_CAPABILITIES))
                raise ValueError(f"unknown capability {name!r}; known: {known}")
        return v


class UserIn(UserFields):
    """A new user (``POST /api/noc/users``)."""

    display_name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320, pattern=_EMAIL.pattern)
    is_admin: StrictBool = False
    capabilities: dict[str, StrictBool] = Field(
        default_factory=dict,
        json_schema_extra={"propertyNames": {"enum": _CAPABILITY_NAMES}},
    )
    client_ids: list[Id] = Field(default_factory=list, max_length=1000)
    site_ids: list[Id] = Field(default_factory=list, max_length=5000)


class UserPatch(UserFields):
    """Changed fields only; ``capabilities`` and the id lists replace the
    stored ones; ``phone: null`` clears the phone."""

    model_config = ConfigDict(
        json_schema_extra=drop_null(
            "display_name", "email", "is_admin", "capabilities", "client_ids", "site_ids"
        )
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> UserPatch:
        for name in self.model_fields_set - {"phone"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class IntegrationIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    client_id: Id | None = Field(default=None, description="Limit the key to one client.")


class TokenIn(StrictModel):
    """Exactly one of ``user_id`` (a user token) or ``integration`` (an
    integration key carrying ``noc:ingest``)."""

    model_config = ConfigDict(json_schema_extra=exactly_one("user_id", "integration"))

    user_id: Id | None = None
    integration: IntegrationIn | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)

    @model_validator(mode="after")
    def _one_kind(self) -> TokenIn:
        if (self.user_id is None) == (self.integration is None):
            raise ValueError("give exactly one of user_id or integration")
        return self


# --- helpers ------------------------------------------------------------------------


def _user_out(caller: Caller, row: dict[str, Any]) -> dict[str, Any]:
    return public(caller, {k: row.get(k) for k in USER_FIELDS})


def _token_out(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("token_hash", "tenant_id")}
    expires = row.get("expires_at")
    if row.get("revoked_at") is not None:
        out["status"] = "revoked"
    elif expires is not None and expires <= now:
        out["status"] = "expired"
    else:
        out["status"] = "active"
    return out


async def _audit(
    db: AsyncConnection,
    caller: Caller,
    action: AuditAction,
    entity_type: str,
    entity_id: str,
    metadata: dict[str, Any],
    now: datetime,
) -> None:
    await audit.append_audit(
        db, [caller.audit_entry(action, entity_type, entity_id, metadata, now)]
    )


async def _check_scope(db: AsyncConnection, tenant_id: str, body: UserFields) -> None:
    """422 naming the field for a client or site that is not the tenant's."""
    if body.client_ids:
        known = {c["id"] for c in await clients.list_clients(db, tenant_id=tenant_id)}
        for cid in body.client_ids:
            if cid not in known:
                raise InvalidInput("client_ids", f"unknown client {cid!r}")
    if body.site_ids:
        known = {s["id"] for s in await clients.list_sites(db, tenant_id=tenant_id)}
        for sid in body.site_ids:
            if sid not in known:
                raise InvalidInput("site_ids", f"unknown site {sid!r}")


async def _check_email(db: AsyncConnection, tenant_id: str, email: str, user_id: str) -> None:
    other = await users.get_user_by_email(db, tenant_id=tenant_id, email=email)
    if other is not None and other["id"] != user_id:
        raise Conflict("email: a user with this email already exists")


async def _keep_an_admin(db: AsyncConnection, tenant_id: str) -> None:
    """409 when demoting would leave the tenant without an admin."""
    if len(await users.list_admins(db, tenant_id=tenant_id)) <= 1:
        raise Conflict("is_admin: the tenant's last admin must stay an admin")


def _access_meta(values: dict[str, Any]) -> dict[str, Any]:
    """The audit metadata of a user change: field names plus the access
    fields (capabilities, admin flag, scope ids) — never PII values."""
    keep = ("is_admin", "capabilities", "client_ids", "site_ids")
    return {"fields": sorted(values), **{k: values[k] for k in keep if k in values}}


# --- users --------------------------------------------------------------------------


@router.get("/users", summary="The tenant's users (PII masked without noc:view_pii)")
async def list_users(ctx: Ctx, caller: Admin) -> list[dict[str, Any]]:
    async with ctx.engine.connect() as db:
        rows = await users.list_users(db, tenant_id=caller.tenant_id)
    return [_user_out(caller, r) for r in rows]


@router.post("/users", status_code=201, summary="Create a user with capabilities and a scope")
async def create_user(body: UserIn, ctx: Ctx, caller: Admin) -> dict[str, Any]:
    now = datetime.now(UTC)
    try:
        async with ctx.engine.begin() as db:
            await _check_scope(db, caller.tenant_id, body)
            await _check_email(db, caller.tenant_id, body.email, "")
            row = await users.create_user(
                db, tenant_id=caller.tenant_id, now=now, **body.model_dump()
            )
            meta = _access_meta(body.model_dump())
            await _audit(db, caller, AuditAction.CONFIG_CHANGE, "user", row["id"], meta, now)
    except IntegrityError as err:
        raise Conflict("email: a user with this email already exists") from err
    return _user_out(caller, row)


@router.get("/users/{user_id}", summary="One user of the tenant")
async def get_user(user_id: str, ctx: Ctx, caller: Admin) -> dict[str, Any]:
    async with ctx.engine.connect() as db:
        row = await users.get_user(db, tenant_id=caller.tenant_id, user_id=user_id)
    if row is None:
        raise NotFound("user", user_id)
    return _user_out(caller, row)


@router.patch("/users/{user_id}", summary="Change a user's fields, capabilities or scope")
async def update_user(user_id: str, body: UserPatch, ctx: Ctx, caller: Admin) -> dict[str, Any]:
    now = datetime.now(UTC)
    changes = body.model_dump(exclude_unset=True)
    try:
        async with ctx.engine.begin() as db:
            row = await users.get_user(db, tenant_id=caller.tenant_id, user_id=user_id)
            if row is None:
                raise NotFound("user", user_id)
            await _check_scope(db, caller.tenant_id, body)
            if body.email is not None:
                await _check_email(db, caller.tenant_id, body.email, user_id)
            if changes.get("is_admin") is False and row["is_admin"]:
                await _keep_an_admin(db, caller.tenant_id)
            row = await users.update_user(
                db, tenant_id=caller.tenant_id, user_id=user_id, **changes
            )
            meta = _access_meta(changes)
            await _audit(db, caller, AuditAction.CONFIG_CHANGE, "user", user_id, meta, now)
    except IntegrityError as err:
        raise Conflict("email: a user with this email already exists") from err
    assert row is not None
    return _user_out(caller, row)


# --- tokens -------------------------------------------------------------------------


@router.get("/tokens", summary="The tenant's tokens and integration keys (never hashes)")
async def list_tokens(
    ctx: Ctx,
    caller: Admin,
    user_id: Annotated[str | None, Query(max_length=128, description="Only this user's.")] = None,
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    async with ctx.engine.connect() as db:
        rows = await tokens.list_tokens(db, tenant_id=caller.tenant_id, user_id=user_id)
    return [_token_out(r, now) for r in rows]


@router.post(
    "/tokens", status_code=201, summary="Issue a token; the plaintext is shown only here, once"
)
async def issue_token(body: TokenIn, response: Response, ctx: Ctx, caller: Admin) -> dict[str, Any]:
    now = datetime.now(UTC)
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    kwargs: dict[str, Any]
    async with ctx.engine.begin() as db:
        if body.user_id is not None:
            user = await users.get_user(db, tenant_id=caller.tenant_id, user_id=body.user_id)
            if user is None:
                raise InvalidInput("user_id", f"unknown user {body.user_id!r}")
            kwargs = dict(kind="user", user_id=user["id"], name=body.name or f"api:{user['id']}")
        else:
            assert body.integration is not None
            cid = body.integration.client_id
            if (
                cid
                and await clients.get_client(db, tenant_id=caller.tenant_id, client_id=cid) is None
            ):
                raise InvalidInput("integration.client_id", f"unknown client {cid!r}")
            kwargs = dict(
                kind="integration",
                name=body.integration.name,
                client_id=cid,
                capabilities=[Capability.INGEST.value],
            )
        plaintext, row = await tokens.issue_token(
            db, tenant_id=caller.tenant_id, now=now, expires_at=expires, **kwargs
        )
        meta = {
            "kind": row["kind"],
            "user_id": row["user_id"],
            "client_id": row["client_id"],
            "expires_at": expires.isoformat() if expires else None,
        }
        await _audit(db, caller, AuditAction.TOKEN_ISSUED, "token", row["id"], meta, now)
    response.headers["Cache-Control"] = "no-store"
    return {**_token_out(row, now), "token": plaintext}


@router.delete("/tokens/{token_id}", summary="Revoke a token; refused from the next request on")
async def revoke_token(token_id: str, ctx: Ctx, caller: Admin) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with ctx.engine.begin() as db:
        row = await tokens.get_token(db, tenant_id=caller.tenant_id, token_id=token_id)
        if row is None:
            raise NotFound("token", token_id)
        if not await tokens.revoke_token(
            db, tenant_id=caller.tenant_id, token_id=token_id, now=now
        ):
            raise Conflict(f"token {token_id!r} is already revoked")
        meta = {"kind": row["kind"], "user_id": row["user_id"]}
        await _audit(db, caller, AuditAction.TOKEN_REVOKED, "token", token_id, meta, now)
    return _token_out({**row, "revoked_at": now}, now)
