"""Authentication (bearer tokens from ``noc token issue``) and authorization
(capability + scope, SPEC section 2). Denials are audited here as
UNAUTHORIZED_ACCESS with the source address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import HTTPConnection

from noc_actors.domain.access import Principal, Scope
from noc_actors.domain.audit import AuditEntry, unauthorized
from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import PermissionDenied
from noc_actors.store.repos import audit, tokens
from serve_app.context import AppContext
from serve_app.directory import Directory
from serve_app.errors import ApiError

BEARER = "bearer "


@dataclass(frozen=True)
class Caller:
    """The authenticated principal of one request, where it came from, and
    its scope."""

    principal: Principal
    token_id: str
    source_ip: str | None
    user_agent: str | None
    correlation_id: str | None
    scope: Scope
    visible_client_ids: list[str] | None
    """Client ids the caller may see; None = every client of the tenant."""
    directory: Directory
    """The tenant's clients and sites, read with the token (no second read)."""

    @property
    def tenant_id(self) -> str:
        return self.principal.tenant_id

    @property
    def user_id(self) -> str:
        return self.principal.user_id

    @property
    def sees_pii(self) -> bool:
        return self.principal.has(Capability.VIEW_PII)

    def audit_entry(
        self,
        action: AuditAction,
        entity_type: str,
        entity_id: str,
        metadata: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """An audit row for something this caller did, with its source."""
        return AuditEntry(
            tenant_id=self.tenant_id,
            actor_id=self.user_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            at=at or datetime.now(UTC),
            metadata=metadata or {},
            source_ip=self.source_ip,
            user_agent=self.user_agent,
            correlation_id=self.correlation_id,
        )


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER) :].strip() or None
    return None


def principal_of(record: dict) -> Principal:
    """The principal of a resolved token record (user or integration key)."""
    user = record.get("user")
    if user is not None:
        return Principal(
            user_id=user["id"],
            tenant_id=record["tenant_id"],
            is_admin=bool(user["is_admin"]),
            capabilities=user.get("capabilities") or {},
            assigned_client_ids=frozenset(user.get("client_ids") or ()),
            assigned_site_ids=frozenset(user.get("site_ids") or ()),
            display_name=user.get("display_name") or "",
        )
    caps = {c: True for c in record.get("capabilities") or ()}
    scoped = frozenset({record["client_id"]}) if record.get("client_id") else frozenset()
    if scoped:
        caps[Capability.VIEW_CLIENT.value] = True
    return Principal(
        user_id=f"key:{record['id']}",
        tenant_id=record["tenant_id"],
        capabilities=caps,
        assigned_client_ids=scoped,
        display_name=record.get("name") or "integration",
    )


async def scope_for(
    conn: AsyncConnection, principal: Principal
) -> tuple[Scope, list[str] | None, Directory]:
    """The principal's scope, the explicit list of its visible clients (None
    when it sees every client of the tenant) and the tenant's directory."""
    directory = await Directory.read(conn, principal.tenant_id)
    infos = directory.client_infos()
    scope = Scope.for_principal(principal, infos, directory.site_client)
    if scope.is_all and not scope.hidden_clients:
        return scope, None, directory
    return scope, scope.filter_client_ids(sorted(infos)), directory


async def authenticate(ctx: AppContext, conn: HTTPConnection, token: str | None = None) -> Caller:
    """The caller of this request, or 401 (no audit row: no tenant is known)."""
    token = token or bearer_token(conn)
    if not token:
        raise ApiError(
            401,
            "unauthenticated",
            "missing bearer token (Authorization: Bearer ...)",
            {"WWW-Authenticate": "Bearer"},
        )
    now = datetime.now(UTC)
    async with ctx.engine.begin() as db:
        record = await tokens.resolve_token(db, token=token, now=now)
        if record is None:
            raise ApiError(
                401,
                "unauthenticated",
                "invalid, expired or revoked token",
                {"WWW-Authenticate": "Bearer"},
            )
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
    ctx: AppContext,
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


async def require(ctx: AppContext, caller: Caller, capability: Capability) -> None:
    if not caller.principal.has(capability):
        raise await deny(ctx, caller, capability.value)
