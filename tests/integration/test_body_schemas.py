"""The published schema of every request body refuses what the API refuses
for a reason the schema can say: a required string that whitespace
stripping empties (bodies strip their strings before ``minLength`` is
checked). Schemathesis found a layer name of one NEL (U+0085) accepted by
the schema's ``\\S`` (ECMA's whitespace set lacks it) and refused by the
API; this walks every body field instead of waiting for a lucky draw."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from serve_app.app import create_app

WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
"""What pydantic's stripping removes (Unicode White_Space, Rust's ``trim``)."""


ECMA_SPACE = "\t\n\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
"""``\\s`` in a JSON Schema pattern (ECMA-262), which a client's validator
uses; Python's ``\\s`` is another set (it has U+0085, ECMA's has not)."""


def ecma(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with ECMA's meaning of ``\\s`` and ``\\S``
    (outside character classes, the only place our patterns use them)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if not in_class and nxt in "sS":
                out.append(f"[{'^' if nxt == 'S' else ''}{ECMA_SPACE}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        out.append(c)
        i += 1
    return re.compile("".join(out))


def _strings(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for i, branch in enumerate(schema.get(key, [])):
            yield from _strings(branch, f"{where}|{key}{i}")
    yield from _strings(schema.get("items"), f"{where}[]")
    for name, prop in schema.get("properties", {}).items():
        yield from _strings(prop, f"{where}.{name}")


def test_no_body_string_that_stripping_empties_is_schema_valid() -> None:
    doc = create_app().openapi()
    bodies = {
        name: schema
        for name, schema in doc["components"]["schemas"].items()
        if name.endswith("In") or "Body" in name
    }
    checked, loose = 0, []
    for name, schema in bodies.items():
        for where, string in _strings(schema, name):
            if string.get("minLength", 0) < 1 or "pattern" not in string:
                continue
            checked += 1
            pattern = ecma(string["pattern"])
            allowed = [hex(ord(c)) for c in WHITESPACE if pattern.search(c)]
            if allowed:
                loose.append(f"{where}: pattern {string['pattern']!r} allows {allowed}")
    assert checked > 20  # the walk reaches the bodies' strings
    assert loose == []


def test_every_body_pattern_means_the_same_to_a_client_and_to_the_api() -> None:
    """A pattern's ``\\S`` lets U+0085 through a client's (ECMA) validator
    and not the API's (Python): schemathesis found ``runbook_url`` so. A
    body pattern must say whitespace as an explicit class (``NOT_BLANK``),
    or match both ways on the strings that tell them apart."""
    doc = create_app().openapi()
    differ = []
    for name, schema in doc["components"]["schemas"].items():
        for where, string in _strings(schema, name):
            pattern = string.get("pattern")
            if pattern is None:
                continue
            python, client = re.compile(pattern), ecma(pattern)
            for probe in ("http://a\x85b", "a\x85", "\x85a", "a b\x85c", 'x="\x85"'):
                if bool(python.search(probe)) != bool(client.search(probe)):
                    differ.append(f"{where}: {pattern!r} on {probe!r}")
    assert differ == []
