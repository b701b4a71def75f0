"""What a committed change asks to be told: an escalation to a level, or the
resolution of an alert that was escalated (its contacts hear it is over).

A notice is keyed ``(alert_id, kind, level)``; the store writes it in the
transaction that stores the change, and the database refuses a second one
with the same key, so a replayed escalation or a second replica never makes
a second notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from noc_actors.domain.changes import Changes
from noc_actors.domain.enums import AlertStatus, AuditAction

NoticeKind = Literal["escalation", "resolved"]


@dataclass(frozen=True, slots=True)
class Notice:
    tenant_id: str
    client_id: str
    alert_id: str
    kind: NoticeKind
    level: int
    """The escalation level notified; for ``resolved``, 0."""
    target: str | None
    """The escalation target (a user id or ``tenant_admins``); None for ``resolved``."""
    severity: str
    at: datetime


def notices_of(changes: Changes, now: datetime) -> list[Notice]:
    """The notices ``changes`` call for, in order: one per escalation it
    records (timer or operator), one per escalated alert it resolves."""
    out: list[Notice] = []
    for entry in changes.audit:
        if entry.action != AuditAction.ESCALATE or entry.entity_id is None:
            continue
        alert = changes.updated.get(entry.entity_id)
        if alert is None:
            continue
        level = entry.metadata.get("level")
        out.append(
            Notice(
                alert.tenant_id,
                alert.client_id,
                alert.id,
                "escalation",
                int(level) if isinstance(level, int) else alert.escalation_level,
                str(entry.metadata.get("target") or alert.escalated_to or "tenant_admins"),
                alert.severity.value,
                now,
            )
        )
    for alert in changes.updated.values():
        if alert.status == AlertStatus.RESOLVED and alert.escalation_level > 0:
            out.append(
                Notice(
                    alert.tenant_id,
                    alert.client_id,
                    alert.id,
                    "resolved",
                    0,
                    None,
                    alert.severity.value,
                    now,
                )
            )
    return out
