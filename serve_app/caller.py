"""Who is calling: the authenticated principal of one request or socket,
where it came from, and its scope — built by ``serve_app.auth``, read by
routes, the ingest pipeline and the socket. Pure (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from noc_actors.domain.access import Principal, Scope
from noc_actors.domain.audit import AuditEntry
from noc_actors.domain.enums import AuditAction, Capability
from serve_app.directory import Directory


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
    expires_at: datetime | None = None
    """When the token expires (None: never)."""

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


def principal_of(record: dict[str, Any]) -> Principal:
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
