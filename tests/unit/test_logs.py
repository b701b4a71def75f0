"""SPEC 10: logs never carry PII or tokens."""

from __future__ import annotations

import io
import logging

import pytest

from noc_actors.logs import REDACTED, RedactingFilter, redact


@pytest.mark.parametrize(
    "secret",
    [
        "noc_N389sdIoTmwzGlSvnwHgSGo_DfBPNkYzZMh3Cw3UOSQ",
        "Bearer abc.def-ghi",
        "jane.roe@example.com",
        "+61 2 5550 1234",
        "(555) 123-4567",
    ],
)
def test_tokens_emails_and_phone_numbers_are_redacted(secret: str) -> None:
    out = redact(f"user said {secret} today")
    assert secret not in out and REDACTED in out


def test_ordinary_ids_times_and_counts_survive() -> None:
    text = "alert a1b2 level 3 at 2026-11-26T10:00:00+00:00 took 12.5 s, 1000 alerts"
    assert redact(text) == text


def test_the_filter_redacts_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("noc.test.redaction")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO):
        log.info("token %s issued to %s", "noc_ABCDEFGHIJKLMNOPQRSTUV", "ada@acme.test")
    assert "ABCDEFGHIJ" not in caplog.text and "ada@acme.test" not in caplog.text
    assert caplog.text.count(REDACTED) == 2


def test_tracebacks_and_stacks_are_redacted_too() -> None:
    """Issue 11 item 10: the traceback of a logged exception (its message
    carries what the failing code held) went out in clear."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("noc.test.traceback")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError("bad row for ada@acme.test, token noc_ABCDEFGHIJKLMNOPQRSTUV")
        except ValueError:
            log.exception("write failed for %s", "+61 2 5550 1234")
        log.warning("here", stack_info=True, extra={})
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback (most recent call last)" in text and "ValueError" in text
    assert "ada@acme.test" not in text and "ABCDEFGHIJ" not in text
    assert "5550 1234" not in text and text.count(REDACTED) >= 3
