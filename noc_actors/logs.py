"""Logging that never carries PII or tokens (SPEC section 10).

``RedactingFilter`` rewrites every record passing a handler: API tokens
(``noc_...``), bearer credentials, e-mail addresses and phone numbers become
``[redacted]``, in tracebacks and stacks too. ``install_redaction()`` puts it
on the root logger's handlers; each actor and the Serve app call it at start."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"\bnoc_[A-Za-z0-9_\-]{16,}"),  # our API tokens
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]+=*"),  # Authorization headers
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),  # e-mail addresses
    re.compile(r"(?<![\w.])\+?\d[\d ()\-]{6,}\d(?![\w.])"),  # phone numbers
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacted, and drops its args; a
    traceback or stack it carries is formatted here and redacted too (and
    the raw exception dropped, so no formatter can print it in clear)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (root by default), once."""
    target = logger or logging.getLogger()
    if not target.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
