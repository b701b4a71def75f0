"""Alertmanager's wire formats as pydantic models: the alerts of
``POST /api/v2/alerts`` (API v2) and the webhook notification (payload
version 4), with the size limits the NOC enforces. Pure: validation only;
mapping to alerts is in ``alertmanager``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from noc_actors.domain.events import _aware_utc
from noc_actors.domain.limits import MAX_BATCH
from noc_actors.domain.schema_rules import integral

__all__ = ["PostableAlert", "WebhookAlert", "WebhookPayload", "parse_postable"]

MAX_LABELS = 64
LABEL_NAME_MAX = 256
LABEL_VALUE_MAX = 1024
ANNOTATION_VALUE_MAX = 8192
GENERATOR_URL_MAX = 2048
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def _am_time(value: datetime | None) -> datetime | None:
    """Aware UTC; the Go zero time means "not set"."""
    if value is None:
        return None
    try:
        utc = _aware_utc(value)
    except OverflowError:
        raise ValueError("datetime is out of range") from None
    return None if utc == GO_ZERO_TIME else utc


AmTime = Annotated[datetime | None, AfterValidator(_am_time)]
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
LabelName = Annotated[str, StringConstraints(pattern=LABEL_NAME, max_length=LABEL_NAME_MAX)]
_NAMES = {"pattern": LABEL_NAME, "maxLength": LABEL_NAME_MAX}
"""Every key a label name, in the schema (pydantic says it for matching keys only)."""
_LABEL_VALUES = dict[LabelName, Annotated[str, StringConstraints(max_length=LABEL_VALUE_MAX)]]
LabelSet = Annotated[
    _LABEL_VALUES, Field(max_length=MAX_LABELS, json_schema_extra={"propertyNames": _NAMES})
]
"""Group and common labels: may be empty."""
Labels = Annotated[
    _LABEL_VALUES,
    Field(
        max_length=MAX_LABELS,
        # _labels_present, said in the schema: not every value empty (nor none at all)
        json_schema_extra={
            "propertyNames": _NAMES,
            "not": {"additionalProperties": {"maxLength": 0}},
        },
    ),
]
"""An alert's labels (``_labels_present``)."""
Annotations = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(max_length=ANNOTATION_VALUE_MAX)]],
    Field(max_length=MAX_LABELS, json_schema_extra={"propertyNames": _NAMES}),
]
GeneratorUrl = Annotated[str, StringConstraints(max_length=GENERATOR_URL_MAX)]


def _labels_present(value: dict[str, str]) -> dict[str, str]:
    present = {k: v for k, v in value.items() if v != ""}
    if not present:
        raise ValueError("at least one label with a non-empty value is required")
    return present


def _not_before_start(value: datetime | None, info: ValidationInfo) -> datetime | None:
    start = info.data.get("startsAt")
    if value is not None and start is not None and value < start:
        raise ValueError("endsAt must not be before startsAt")
    return value


class PostableAlert(BaseModel):
    """One alert of ``POST /api/v2/alerts``; only ``labels`` is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: Labels
    annotations: Annotations = Field(default_factory=dict)
    startsAt: AmTime = None
    endsAt: AmTime = None
    generatorURL: GeneratorUrl | None = None

    _labels = field_validator("labels")(_labels_present)
    _ends = field_validator("endsAt")(_not_before_start)


POSTABLE_BATCH_ADAPTER: TypeAdapter[list[PostableAlert]] = TypeAdapter(
    Annotated[list[PostableAlert], Field(max_length=MAX_BATCH)]
)


def parse_postable(data: Any) -> list[PostableAlert]:
    """Validate a ``POST /api/v2/alerts`` body (a JSON array, at most 5,000)."""
    return POSTABLE_BATCH_ADAPTER.validate_python(data)


class WebhookAlert(BaseModel):
    """One alert of a webhook notification. Unknown fields are ignored, so a
    newer Alertmanager that adds fields keeps working."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Annotations = Field(default_factory=dict)
    startsAt: AmTime = None
    endsAt: AmTime = None
    generatorURL: GeneratorUrl | None = None
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,32}$")] | None = None

    _labels = field_validator("labels")(_labels_present)


class WebhookPayload(BaseModel):
    """A webhook notification, payload version "4" (any other version is
    refused). Unknown fields are ignored for forward compatibility."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    alerts: Annotated[list[WebhookAlert], Field(max_length=MAX_BATCH)]
    groupKey: Annotated[str, StringConstraints(max_length=16384)] = ""
    truncatedAlerts: Annotated[int, Field(ge=0), Strict(), BeforeValidator(integral)] = 0
    receiver: Annotated[str, StringConstraints(max_length=1024)] = ""
    groupLabels: LabelSet = Field(default_factory=dict)
    commonLabels: LabelSet = Field(default_factory=dict)
    commonAnnotations: Annotations = Field(default_factory=dict)
    externalURL: GeneratorUrl = ""
