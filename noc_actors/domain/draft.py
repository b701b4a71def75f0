"""What rules and integrations hand to the alert book: drafts of alerts to
raise, and requests to resolve alerts whose condition is fixed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.dedup import dedup_key
from noc_actors.domain.enums import Severity


@dataclass(slots=True, frozen=True)
class AlertDraft:
    """An alert someone wants raised. ``severity`` None means the tenant's
    default for the type; ``dedup_key`` None means the stable hash of
    (alert_type, site — or the client when there is no site —, entity_type,
    entity_id)."""

    tenant_id: str
    client_id: str
    alert_type: str
    message: str
    severity: Severity | None = None
    site_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None
    source: str = "platform"
    observed_at: datetime | None = None

    def key(self) -> str:
        if self.dedup_key:
            return self.dedup_key
        return dedup_key(
            self.alert_type, self.site_id, self.entity_type, self.entity_id, self.client_id
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its constructor's arguments: drafts cross a process
        boundary by the thousand (gateway → host), and the slots dataclass's
        own state functions look up ``fields()`` for every one."""
        return (AlertDraft, (
            self.tenant_id, self.client_id, self.alert_type, self.message, self.severity,
            self.site_id, self.entity_type, self.entity_id, self.metadata, self.dedup_key,
            self.source, self.observed_at,
        ))  # fmt: skip


@dataclass(slots=True, frozen=True)
class AutoResolve:
    """The condition behind alerts of ``alert_type`` about this entity is gone
    (ticket closed, work order completed, device online): resolve them."""

    alert_type: str
    entity_type: str
    entity_id: str
    reason: str


@dataclass(slots=True)
class RuleOutput:
    """What one rule evaluation produced."""

    drafts: list[AlertDraft] = field(default_factory=list)
    resolves: list[AutoResolve] = field(default_factory=list)

    def extend(self, other: RuleOutput) -> None:
        self.drafts.extend(other.drafts)
        self.resolves.extend(other.resolves)


def draft_of(alert: Alert) -> AlertDraft:
    """A draft raising ``alert`` again under its dedup key (a target of an
    inhibition whose source closed while it still fires)."""
    return AlertDraft(
        alert.tenant_id,
        alert.client_id,
        alert.alert_type,
        alert.message,
        severity=alert.severity,
        site_id=alert.site_id,
        entity_type=alert.entity_type,
        entity_id=alert.entity_id,
        metadata=dict(alert.metadata),
        dedup_key=alert.dedup_key,
        source=alert.source,
    )
