"""Alertmanager label matchers: the ``filter`` query parameter of
``GET /api/v2/alerts`` as amtool sends it. Pure.

Regexes run on RE2 (``google-re2``), the engine Alertmanager itself uses
through Go: linear time in the input, so no filter can stall a replica, and
the same syntax (no lookaround, no backreferences). A request holds at most
``MAX_MATCHERS`` matchers with values of at most ``MATCHER_VALUE_MAX``
characters."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import re2

from noc_actors.domain.errors import InvalidInput

__all__ = ["Matcher", "parse_matchers"]

MAX_MATCHERS = 32
MATCHER_VALUE_MAX = 1024
_MATCHER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$", re.S)
MatchOp = Literal["=", "!=", "=~", "!~"]
_VALUE_CHARS = r'(?:\\[\s\S]|[^"\\])*'
MATCHER_SHAPE = (
    r"^\s*(?:\{[\s\S]*|[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:=~|=|!=|!~)\s*"
    rf'(?:"{_VALUE_CHARS}"|{_VALUE_CHARS}\\?)\s*)$'
)
"""One ``filter`` value's shape as a JSON-schema pattern: a single matcher
exactly as ``_parse_one`` accepts it (name, operator, a bare or quoted value
with its escapes), or a group (``{`` ...: its inside is checked on parsing).
The regex's syntax and the value's length are checked on parsing only."""
ONE_MATCHER_SHAPE = (
    r"^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:=~|=|!=|!~)\s*"
    rf'(?:"{_VALUE_CHARS}"|{_VALUE_CHARS}\\?)\s*$'
)
"""``MATCHER_SHAPE`` without groups: exactly one matcher (an inhibit rule's)."""


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher; regexes match the whole value, as in Prometheus,
    on RE2. A missing label matches as the empty string."""

    name: str
    op: MatchOp
    value: str
    pattern: Any = field(default=None, compare=False, repr=False)  # an re2 pattern

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.pattern is None:
            return (value == self.value) == (self.op == "=")
        return (self.pattern.fullmatch(value) is not None) == (self.op == "=~")

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def _compile(value: str) -> Any:
    """Compile like Go's ``^(?:value)$`` on RE2 (anchored by ``fullmatch``)."""
    try:
        return re2.compile(f"(?:{value})")
    except re2.error as err:
        raise ValueError(f"error parsing regexp: {err}") from None


def _unquote(raw: str) -> str:
    """Alertmanager's matcher value rules: optional double quotes; inside,
    ``\\"``, ``\\\\`` and ``\\n`` are escapes; a bare ``"`` is an error."""
    quoted = raw.startswith('"')
    body = raw[1:] if quoted else raw
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            if not quoted or i != len(body) - 1:
                raise ValueError(f"matcher value contains unescaped double quote: {raw}")
            quoted = False
        else:
            out.append(ch)
        i += 1
    if quoted:
        raise ValueError(f"matcher value contains unescaped double quote: {raw}")
    return "".join(out)


def _parse_one(text: str) -> Matcher:
    m = _MATCHER.match(text)
    if m is None:
        raise ValueError(f"bad matcher format: {text}")
    name, op, raw = m.groups()
    value = _unquote(raw)
    if len(value) > MATCHER_VALUE_MAX:
        raise ValueError(f"matcher value longer than {MATCHER_VALUE_MAX} characters")
    pattern = _compile(value) if op in ("=~", "!~") else None
    return Matcher(name, cast(MatchOp, op), value, pattern)


def _split_group(text: str) -> list[str]:
    """``{a="b",c=~"d"}`` -> its matchers (commas inside quotes do not split)."""
    parts: list[str] = []
    token: list[str] = []
    quoted = escaped = False
    for ch in text.strip().removeprefix("{").removesuffix("}"):
        if ch == "," and not quoted:
            parts.append("".join(token))
            token = []
            continue
        if ch == '"' and not escaped:
            quoted = not quoted
        escaped = ch == "\\" and not escaped
        token.append(ch)
    if "".join(token).strip():
        parts.append("".join(token))
    return parts


def parse_matchers(filters: Sequence[str]) -> list[Matcher]:
    """Parse ``filter`` query values as amtool sends them (``name=value``,
    ``name!="value"``, ``name=~"re"``, ``name!~re``) or a ``{...}`` group.
    At most ``MAX_MATCHERS`` (32) matchers in all, counted after groups are
    split; regexes are compiled with RE2 (linear time). More matchers,
    bad syntax or a bad regex raise ``InvalidInput("filter", ...)``."""
    texts: list[str] = []
    for text in filters:
        texts.extend(_split_group(text) if text.strip().startswith("{") else [text])
    if len(texts) > MAX_MATCHERS:
        raise InvalidInput("filter", f"at most {MAX_MATCHERS} matchers")
    try:
        return [_parse_one(text) for text in texts]
    except ValueError as err:
        raise InvalidInput("filter", str(err)) from None
