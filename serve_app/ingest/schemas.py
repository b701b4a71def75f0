"""Bodies of the NOC's own ingest endpoints (``/api/noc/events``,
``POST /api/noc/alerts``). Unknown fields, wrong types, naive timestamps,
oversized strings and batches are refused with the item and field named."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from noc_actors.domain.enums import Severity
from noc_actors.domain.events import Id, PlatformEvent, UtcDatetime
from serve_app.ingest.service import MAX_BATCH

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
