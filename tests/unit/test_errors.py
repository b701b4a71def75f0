"""The one error table: every answer (HTTP status, code, Retry-After) comes
from it, looked up by class hierarchy, for HTTP and the socket alike."""

from __future__ import annotations

from noc_actors.domain.errors import (
    BatchTooLarge,
    Conflict,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Overloaded,
    PermissionDenied,
    Unavailable,
)
from serve_app.errors import (
    ERRORS,
    INTERNAL,
    INTERNAL_MESSAGE,
    BadMessage,
    PartlyStored,
    Unauthenticated,
    answer_for,
    message_for,
)
from serve_app.ws import protocol as p


def test_each_error_has_its_status_and_code() -> None:
    cases = [
        (InvalidInput("alerts.0.client_id", "unknown client 'x'", 0), 422, "invalid_input"),
        (BadMessage("type: required"), 400, "invalid_message"),
        (Unauthenticated("missing bearer token"), 401, "unauthenticated"),
        (PermissionDenied("noc:ack_alerts"), 403, "forbidden"),
        (NotFound("alert", "a1"), 404, "not_found"),
        (InvalidTransition("a1", "RESOLVED", "acknowledge"), 409, "invalid_transition"),
        (Conflict("email: taken"), 409, "conflict"),
        (BatchTooLarge(30_000, 20_000), 413, "batch_too_large"),
        (Unavailable("noc:aggregator:mall"), 503, "unavailable"),
        (Overloaded("ingest queue full"), 503, "overloaded"),
    ]
    for exc, status, code in cases:
        answer = answer_for(exc)
        assert (answer.status, answer.code) == (status, code), exc


def test_temporary_errors_say_when_to_retry_and_401_names_the_scheme() -> None:
    assert answer_for(Overloaded("full")).headers() == {"Retry-After": "5"}
    assert answer_for(Unavailable("hub")).headers() == {"Retry-After": "2"}
    assert answer_for(Unauthenticated("no")).headers() == {"WWW-Authenticate": "Bearer"}
    assert answer_for(NotFound("alert", "a1")).headers() == {}


def test_a_subclass_is_answered_like_its_nearest_listed_ancestor() -> None:
    stored = PartlyStored(["port", "mall"], {"items": []})
    assert answer_for(stored) is ERRORS[Unavailable]
    assert message_for(stored).startswith("aggregators unavailable for clients mall, port:")

    class ShelfExpired(InvalidTransition):
        pass

    assert answer_for(ShelfExpired("a1", "NEW", "unshelve")) is ERRORS[InvalidTransition]


def test_an_unexpected_error_is_500_and_its_message_reveals_nothing() -> None:
    for exc in (RuntimeError("password=hunter2"), DomainError("internal detail")):
        assert answer_for(exc) is INTERNAL and message_for(exc) == INTERNAL_MESSAGE


def test_the_socket_error_frame_uses_the_same_table() -> None:
    for exc in (NotFound("alert", "a1"), Overloaded("full"), BadMessage("bad", "m1")):
        frame = p.error_frame(exc, "cid")
        assert frame["code"] == answer_for(exc).code
        assert frame["message"] == message_for(exc)
