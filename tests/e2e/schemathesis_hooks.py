"""Schemathesis hooks for ``test_api_schema`` (loaded by ``st`` through
``SCHEMATHESIS_HOOKS``).

The API refuses a few schema-valid requests for rules JSON Schema cannot
say: an id that does not exist, a cursor from another query, a time relative
to now, one field after another, a regex's own syntax. The run's config
accepts 422 for schema-valid data; this check makes that acceptance narrow:
a schema-valid request may be refused only with one of those rules' messages.
Any other 422 means the schema is looser than the validation."""

from __future__ import annotations

import re
from typing import Any

import schemathesis

SEMANTIC_RULES = tuple(
    re.compile(p)
    for p in (
        r"^unknown (client|site|user) ['\"]",  # an id that does not exist (in this tenant)
        r"^client ['\"].*['\"] is disabled$",
        r"^alert ['\"].*['\"] not found$",
        r"^all alerts must belong to one client$",
        r"belongs to another client$",
        r"is not a site of client ['\"]",
        r"^a site needs its client_id$",
        r"^a client is required$",  # routing: neither the key nor the labels name one
        r"is more than 1 hour in the future$",  # relative to now
        r"^malformed or foreign pagination cursor$",  # only the server's own cursors
        r"must be after \w+$",  # one field against another (ends_at, shift_end)
        r"must not be before",
        r"^must not be below min_severity$",  # one field against another
        r"^error parsing regexp",  # a regex's own syntax (RE2)
        r"^matcher value longer than",  # after unquoting
        r"^at most \d+ matchers$",  # counted inside groups
        r"^no node of the cluster offers ",  # what the Ray cluster runs now
        r"^unknown time zone ",  # the zones this machine knows (tzdata)
        r"^an ISO local date-time is expected",  # a day the calendar has (no Feb 30)
        r"^must be a whole number of seconds$",  # hours as a float: multipleOf 1/3600 is inexact
        r"^must differ from start",  # one field against another (a daily window)
        r"^duplicate layer name ",  # unique by one field of the items
        r"^'override' is reserved$",  # a name the timeline uses
        r"covers at most 93 days$",  # one time against another
        r"^a moment between 1970 and 9000 is expected$",  # a format has no range
    )
)
GROUP_RULES = tuple(re.compile(p) for p in (r"^bad matcher format", r"unescaped double quote"))
"""A ``{...}`` group's inside is the parser's (the schema says only that a
group starts with ``{``)."""


def _messages(body: Any) -> list[str]:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    fields = error.get("fields") or []
    return [str(f.get("message", "")) for f in fields] or [str(error.get("message", ""))]


def _has_group(case: Any) -> bool:
    values = (case.query or {}).get("filter") or []
    values = [values] if isinstance(values, str) else values
    return any(str(v).strip().startswith("{") for v in values)


@schemathesis.check
def valid_data_refused_only_for_rules_a_schema_cannot_say(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    rules = SEMANTIC_RULES + (GROUP_RULES if _has_group(case) else ())
    unexplained = [m for m in _messages(response.json()) if not any(r.search(m) for r in rules)]
    if unexplained:
        raise AssertionError(
            "a schema-valid request was refused for a rule its schema could say: "
            + "; ".join(unexplained)
        )
    return None
