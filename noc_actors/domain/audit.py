"""Audit entries (SPEC section 11): pure data the storage layer appends.

Rows are append-only; nothing here updates or deletes. ``metadata`` must never
carry tokens or secrets; put ids in it, not names (exports mask PII anyway).
``actor_id`` is ``SYSTEM_ACTOR`` for the NOC's own actions (timer escalations,
backpressure sweeps, correlation rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from noc_actors.domain.enums import AuditAction

SYSTEM_ACTOR: Final = "system"
MAX_USER_AGENT: Final = 512
MAX_ENTITY_ID: Final = 255
"""The ``audit_log.entity_id`` column: a longer id (a denied request's path)
is cut to fit, its full length kept in ``metadata["entity_id_length"]``, so
the row is always written."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One immutable audit row."""

    tenant_id: str
    actor_id: str
    action: AuditAction
    entity_type: str
    entity_id: str
    at: datetime
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)
    source_ip: str | None = None
    user_agent: str | None = None
    correlation_id: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("audit time must be timezone-aware")
        if not isinstance(self.action, AuditAction):
            object.__setattr__(self, "action", AuditAction(self.action))
        object.__setattr__(self, "metadata", dict(self.metadata))
        if len(self.entity_id) > MAX_ENTITY_ID:
            meta = {**self.metadata, "entity_id_length": len(self.entity_id)}
            object.__setattr__(self, "metadata", meta)
            object.__setattr__(self, "entity_id", self.entity_id[: MAX_ENTITY_ID - 1] + "…")
        if self.user_agent is not None and len(self.user_agent) > MAX_USER_AGENT:
            object.__setattr__(self, "user_agent", self.user_agent[:MAX_USER_AGENT])

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "actor_id": self.actor_id,
            "action": self.action.value,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "metadata": dict(self.metadata),
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "correlation_id": self.correlation_id,
            "at": self.at,
        }


def unauthorized(
    tenant_id: str,
    actor_id: str,
    capability: str,
    at: datetime,
    *,
    entity_type: str = "endpoint",
    entity_id: str = "",
    source_ip: str | None = None,
    user_agent: str | None = None,
    correlation_id: str | None = None,
) -> AuditEntry:
    """The UNAUTHORIZED_ACCESS row written for every denial (SPEC section 2)."""
    return AuditEntry(
        tenant_id=tenant_id,
        actor_id=actor_id,
        action=AuditAction.UNAUTHORIZED_ACCESS,
        entity_type=entity_type,
        entity_id=entity_id,
        at=at,
        metadata={"capability": capability},
        source_ip=source_ip,
        user_agent=user_agent,
        correlation_id=correlation_id,
    )
