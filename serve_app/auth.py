"""Authentication (bearer tokens from ``noc token issue``) and authorization
(capability + scope, SPEC section 2). Denials are audited here as
UNAUTHORIZED_ACCESS with the source address."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import HTTPConnection

from noc_actors.domain.access import Principal, Scope
from noc_actors.domain.audit import unauthorized
from noc_actors.domain.enums import Capability
from noc_actors.domain.errors import PermissionDenied
from noc_actors.store.repos import audit, clients, tokens
from serve_app.caller import Caller, principal_of
from serve_app.directory import Directory
from serve_app.errors import Unauthenticated

BEARER = "bearer "


class HasEngine(Protocol):
    """What authentication needs of the replica (``serve_app.context.AppContext``)."""

    @property
    def engine(self) -> AsyncEngine: ...


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER) :].strip() or None
    return None


async def read_directory(conn: AsyncConnection, tenant_id: str) -> Directory:
    """The tenant's clients and sites, as one request sees them."""
    rows = await clients.list_clients(conn, tenant_id=tenant_id)
    sites = await clients.list_sites(conn, tenant_id=tenant_id)
    return Directory.of(rows, sites)


async def scope_for(
    conn: AsyncConnection, principal: Principal
) -> tuple[Scope, list[str] | None, Directory]:
    """The principal's scope, the explicit list of its visible clients (None
    when it sees every client of the tenant) and the tenant's directory."""
    directory = await read_directory(conn, principal.tenant_id)
    infos = directory.client_infos()
    scope = Scope.for_principal(principal, infos, directory.site_client)
    if scope.is_all and not scope.hidden_clients:
        return scope, None, directory
    return scope, scope.filter_client_ids(sorted(infos)), directory


async def authenticate(ctx: HasEngine, conn: HTTPConnection, token: str | None = None) -> Caller:
    """The caller of this request, or 401 (no audit row: no tenant is known)."""
    token = token or bearer_token(conn)
    if not token:
        raise Unauthenticated("missing bearer token (Authorization: Bearer ...)")
    now = datetime.now(UTC)
    async with ctx.engine.begin() as db:
        record = await tokens.resolve_token(db, token=token, now=now)
        if record is None:
            raise Unauthenticated("invalid, expired or revoked token")
        await tokens.touch_token(db, token_id=record["id"], now=now)
        principal = principal_of(record)
        scope, visible, directory = await scope_for(db, principal)
    client = conn.client
    return Caller(
        principal=principal,
        token_id=record["id"],
        source_ip=client.host if client else None,
        user_agent=conn.headers.get("user-agent"),
        correlation_id=getattr(conn.state, "correlation_id", None),
        scope=scope,
        visible_client_ids=visible,
        directory=directory,
    )


async def deny(
    ctx: HasEngine,
    caller: Caller,
    capability: str,
    entity_type: str = "endpoint",
    entity_id: str = "",
) -> PermissionDenied:
    """Write the UNAUTHORIZED_ACCESS row and return the error to raise."""
    entry = unauthorized(
        caller.tenant_id,
        caller.user_id,
        capability,
        datetime.now(UTC),
        entity_type=entity_type,
        entity_id=entity_id,
        source_ip=caller.source_ip,
        user_agent=caller.user_agent,
        correlation_id=caller.correlation_id,
    )
    async with ctx.engine.begin() as db:
        await audit.append_audit(db, [entry])
    return PermissionDenied(capability, f"{entity_type} {entity_id}".strip())


async def require(ctx: HasEngine, caller: Caller, capability: Capability) -> None:
    if not caller.principal.has(capability):
        raise await deny(ctx, caller, capability.value)
