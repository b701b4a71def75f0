"""The one error table (STYLE 8): which answer each exception gets, over HTTP
(``serve_app.http_errors``) and on the dashboard socket
(``serve_app.ws.protocol.error``) alike.

``ERRORS`` maps an exception class to its status, machine code and
Retry-After; ``answer_for`` looks an exception up by its class hierarchy
(the nearest listed ancestor wins, as Starlette's exception handlers do), and
anything not listed is a 500 ``internal_error`` whose message reveals
nothing. Pure: no web framework is imported here, so the socket protocol and
the unit tier use the same table.

Besides the domain errors (``noc_actors.domain.errors``) two errors belong to
the edge and live here: ``Unauthenticated`` (401) and ``BadMessage`` (a
socket frame that is not a valid message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from noc_actors.domain.errors import (
    BatchTooLarge,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Overloaded,
    PermissionDenied,
    StorageUnavailable,
    Unavailable,
)

INTERNAL_MESSAGE: Final = "internal error; quote the correlation id when reporting it"


class Unauthenticated(Exception):
    """No bearer token, or one that is invalid, expired or revoked (401; no
    audit row: no tenant is known)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class BadMessage(Exception):
    """A client frame that is not a valid message; ``message_id`` is its
    ``id`` when one could be read, so the error can echo it."""

    def __init__(self, message: str, message_id: Any = None) -> None:
        self.message = message
        self.message_id = message_id
        super().__init__(message)


class PartlyStored(Unavailable):
    """Some clients' aggregators were unavailable: their items were not
    stored (retry them), the others were. ``result`` is the per-item answer
    the error body carries."""

    def __init__(self, client_ids: list[str], result: dict[str, Any]) -> None:
        self.client_ids = client_ids
        self.result = result
        self.actor = "aggregators"
        self.detail = f"clients {', '.join(sorted(client_ids))}"
        Exception.__init__(
            self,
            f"aggregators unavailable for clients {', '.join(sorted(client_ids))}: "
            "their items were not stored (retry them); the others were",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.client_ids, self.result))


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """How one kind of error is answered."""

    status: int
    code: str
    retry_after_s: int | None = None
    """Sent as ``Retry-After``: the error is temporary and a retry may succeed."""

    def headers(self) -> dict[str, str]:
        out = {"Retry-After": str(self.retry_after_s)} if self.retry_after_s else {}
        if self.status == 401:
            out["WWW-Authenticate"] = "Bearer"
        return out


ERRORS: Final[dict[type[Exception], ErrorAnswer]] = {
    InvalidInput: ErrorAnswer(422, "invalid_input"),
    BadMessage: ErrorAnswer(400, "invalid_message"),
    Unauthenticated: ErrorAnswer(401, "unauthenticated"),
    PermissionDenied: ErrorAnswer(403, "forbidden"),
    NotFound: ErrorAnswer(404, "not_found"),
    InvalidTransition: ErrorAnswer(409, "invalid_transition"),
    Conflict: ErrorAnswer(409, "conflict"),
    BatchTooLarge: ErrorAnswer(413, "batch_too_large"),
    Unavailable: ErrorAnswer(503, "unavailable", retry_after_s=2),
    StorageUnavailable: ErrorAnswer(503, "database_unavailable", retry_after_s=5),
    Overloaded: ErrorAnswer(503, "overloaded", retry_after_s=5),
}
INTERNAL: Final = ErrorAnswer(500, "internal_error")


def answer_for(exc: BaseException) -> ErrorAnswer:
    """The answer of ``exc``: its class's, or its nearest listed ancestor's."""
    for cls in type(exc).__mro__:
        answer = ERRORS.get(cls)
        if answer is not None:
            return answer
    return INTERNAL


def message_for(exc: BaseException) -> str:
    """What the client is told: the error's own words, or for an unexpected
    error a message that reveals nothing (the log has the details)."""
    if answer_for(exc) is INTERNAL:
        return INTERNAL_MESSAGE
    if isinstance(exc, BadMessage | Unauthenticated):
        return exc.message
    return str(exc)
