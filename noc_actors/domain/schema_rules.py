"""Rules a model's validators enforce, said in its JSON schema too, so the
OpenAPI document promises no more than the API accepts (issue 11 item 16:
schemathesis sends what the schema allows and expects it accepted).

Each helper returns a ``json_schema_extra`` callable; ``rules(...)`` chains
several. They change the published schema only: validation stays with the
model's fields and validators. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetJsonSchemaHandler, Strict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = [
    "JSON_INT",
    "non_null",
    "NOT_BLANK",
    "integral",
    "drop_null",
    "exactly_one",
    "not_blank",
    "require",
    "require_when",
    "require_when_given",
    "rules",
    "together",
]


NOT_BLANK = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""A pattern that finds a character pydantic's whitespace stripping keeps
(Unicode White_Space, Rust's ``trim``), spelled out: ``\\s`` means three
different sets in Python, Rust and ECMA (a schema's). For strings stripped
before ``min_length`` is checked."""


def integral(value: Any) -> Any:
    """``3.0`` -> ``3``; anything else as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JSON_INT = (Strict(), BeforeValidator(integral))
"""``Annotated[int, <bounds>, *JSON_INT]``: an integer as JSON Schema means
it, ``3`` and ``3.0`` but not ``true`` nor ``"3"`` (pydantic's strict int
refuses ``3.0``, its lax int takes ``"3"``). Bounds go before these, or
pydantic leaves them out of the schema."""

SchemaEdit = Callable[[dict[str, Any]], None]


def rules(*edits: SchemaEdit) -> SchemaEdit:
    """All ``edits``, in order."""

    def apply(schema: dict[str, Any]) -> None:
        for edit in edits:
            edit(schema)

    return apply


def require(*names: str) -> SchemaEdit:
    """``names`` must be present even though the model has a default for
    them (a discriminator such as an event's ``kind``: validation picks the
    model by it, so it cannot be left out)."""

    def apply(schema: dict[str, Any]) -> None:
        required = schema.setdefault("required", [])
        required.extend(n for n in names if n not in required)

    return apply


def non_null(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` without its ``null`` branch (``X | None`` -> ``X``)."""
    branches = prop.get("anyOf")
    if not isinstance(branches, list):
        return prop
    kept = [b for b in branches if b != {"type": "null"}]
    rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def drop_null(*names: str) -> SchemaEdit:
    """``names`` may be left out but not sent as ``null`` (a PATCH field the
    validator refuses as null)."""

    def apply(schema: dict[str, Any]) -> None:
        props = schema.get("properties", {})
        for name in names:
            if name in props:
                props[name] = non_null(props[name])

    return apply


def require_when(field: str, values: Sequence[str], needs: Sequence[str]) -> SchemaEdit:
    """When ``field`` is one of ``values``, ``needs`` must be present and not
    null (``if``/``then``; several such rules go under ``allOf``)."""

    def apply(schema: dict[str, Any]) -> None:
        props = schema.get("properties", {})
        rule = {
            "if": {
                "properties": {field: {"enum": list(values)}},
                "required": [field],
            },
            "then": {
                "required": list(needs),
                "properties": {n: non_null(props.get(n, {})) for n in needs},
            },
        }
        schema.setdefault("allOf", []).append(rule)

    return apply


def exactly_one(*names: str) -> SchemaEdit:
    """Exactly one of ``names`` present and not null (``oneOf``)."""

    def apply(schema: dict[str, Any]) -> None:
        props = schema.get("properties", {})
        schema["oneOf"] = [
            {"required": [n], "properties": {n: non_null(props.get(n, {}))}} for n in names
        ]

    return apply


def _strings(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """The string schemas in ``prop``: itself, its ``anyOf`` branches, its items."""
    found = [prop] if prop.get("type") == "string" else []
    for branch in prop.get("anyOf", []):
        found.extend(_strings(branch))
    if isinstance(prop.get("items"), dict):
        found.extend(_strings(prop["items"]))
    return found


def not_blank(schema: dict[str, Any]) -> None:
    """A model that strips whitespace before checking ``min_length``
    refuses a blank string its ``minLength`` allows: say it (``NOT_BLANK``)."""
    for prop in schema.get("properties", {}).values():
        for string in _strings(prop):
            free = not {"pattern", "format", "enum", "const"} & string.keys()
            if string.get("minLength", 0) >= 1 and free:
                string["pattern"] = NOT_BLANK


def together(*names: str) -> SchemaEdit:
    """``names`` all null (or left out) or all given (``lat`` and ``lon``)."""

    def apply(schema: dict[str, Any]) -> None:
        props = schema.get("properties", {})
        rule = {
            "anyOf": [
                {"properties": {n: {"type": "null"} for n in names}},
                {"required": list(names), "properties": {n: non_null(props[n]) for n in names}},
            ]
        }
        schema.setdefault("allOf", []).append(rule)

    return apply


def require_when_given(field: str, needs: Sequence[str]) -> SchemaEdit:
    """When ``field`` is given and not null, ``needs`` must be too (a
    punch-out needs its punch-in)."""

    def apply(schema: dict[str, Any]) -> None:
        props = schema.get("properties", {})
        rule = {
            "if": {"properties": {field: {"not": {"type": "null"}}}, "required": [field]},
            "then": {
                "required": list(needs),
                "properties": {n: non_null(props.get(n, {})) for n in needs},
            },
        }
        schema.setdefault("allOf", []).append(rule)

    return apply


class StrictModel(BaseModel):
    """A body model: unknown fields refused, strings stripped, and the blank
    strings that stripping empties refused in the published schema too."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        not_blank(schema)  # whitespace is stripped before min_length is checked
        return schema
