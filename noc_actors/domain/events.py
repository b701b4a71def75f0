"""Platform events (SPEC section 4): the four entity kinds the platform posts.

Each event is the latest full picture of one entity (a ticket, a work order,
a device, an attendance shift). A batch is ``list[PlatformEvent]``: the
``kind`` field picks the model. Every datetime must carry a timezone and is
normalised to UTC; naive datetimes are rejected.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from noc_actors.domain.schema_rules import (
    NOT_BLANK,
    require,
    require_when_given,
    rules,
    together,
)

ID_MAX = 128
NAME_MAX = 200
TITLE_MAX = 500


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "datetime must include a timezone (e.g. '2026-11-26T10:00:00Z'); "
            "naive datetimes are rejected"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError as err:  # e.g. 0001-01-01T00:00:00+01:00
        raise ValueError("datetime is out of range once converted to UTC") from err


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


UtcDatetime = Annotated[datetime, AfterValidator(_aware_utc)]
Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=ID_MAX, pattern=NOT_BLANK),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NAME_MAX)]
Title = Annotated[str, StringConstraints(max_length=TITLE_MAX)]


class TicketPriority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class TicketStatus(StrEnum):
    NEW = "NEW"
    OPEN = "OPEN"
    ONHOLD = "ONHOLD"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class WorkOrderStatus(StrEnum):
    ASSIGNED = "ASSIGNED"
    RE_ASSIGNED = "RE_ASSIGNED"
    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"


class DeviceStatus(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


TICKET_OPEN_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.ONHOLD})
TICKET_CRITICAL_PRIORITIES = frozenset({TicketPriority.P1, TicketPriority.HIGH})
WORK_ORDER_DONE_STATUSES = frozenset(
    {WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED, WorkOrderStatus.CLOSED}
)

Priority = Annotated[TicketPriority, BeforeValidator(_upper)]
TStatus = Annotated[TicketStatus, BeforeValidator(_upper)]
WStatus = Annotated[WorkOrderStatus, BeforeValidator(_upper)]
DStatus = Annotated[DeviceStatus, BeforeValidator(_upper)]


class _Event(BaseModel):
    # ``kind`` has a default for code that builds events, yet picks the model
    # of a posted one (the discriminator), so a posted event must carry it
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=require("kind"))


class TicketEvent(_Event):
    """A help-desk ticket as the platform sees it now."""

    kind: Literal["ticket"] = "ticket"
    id: Id
    client_id: Id
    site_id: Id | None = None
    priority: Priority
    status: TStatus
    created_at: UtcDatetime
    assignee: Name | None = None
    escalation_level: int = Field(default=0, ge=0, le=100)
    title: Title | None = None

    @property
    def is_open(self) -> bool:
        return self.status in TICKET_OPEN_STATUSES


class WorkOrderEvent(_Event):
    """A work order: planned at ``planned_at``, due by ``expires_at``."""

    kind: Literal["work_order"] = "work_order"
    id: Id
    client_id: Id
    site_id: Id
    status: WStatus
    planned_at: UtcDatetime
    expires_at: UtcDatetime
    title: Title | None = None

    @model_validator(mode="after")
    def _expires_after_planned(self) -> WorkOrderEvent:
        if self.expires_at < self.planned_at:
            raise ValueError("expires_at must not be before planned_at")
        return self

    @property
    def is_done(self) -> bool:
        return self.status in WORK_ORDER_DONE_STATUSES


class DeviceEvent(_Event):
    """A field device and when it was last heard from."""

    kind: Literal["device"] = "device"
    id: Id
    client_id: Id
    site_id: Id
    status: DStatus
    last_seen: UtcDatetime
    name: Name | None = None


class AttendanceEvent(_Event):
    """One expected shift of one person (``id`` is the shift id) and its punches.

    ``gps_accuracy_m``, ``lat`` and ``lon`` describe the punch-in position."""

    model_config = ConfigDict(
        json_schema_extra=rules(
            require("kind"),
            together("lat", "lon"),
            require_when_given("punch_out", ["punch_in"]),
        )
    )

    kind: Literal["attendance"] = "attendance"
    id: Id
    person_id: Id
    person_name: Name | None = None
    client_id: Id
    site_id: Id
    shift_start: UtcDatetime
    shift_end: UtcDatetime
    punch_in: UtcDatetime | None = None
    punch_out: UtcDatetime | None = None
    gps_accuracy_m: float | None = Field(default=None, ge=0, le=1_000_000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _consistent(self) -> AttendanceEvent:
        if self.shift_end <= self.shift_start:
            raise ValueError("shift_end must be after shift_start")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.punch_out is not None:
            if self.punch_in is None:
                raise ValueError("punch_out requires punch_in")
            if self.punch_out < self.punch_in:
                raise ValueError("punch_out must not be before punch_in")
        return self


class HeartbeatEvent(_Event):
    """A source saying it is alive (Alerta's heartbeats): ``id`` names it
    within the client. Not renewed within ``timeout_s`` of the NOC receiving
    it, it raises HEARTBEAT_MISSED; the next one resolves that."""

    kind: Literal["heartbeat"] = "heartbeat"
    id: Id
    client_id: Id
    site_id: Id | None = None
    timeout_s: float = Field(default=60, ge=1, le=7 * 24 * 3600, allow_inf_nan=False)


AnyEvent = TicketEvent | WorkOrderEvent | DeviceEvent | AttendanceEvent | HeartbeatEvent
"""Any one of the event models (for signatures)."""

PlatformEvent = Annotated[AnyEvent, Field(discriminator="kind")]
"""One platform event; ``kind`` is one of ticket, work_order, device,
attendance, heartbeat."""

EVENT_ADAPTER: TypeAdapter[PlatformEvent] = TypeAdapter(PlatformEvent)
EVENT_BATCH_ADAPTER: TypeAdapter[list[PlatformEvent]] = TypeAdapter(list[PlatformEvent])


def parse_event(data: Any) -> AnyEvent:
    """Validate one event from Python data (a dict); raises pydantic.ValidationError."""
    return EVENT_ADAPTER.validate_python(data)


def parse_events(data: Any) -> list[AnyEvent]:
    """Validate a batch; errors name the item index and the field."""
    return EVENT_BATCH_ADAPTER.validate_python(data)
