"""PagerDuty Events API v2 (``POST /v2/enqueue``) translated into alert
drafts. Pure: times come in as ``now``.

=============  ===============================================================
Alert field    Taken from
=============  ===============================================================
client         ``payload.custom_details.client_id``, else ``.client`` (a
               reference: id or name). The top-level ``client`` is PagerDuty's
               name of the monitoring tool, not a NOC client.
site           ``payload.custom_details.site_id``, else ``.site``
severity       ``payload.severity``: critical -> CRITICAL, error -> HIGH,
               warning -> MEDIUM, info -> INFO
alert_type     ``payload.class`` (first 64 characters), else PagerDutyEvent
message        ``payload.summary``
entity         (``source``, ``payload.source``)
dedup_key      ``pd:<client id>:<dedup_key>`` (the event's key, or one the
               caller generated for a trigger without one)
metadata       pd_dedup_key, component, group, class, custom_details, client,
               client_url, links, images (absent ones left out)
=============  ===============================================================

``trigger`` needs ``payload``; ``acknowledge`` and ``resolve`` need only
``routing_key``, ``event_action`` and ``dedup_key``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from noc_actors.domain.dedup import external_dedup_key
from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import _aware_utc
from noc_actors.domain.iso_time import iso_only
from noc_actors.domain.limits import MAX_FUTURE
from noc_actors.domain.schema_rules import require_when, rules

SOURCE = "pagerduty"
DEFAULT_ALERT_TYPE = "PagerDutyEvent"
ALERT_TYPE_MAX = 64
DEDUP_KEY_MAX = 255
CUSTOM_DETAILS_MAX_BYTES = 16_384
MAX_LINKS = 50

SEVERITY: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "info": Severity.INFO,
}


def _utc(value: datetime) -> datetime:
    try:
        return _aware_utc(value)
    except OverflowError:
        raise ValueError("datetime is out of range") from None


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Text255 = Annotated[str, StringConstraints(max_length=255)]
Text1024 = Annotated[str, StringConstraints(max_length=1024)]
Url = Annotated[str, StringConstraints(max_length=2048)]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Source = Annotated[str, StringConstraints(min_length=1, max_length=255)]
RoutingKey = Annotated[str, StringConstraints(min_length=1, max_length=256)]
DedupKey = Annotated[str, StringConstraints(min_length=1, max_length=DEDUP_KEY_MAX)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PdLink(_Strict):
    href: Url
    text: Text1024 | None = None


class PdImage(_Strict):
    src: Url
    href: Url | None = None
    alt: Text1024 | None = None


class PdPayload(_Strict):
    """What happened: the ``payload`` of a trigger."""

    summary: Summary
    source: Source
    severity: Annotated[Literal["critical", "error", "warning", "info"], BeforeValidator(_lower)]
    timestamp: Annotated[datetime, BeforeValidator(iso_only), AfterValidator(_utc)] | None = None
    component: Text255 | None = None
    group: Text255 | None = None
    class_: Text255 | None = Field(default=None, alias="class")
    custom_details: dict[str, Any] | None = None

    @field_validator("custom_details")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            size = len(json.dumps(value, default=str))
            if size > CUSTOM_DETAILS_MAX_BYTES:
                raise ValueError(f"is {size} bytes as JSON; at most {CUSTOM_DETAILS_MAX_BYTES}")
        return value

    def detail(self, *names: str) -> str | None:
        """The first non-empty string among ``custom_details[name]``."""
        for name in names:
            value = (self.custom_details or {}).get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None


class PdEvent(_Strict):
    """One Events API v2 event. Unknown fields are refused."""

    model_config = ConfigDict(
        json_schema_extra=rules(
            require_when("event_action", ["acknowledge", "resolve"], ["dedup_key"]),
            require_when("event_action", ["trigger"], ["payload"]),
        )
    )

    routing_key: RoutingKey
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: DedupKey | None = Field(default=None, validate_default=True)
    payload: PdPayload | None = Field(default=None, validate_default=True)
    client: Text1024 | None = None
    client_url: Url | None = None
    links: Annotated[list[PdLink], Field(max_length=MAX_LINKS)] | None = None
    images: Annotated[list[PdImage], Field(max_length=MAX_LINKS)] | None = None

    @field_validator("dedup_key")
    @classmethod
    def _key_unless_trigger(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("event_action")
        if value is None and action in ("acknowledge", "resolve"):
            raise ValueError(f"dedup_key is required for {action}")
        return value

    @field_validator("payload")
    @classmethod
    def _payload_for_trigger(cls, value: PdPayload | None, info: ValidationInfo) -> Any:
        if value is None and info.data.get("event_action") == "trigger":
            raise ValueError("payload is required for trigger")
        return value

    def client_ref(self) -> str | None:
        """The NOC client named in ``payload.custom_details`` (id or name)."""
        return self.payload.detail("client_id", "client") if self.payload else None

    def site_ref(self) -> str | None:
        return self.payload.detail("site_id", "site") if self.payload else None

    def draft(
        self,
        tenant_id: str,
        client_id: str,
        site_id: str | None,
        dedup_key: str,
        now: datetime,
    ) -> AlertDraft:
        """The alert a trigger raises; ``dedup_key`` is the event's own key or
        the one the caller generated."""
        p = self.payload
        if p is None:
            raise InvalidInput("payload", "payload is required for trigger")
        if p.timestamp is not None and p.timestamp > now + MAX_FUTURE:
            raise InvalidInput("payload.timestamp", "is more than 1 hour in the future")
        extra = {
            "component": p.component,
            "group": p.group,
            "class": p.class_,
            "custom_details": p.custom_details,
            "client": self.client,
            "client_url": self.client_url,
            "links": [x.model_dump(exclude_none=True) for x in self.links or ()] or None,
            "images": [x.model_dump(exclude_none=True) for x in self.images or ()] or None,
        }
        metadata = {"pd_dedup_key": dedup_key} | {k: v for k, v in extra.items() if v is not None}
        return AlertDraft(
            tenant_id=tenant_id,
            client_id=client_id,
            alert_type=(p.class_ or DEFAULT_ALERT_TYPE)[:ALERT_TYPE_MAX],
            message=p.summary,
            severity=SEVERITY[p.severity],
            site_id=site_id,
            entity_type="source",
            entity_id=p.source,
            metadata=metadata,
            dedup_key=pd_dedup_key(client_id, dedup_key),
            source=SOURCE,
            observed_at=p.timestamp if p.timestamp and p.timestamp <= now else None,
        )


def pd_dedup_key(client_id: str, key: str) -> str:
    """The NOC dedup key of a PagerDuty ``dedup_key`` of one client."""
    return external_dedup_key("pd", client_id, key)


def accepted_response(dedup_key: str) -> dict[str, str]:
    """The 202 body PagerDuty answers."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
