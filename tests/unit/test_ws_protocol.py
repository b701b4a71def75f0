"""The dashboard socket's wire protocol: messages are validated strictly,
errors name the field and echo the request id, exceptions map to error codes
in one place."""

from __future__ import annotations

import json

import pytest

from noc_actors.domain.errors import InvalidTransition, NotFound, PermissionDenied
from serve_app.ws import protocol as p


def test_every_client_message_parses_with_its_id() -> None:
    cases = {
        '{"type": "auth", "token": "t", "resume_from": 7}': p.Auth,
        '{"type": "resume", "after_seq": 3, "id": "r1"}': p.Resume,
        '{"type": "subscribe_client", "client_id": "c1", "id": 1}': p.SubscribeClient,
        '{"type": "unsubscribe_client", "client_id": "c1"}': p.UnsubscribeClient,
        '{"type": "acknowledge_alert", "alert_id": "a1", "notes": "on it"}': p.AcknowledgeAlert,
        '{"type": "request_metrics"}': p.RequestMetrics,
        '{"type": "heartbeat", "last_seq": 12, "id": "h"}': p.Heartbeat,
    }
    for text, kind in cases.items():
        msg = p.parse(text)
        assert isinstance(msg, kind)
        assert msg.id == json.loads(text).get("id")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"type": "heartbeat", "extra": 1, "id": "x"}', "extra"),
        ('{"type": "acknowledge_alert", "id": "x"}', "alert_id"),
        ('{"type": "resume", "after_seq": -1, "id": "x"}', "after_seq"),
        ('{"type": "dance", "id": "x"}', "dance"),
        ('{"id": "x"}', "type"),
    ],
)
def test_bad_messages_name_the_field_and_keep_the_id(text: str, needle: str) -> None:
    with pytest.raises(p.BadMessage) as err:
        p.parse(text)
    assert needle in err.value.message
    assert err.value.message_id == "x"


def test_malformed_and_oversized_frames_are_refused() -> None:
    for text in ("not json", "[1, 2]", '"heartbeat"'):
        with pytest.raises(p.BadMessage):
            p.parse(text)
    with pytest.raises(p.BadMessage, match="longer than"):
        p.parse('{"type": "heartbeat", "id": "' + "x" * p.MAX_MESSAGE_CHARS + '"}')


def test_replies_echo_the_id_only_when_given() -> None:
    assert p.reply("heartbeat_ack", None, seq=3) == {"type": "heartbeat_ack", "seq": 3}
    assert p.reply("heartbeat_ack", 9)["id"] == 9
    err = p.error("forbidden", "no", "cid-1", "m1")
    assert err == {
        "type": "error",
        "code": "forbidden",
        "message": "no",
        "correlation_id": "cid-1",
        "id": "m1",
    }


def test_exceptions_map_to_error_codes() -> None:
    def code_of(exc: Exception) -> str:
        return str(p.error_frame(exc, "cid-1")["code"])

    assert code_of(InvalidTransition("a1", "RESOLVED", "acknowledge")) == "invalid_transition"
    assert code_of(NotFound("alert", "a1")) == "not_found"
    assert code_of(PermissionDenied("noc:ack_alerts")) == "forbidden"
    assert code_of(p.BadMessage("x")) == "invalid_message"
    frame = p.error_frame(RuntimeError("secret detail"), "cid-1", "m1", request="heartbeat")
    code, message = frame["code"], frame["message"]
    assert code == "internal_error" and "secret" not in message
    assert (frame["id"], frame["request"], frame["correlation_id"]) == ("m1", "heartbeat", "cid-1")
