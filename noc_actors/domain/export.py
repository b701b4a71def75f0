"""CSV exports (SPEC section 9): rows of alerts, incidents or audit entries,
PII-masked unless the user may see PII. Pure: yields CSV text chunks so the
REST layer can stream them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from noc_actors.domain.masking import mask_unless

ALERT_COLUMNS: tuple[str, ...] = (
    "id",
    "client_id",
    "site_id",
    "alert_type",
    "severity",
    "status",
    "message",
    "entity_type",
    "entity_id",
    "dedup_key",
    "correlation_id",
    "suppressed_count",
    "first_seen",
    "last_seen",
    "source",
    "acknowledged_at",
    "acknowledged_by",
    "assigned_at",
    "assigned_to",
    "escalated_at",
    "escalated_to",
    "escalation_level",
    "resolved_at",
    "resolved_by",
    "resolution_notes",
    "time_to_ack",
    "time_to_resolve",
    "metadata",
)
INCIDENT_COLUMNS: tuple[str, ...] = (
    "id",
    "client_id",
    "site_id",
    "title",
    "severity",
    "priority",
    "state",
    "assignee",
    "created_at",
    "acknowledged_at",
    "assigned_at",
    "resolved_at",
    "closed_at",
    "sla_target",
    "sla_met",
    "time_to_ack",
    "time_to_assign",
    "time_to_resolve",
    "alert_ids",
    "resolution_notes",
)
AUDIT_COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "source_ip",
    "user_agent",
    "correlation_id",
    "metadata",
)

NOTIFICATION_COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "alert_id",
    "kind",
    "level",
    "contact_id",
    "contact_name",
    "channel",
    "user_id",
    "delivery_id",
    "attempt",
    "outcome",
    "status_code",
    "error",
    "latency_ms",
)
"""One row per try of a delivery (the delivery log)."""

DELIVERY_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "level",
    "contact_id",
    "contact_name",
    "channel",
    "user_id",
    "state",
    "attempts",
    "next_at",
    "last_error",
    "created_at",
    "done_at",
)
"""A delivery as the delivery log shows it (``GET /api/noc/alerts/{id}/notifications``)."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, sort_keys=True)
    text = str(value)
    # Spreadsheet formula injection: a cell must never start a formula — nor
    # a tab or carriage return, which a spreadsheet drops before evaluating
    # what follows (OWASP's CSV injection list).
    if text[:1] in _CONTROL_START or (text[:1] in _FORMULA_START and not _numeric(text)):
        return "'" + text
    return text


_FORMULA_START = frozenset("=+-@")
_CONTROL_START = frozenset("\t\r")


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_chunks(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    may_see_pii: bool,
    chunk_rows: int = 500,
) -> Iterator[str]:
    """The header, then CSV text in chunks of ``chunk_rows`` rows; every row
    masked first unless ``may_see_pii``."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for n, row in enumerate(rows, start=1):
        safe = mask_unless(may_see_pii, dict(row))
        writer.writerow([_cell(safe.get(c)) for c in columns])
        if n % chunk_rows == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    tail = buf.getvalue()
    if tail:
        yield tail
