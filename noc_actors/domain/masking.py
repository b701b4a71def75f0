"""PII masking (SPEC section 10) for users without ``noc:view_pii``.

Exact forms:

* email ``john.doe@example.com`` -> ``j***e@example.com`` (first and last
  character of the local part); a local part of 1-2 characters -> ``****@domain``;
  a value without a usable ``@`` is masked as text.
* phone ``+1 555-123-1234`` -> ``***-***-1234`` (last 4 digits). A value with
  fewer than ``PHONE_MIN_DIGITS`` (7) digits -> ``****``: showing the last 4
  digits of a 4-6 digit number would reveal most or all of it.
* text of length <= 4 -> ``****``; longer text -> first 2 + ``***`` + last 2
  (``Alexander`` -> ``Al***er``).

Guarantee: a non-empty PII value is never returned unchanged. Should a value
already look masked (so that masking it gives itself back), it becomes all
stars — so mask exactly once, at the edge (REST response, push, export).
``None`` stays ``None`` and ``""`` stays ``""`` (nothing to hide).

Which keys are PII — by name pattern, case- and separator-insensitive, and a
bare ``name`` by its context — is ``noc_actors.domain.pii_keys``; the masked
forms and the emails and phone numbers found by their shape inside any other
string are ``noc_actors.domain.pii_text``. This module walks a document:
everything under a PII key is masked as that kind (strings, numbers via
``str``, nested containers throughout, a nested PII key by its own kind);
every other string has the emails and phone numbers inside it masked in
place; numbers, booleans and dict keys are not scanned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from noc_actors.domain.pii_keys import (
    NON_PERSON_FIELDS,
    PiiKind,
    is_bare_name,
    is_pii_field,
    names_people,
    pii_kind,
)
from noc_actors.domain.pii_text import (
    SHORT_MASK,
    looks_like_phone,
    mask_email,
    mask_free_text,
    mask_phone,
    mask_text,
)

__all__ = [
    "NON_PERSON_FIELDS",
    "SHORT_MASK",
    "PiiKind",
    "is_pii_field",
    "looks_like_phone",
    "mask_email",
    "mask_free_text",
    "mask_mapping",
    "mask_phone",
    "mask_text",
    "mask_unless",
    "mask_value",
    "pii_fields",
    "pii_kind",
]

_MASKERS = {"email": mask_email, "phone": mask_phone, "text": mask_text}


def _mask_as(value: Any, kind: PiiKind) -> Any:
    """Mask everything under a PII key: strings, numbers, nested containers."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {
            k: _mask_as(v, pii_kind(k) or kind if isinstance(k, str) else kind)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_as(v, kind) for v in value]
    text = value if isinstance(value, str) else str(value)
    return _MASKERS[kind](text)


def _describes_person(obj: Mapping[Any, Any]) -> bool:
    return any(isinstance(k, str) and pii_kind(k) in ("email", "phone") for k in obj)


def _walk(obj: Any, about_people: bool) -> Any:
    if isinstance(obj, Mapping):
        person = about_people or _describes_person(obj)
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            kind = pii_kind(k) if isinstance(k, str) else None
            if kind is None and person and isinstance(k, str) and is_bare_name(k):
                kind = "text"
            out[k] = _walk(v, names_people(k)) if kind is None else _mask_as(v, kind)
        return out
    if isinstance(obj, list | tuple | set | frozenset):
        return [_walk(v, about_people) for v in obj]
    if isinstance(obj, str):
        return mask_free_text(obj)
    return obj


def mask_value(field_name: str, value: Any) -> Any:
    """``value`` as it reads under ``field_name`` in ``mask_mapping``: masked
    as a whole if ``field_name`` is a PII field, else with the emails and
    phone numbers inside its strings masked.

    Non-string values under a PII key are masked through ``str``; containers
    under a PII key are masked throughout."""
    kind = pii_kind(field_name)
    if kind is None:
        return _walk(value, names_people(field_name))
    return _mask_as(value, kind)


def mask_mapping(obj: Any) -> Any:
    """A masked copy of ``obj`` (dicts and lists walked recursively).

    Keys are matched with ``pii_kind`` (and a bare ``name`` by its context),
    other strings scanned with ``mask_free_text``; the input is never
    mutated. Tuples and sets come back as lists (JSON shapes)."""
    return _walk(obj, about_people=False)


def mask_unless(allowed: bool, obj: Any) -> Any:
    """``obj`` unchanged for users holding ``noc:view_pii``, else masked."""
    return obj if allowed else mask_mapping(obj)


def pii_fields(obj: Any, limit: int = 50) -> list[str]:
    """The dotted paths (``metadata.contacts.0.phone``) whose values masking
    would change: what a reader holding ``noc:view_pii`` saw unmasked (for
    its VIEW_SENSITIVE audit row). At most ``limit``."""
    found: list[str] = []

    def diff(plain: Any, masked: Any, path: str) -> None:
        if len(found) >= limit or plain == masked:
            return
        if isinstance(plain, Mapping) and isinstance(masked, Mapping):
            for k, v in plain.items():
                diff(v, masked.get(k), f"{path}.{k}" if path else str(k))
        elif isinstance(plain, list | tuple) and isinstance(masked, list):
            for n, (v, m) in enumerate(zip(plain, masked, strict=False)):
                diff(v, m, f"{path}.{n}")
        else:
            found.append(path)

    diff(obj, mask_mapping(obj), "")
    return found
