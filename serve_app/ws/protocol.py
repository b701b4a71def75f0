"""The wire protocol of ``/ws/noc/dashboard``: client messages (validated,
unknown fields refused), the server messages built here, close codes, and
``error`` frames (their codes come from the one error table,
``serve_app.errors``).

Every client message may carry an ``id`` (string or integer); the reply to
it echoes that ``id``. Server pushes of hub events carry the tenant's
``seq``."""

from __future__ import annotations

import json
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from serve_app.errors import BadMessage as BadMessage  # raised by ``parse``
from serve_app.errors import answer_for, message_for

# --- close codes ----------------------------------------------------------------

CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_INTERNAL: Final = 1011
CLOSE_TRY_AGAIN: Final = 1013
"""The socket fell too far behind (send queue full, or its heartbeat
``last_seq`` lags too much); reconnect with ``resume_from``."""
CLOSE_BAD_REQUEST: Final = 4400
CLOSE_UNAUTHENTICATED: Final = 4401
CLOSE_FORBIDDEN: Final = 4403
CLOSE_TIMEOUT: Final = 4408
CLOSE_TOO_MANY: Final = 4429
"""No ``auth`` message in time, or no client message for the idle timeout."""

MAX_MESSAGE_CHARS: Final = 16_384

MessageId = Annotated[str, Field(max_length=64)] | int


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: MessageId | None = None


class Auth(_Message):
    """First message of a browser (which cannot set headers)."""

    type: Literal["auth"]
    token: Annotated[str, Field(min_length=1, max_length=512)]
    resume_from: Annotated[int, Field(ge=0)] | None = None


class Resume(_Message):
    """Replay what was missed after ``after_seq`` (send it first)."""

    type: Literal["resume"]
    after_seq: Annotated[int, Field(ge=0)]


class SubscribeClient(_Message):
    type: Literal["subscribe_client"]
    client_id: Annotated[str, Field(min_length=1, max_length=128)]


class UnsubscribeClient(_Message):
    type: Literal["unsubscribe_client"]
    client_id: Annotated[str, Field(min_length=1, max_length=128)]


class AcknowledgeAlert(_Message):
    type: Literal["acknowledge_alert"]
    alert_id: Annotated[str, Field(min_length=1, max_length=128)]
    notes: Annotated[str, Field(max_length=2000)] | None = None


class RequestMetrics(_Message):
    type: Literal["request_metrics"]
    client_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class Heartbeat(_Message):
    """Keeps the socket alive; ``last_seq`` (the highest ``seq`` the client
    has processed) lets the server drop a client that lags too far behind."""

    type: Literal["heartbeat"]
    last_seq: Annotated[int, Field(ge=0)] | None = None


ClientMessage = (
    Auth
    | Resume
    | SubscribeClient
    | UnsubscribeClient
    | AcknowledgeAlert
    | RequestMetrics
    | Heartbeat
)
_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(
    Annotated[ClientMessage, Field(discriminator="type")]
)


def parse(text: str) -> ClientMessage:
    """One client frame as a message, or ``BadMessage`` naming the field."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadMessage(f"message longer than {MAX_MESSAGE_CHARS} characters")
    try:
        return _ADAPTER.validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()) if p not in _MODEL_TAGS) or "message"
        raise BadMessage(f"{loc}: {first.get('msg', 'invalid')}", peek_id(text)) from None


_MODEL_TAGS = frozenset(
    {"auth", "resume", "subscribe_client", "unsubscribe_client", "acknowledge_alert"}
    | {"request_metrics", "heartbeat"}
)


def peek_id(text: str) -> Any:
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    mid = raw.get("id") if isinstance(raw, dict) else None
    return mid if isinstance(mid, int | str) and len(str(mid)) <= 64 else None


# --- server messages ----------------------------------------------------------


def reply(kind: str, message_id: Any = None, **fields: Any) -> dict[str, Any]:
    """A server message; ``id`` only when the request carried one."""
    msg: dict[str, Any] = {"type": kind, **fields}
    if message_id is not None:
        msg["id"] = message_id
    return msg


def error(
    code: str, message: str, correlation_id: str, message_id: Any = None, **extra: Any
) -> dict[str, Any]:
    return reply(
        "error", message_id, code=code, message=message, correlation_id=correlation_id, **extra
    )


def error_frame(
    exc: BaseException, correlation_id: str, message_id: Any = None, **extra: Any
) -> dict[str, Any]:
    """The ``error`` frame of an exception: code and message from the one
    error table (``serve_app.errors``), like the HTTP answer."""
    return error(answer_for(exc).code, message_for(exc), correlation_id, message_id, **extra)
