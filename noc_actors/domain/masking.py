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

Fields are chosen by name (see ``pii_kind``); free text such as an alert's
``message`` is not scanned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

PiiKind = Literal["email", "phone", "text"]

SHORT_MASK: Final = "****"
PHONE_MIN_DIGITS: Final = 7

EMAIL_FIELDS: Final = frozenset({"email", "email_address", "mail", "e_mail"})
PHONE_FIELDS: Final = frozenset(
    {"phone", "mobile", "phone_number", "mobile_number", "telephone", "tel", "msisdn", "cell"}
)
TEXT_FIELDS: Final = frozenset(
    {
        "address",
        "home_address",
        "postal_address",
        "street_address",
        "person",
        "person_name",
        "people",
        "assignee",
        "assignee_name",
        "assigned_to",
        "assigned_to_name",
        "display_name",
        "full_name",
        "first_name",
        "last_name",
        "user_name",
        "username",
        "guard",
        "guard_name",
        "employee",
        "employee_name",
        "contact",
        "contact_name",
        "acknowledged_by_name",
        "resolved_by_name",
        "escalated_to_name",
        "created_by_name",
        "reported_by_name",
    }
)
"""Person-like fields masked as text. Besides these, any key ending in
``_name`` is a person name unless listed in ``NON_PERSON_FIELDS``; any key
ending in ``_email`` / ``_phone`` / ``_mobile`` / ``_address`` is PII of that
kind (again unless listed there)."""

NON_PERSON_FIELDS: Final = frozenset(
    {
        "client_name",
        "site_name",
        "tenant_name",
        "region_name",
        "alert_name",
        "alertname",
        "type_name",
        "host_name",
        "hostname",
        "service_name",
        "job_name",
        "rule_name",
        "device_name",
        "metric_name",
        "file_name",
        "group_name",
        "component_name",
        "queue_name",
        "policy_name",
        "entity_name",
        "ip_address",
        "mac_address",
        "source_address",
        "remote_address",
    }
)
"""Names and addresses of things, not people: never masked."""

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def normalize_key(name: str) -> str:
    """``assignedTo`` / ``Assigned-To`` / ``assigned to`` -> ``assigned_to``."""
    snake = _CAMEL.sub(r"_\1", name.strip())
    return re.sub(r"[\s\-.]+", "_", snake).lower()


def pii_kind(field_name: str) -> PiiKind | None:
    """How a field of this name is masked, or ``None`` if it is not PII."""
    key = normalize_key(field_name)
    if key in NON_PERSON_FIELDS:
        return None
    if key in EMAIL_FIELDS or key.endswith("_email"):
        return "email"
    if key in PHONE_FIELDS or key.endswith(("_phone", "_mobile", "_phone_number")):
        return "phone"
    if key in TEXT_FIELDS or key.endswith(("_name", "_address")):
        return "text"
    return None


def is_pii_field(field_name: str) -> bool:
    return pii_kind(field_name) is not None


def _never_same(masked: str, original: str) -> str:
    if masked != original:
        return masked
    return "*" * max(len(original) + 1, len(SHORT_MASK) + 1)


def mask_text(value: str) -> str:
    """``Bob`` -> ``****``; ``Alexander`` -> ``Al***er``."""
    if value == "":
        return ""
    masked = SHORT_MASK if len(value) <= 4 else f"{value[:2]}***{value[-2:]}"
    return _never_same(masked, value)


def mask_email(value: str) -> str:
    """``john.doe@example.com`` -> ``j***e@example.com``."""
    if value == "":
        return ""
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return mask_text(value)
    masked_local = SHORT_MASK if len(local) <= 2 else f"{local[0]}***{local[-1]}"
    return _never_same(f"{masked_local}@{domain}", value)


def mask_phone(value: str) -> str:
    """``+1 555-123-1234`` -> ``***-***-1234``."""
    if value == "":
        return ""
    digits = re.sub(r"\D", "", value)
    masked = SHORT_MASK if len(digits) < PHONE_MIN_DIGITS else f"***-***-{digits[-4:]}"
    return _never_same(masked, value)


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


def mask_value(field_name: str, value: Any) -> Any:
    """Mask ``value`` if ``field_name`` is a PII field; otherwise return it.

    Non-string values under a PII key are masked through ``str``; containers
    under a PII key are masked throughout."""
    kind = pii_kind(field_name)
    if kind is None:
        return value
    return _mask_as(value, kind)


def mask_mapping(obj: Any) -> Any:
    """A masked copy of ``obj`` (dicts and lists walked recursively).

    Keys are matched with ``pii_kind``; the input is never mutated. Tuples
    and sets come back as lists (JSON shapes)."""
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            kind = pii_kind(k) if isinstance(k, str) else None
            out[k] = mask_mapping(v) if kind is None else _mask_as(v, kind)
        return out
    if isinstance(obj, list | tuple | set | frozenset):
        return [mask_mapping(v) for v in obj]
    return obj


def mask_unless(allowed: bool, obj: Any) -> Any:
    """``obj`` unchanged for users holding ``noc:view_pii``, else masked."""
    return obj if allowed else mask_mapping(obj)
