"""Bodies of the NOC's own ingest endpoints (``/api/noc/events``,
``POST /api/noc/alerts``), the ingest items they become, and their answer.
Unknown fields, wrong types, naive timestamps, oversized strings and batches
are refused with the item and field named."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from noc_actors.domain.dedup import external_dedup_key
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.events import AnyEvent, Id, PlatformEvent, UtcDatetime
from noc_actors.domain.limits import MAX_BATCH
from serve_app.errors import PartlyStored
from serve_app.ingest.pipeline import Binding, IngestItem
from serve_app.ingest.report import BatchReport, ItemKind

METADATA_MAX_BYTES = 16_384

AlertType = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventBatchIn(_Strict):
    """Up to 5,000 platform events (SPEC section 4); ``kind`` picks the model."""

    events: list[PlatformEvent] = Field(min_length=1, max_length=MAX_BATCH)


class AlertIn(_Strict):
    """One alert raised by an external source."""

    alert_type: AlertType
    message: str = Field(min_length=1, max_length=2000)
    client_id: Id
    severity: Severity | None = Field(
        default=None, description="Default: the tenant's severity for the alert type."
    )
    site_id: Id | None = None
    entity_type: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    entity_id: Id | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    dedup_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Repeats with the same key fold into one open alert. Default: a hash of "
        "(alert_type, site_id, entity_type, entity_id).",
    )
    observed_at: UtcDatetime | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("metadata")
    @classmethod
    def _small(cls, v: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(v, default=str))
        if size > METADATA_MAX_BYTES:
            raise ValueError(f"metadata is {size} bytes as JSON; at most {METADATA_MAX_BYTES}")
        return v


class AlertBatchIn(_Strict):
    alerts: list[AlertIn] = Field(min_length=1, max_length=MAX_BATCH)


OBSERVED: dict[str, tuple[str, ...]] = {
    "ticket": ("created_at",),
    "work_order": (),
    "device": ("last_seen",),
    "attendance": ("punch_in", "punch_out"),
    "heartbeat": (),
}
"""Times of an event that say when something happened (a future one is a bad clock)."""


def event_items(body: EventBatchIn) -> list[IngestItem]:
    """Each platform event as an ingest item (its client named by id or name)."""

    def bind(event: AnyEvent) -> Callable[[Binding], AnyEvent]:
        def bound(b: Binding) -> AnyEvent:
            if b.client_id == event.client_id:
                return event
            return event.model_copy(update={"client_id": b.client_id})

        return bound

    return [
        IngestItem(
            index=i,
            kind=ItemKind.EVENT,
            bind=bind(ev),
            client_ref=ev.client_id,
            site_ref=ev.site_id,
            array="events",
            times=tuple((n, getattr(ev, n)) for n in OBSERVED[ev.kind]),
        )
        for i, ev in enumerate(body.events)
    ]


def alert_draft(a: AlertIn, b: Binding) -> AlertDraft:
    """The draft of one posted alert; its own ``dedup_key`` is namespaced by
    source and client."""
    return AlertDraft(
        tenant_id=b.tenant_id,
        client_id=b.client_id,
        alert_type=a.alert_type,
        message=a.message,
        severity=a.severity,
        site_id=b.site_id,
        entity_type=a.entity_type,
        entity_id=a.entity_id,
        metadata=a.metadata,
        dedup_key=external_dedup_key("api", b.client_id, a.dedup_key) if a.dedup_key else None,
        source="api",
        observed_at=a.observed_at,
    )


def alert_items(body: AlertBatchIn) -> list[IngestItem]:
    return [
        IngestItem(
            index=i,
            kind=ItemKind.ALERT,
            bind=partial(alert_draft, a),
            client_ref=a.client_id,
            site_ref=a.site_id,
            array="alerts",
            times=(("observed_at", a.observed_at),),
        )
        for i, a in enumerate(body.alerts)
    ]


class ItemOut(BaseModel):
    index: int
    status: str = Field(description="created, folded, suppressed, accepted or rejected")
    alert_id: str | None = None
    dedup_key: str | None = None
    reason: str | None = None
    retry: bool | None = Field(
        default=None, description="True when the item was not stored and a retry may succeed."
    )


class IngestOut(BaseModel):
    """What happened to each item; totals of the alerts created, folded
    (repeats), suppressed (maintenance or backpressure) and resolved."""

    accepted: int
    rejected: int
    created: int
    folded: int
    suppressed: int
    resolved: int
    items: list[ItemOut]
    replayed: bool = Field(
        default=False,
        description="True when this answer is the stored one of a batch already applied "
        "with the same Idempotency-Key (nothing was applied again).",
    )
    alerts: list[ItemOut] = Field(
        default_factory=list, description="Events only: the alerts the rules raised."
    )


def ingest_answer(report: BatchReport) -> dict[str, Any]:
    """The JSON of ``IngestOut`` for a report (built directly: a batch may
    hold 5,000 items). Raises ``PartlyStored`` (503 + Retry-After, the body
    under ``result``) when some clients' items could not be stored."""
    body = _body(report)
    if report.unavailable:
        raise PartlyStored(report.unavailable, body)
    return body


def _body(report: BatchReport) -> dict[str, Any]:
    return {
        "accepted": report.accepted,
        "rejected": report.rejected,
        "created": report.created,
        "folded": report.folded,
        "suppressed": report.suppressed,
        "resolved": report.resolved,
        "items": [r.to_json() for r in report.items],
        "replayed": report.replayed,
        "alerts": [r.to_json() for r in report.raised],
    }
