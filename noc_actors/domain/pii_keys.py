"""Which keys hold PII (``pii_kind``), for ``noc_actors.domain.masking``.

Which keys are PII (``pii_kind``), at any depth:

1. A key is read case- and separator-insensitively: split into words at
   ``_ - .``, spaces and other punctuation and (a second reading) at camelCase
   humps, lower-cased; trailing digits and trailing qualifiers (``list``,
   ``primary``, ``secondary``, ``alt``, ``other``, ``main``, ``line``,
   ``home``, ``work``, ``office``, ``personal``, ``private``, ``business``)
   dropped; a plural read as its singular. ``Phone_No``, ``phone-no``,
   ``phoneNo``, ``PHONENO``, ``pHoNe_nO`` and ``guard_phone_no_2`` all match.
2. Never PII: ``NON_PERSON_FIELDS`` in any spelling (``CLIENTNAME``).
3. PII of their kind: ``EMAIL_FIELDS``, ``PHONE_FIELDS``, ``TEXT_FIELDS``
   and their plurals (``contacts``, ``addresses``).
4. Patterns, matched against the whole key glued together (optionally led
   by qualifiers such as ``home``, ``work``, ``primary``, ``contact``,
   ``emergency``, ``guard``, ``user``, ``person``: ``guardphone``,
   ``primaryemail``), else against its last word:

   * email: ``email`` or ``mail``, also followed by ``address``/``addr``/``id``
     (``emails``, ``e-mail``, ``email_id``, ``emailAddress``);
   * phone: ``phone``, ``telephone``, ``tel``, ``mobile``, ``mob``, ``cell``,
     ``msisdn``, ``landline``, ``fax`` or ``whatsapp``, alone or followed by
     ``no``/``num``/``nr``/``number``, and ``contact`` followed by one of
     those (``phones``, ``mobno``, ``mobileNumber``, ``contact.number``);
   * text: a person-name compound (``firstname``, ``lastname``,
     ``fullname``, ``surname``, ``givenname``, ``familyname``,
     ``nickname``, ``displayname``, ``username``, ``peoplename``,
     ``personname``, ``guardname``...), ``<word> name`` unless the word is a
     thing's (``THING_NAME_PARTS``: ``client``, ``site``, ``host``,
     ``device``, ``job``, ``rule``...), ``address`` and ``<word> address``
     unless the word is a machine's (``THING_ADDRESS_PARTS``: ``ip``,
     ``mac``, ``source``, ``remote``...), and a last word ``contact``,
     ``person``, ``employee`` or ``assignee`` (``emergency_contact``).
5. Anything else is not PII: the last word decides, so ``person_id``,
   ``phone_type``, ``email_count``, ``hostname``, ``filename``,
   ``namespace`` and ``alertname`` stay readable.

A bare ``name`` (``names``, ``name_2``) is a person's only in context
(``mask_mapping``): in a dict that also holds an email or phone key, or in a
dict (or a list of dicts) under a key whose last word is in ``PEOPLE_PARTS``
(``users``, ``staff``, ``members``, ``technicians``...). ``{"name": "Acme"}``
stays readable.

Everything under a PII key is masked as that kind (strings, numbers via
``str``, nested containers throughout, a nested PII key by its own kind).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final, Literal, cast

PiiKind = Literal["email", "phone", "text"]

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
"""Person-like keys masked as text (their plurals too), besides the patterns
of the module docstring."""

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

THING_NAME_PARTS: Final = frozenset(
    {
        *(f.removesuffix("_name") for f in NON_PERSON_FIELDS if f.endswith("_name")),
        "app", "application", "asset", "brand", "branch", "bucket", "building", "business",
        "camera", "category", "channel", "city", "class", "cluster", "column", "company",
        "container", "country", "dashboard", "database", "db", "dir", "directory", "domain",
        "env", "environment", "event", "facility", "feature", "field", "floor", "folder",
        "function", "index", "instance", "integration", "interface", "key", "label",
        "location", "method", "model", "module", "namespace", "network", "node", "org",
        "organisation", "organization", "package", "page", "param", "parameter", "path",
        "pipeline", "plugin", "pod", "process", "product", "project", "protocol", "provider",
        "receiver", "report", "role", "room", "route", "schema", "sensor", "server", "shift",
        "stage", "state", "step", "store", "stream", "system", "table", "tag", "task", "team",
        "template", "topic", "vendor", "view", "window", "workflow", "zone", "area",
    }
)  # fmt: skip
"""``<part>_name`` is the name of a thing, not a person."""

THING_ADDRESS_PARTS: Final = frozenset(
    {
        "ip", "ipv4", "ipv6", "mac", "source", "src", "remote", "server", "host", "bind",
        "listen", "peer", "local", "gateway", "broadcast", "network", "net", "node", "web",
        "url", "memory", "mem", "hardware", "hw", "wallet", "contract", "target",
        "destination", "dest", "dst", "proxy", "dns", "smtp", "socket", "endpoint", "bus",
        "device", "cluster", "service", "vip", "nat", "router", "multicast", "link",
        "callback", "base",
    }
)  # fmt: skip
"""``<part>_address`` is a machine's address, not a person's."""

PEOPLE_PARTS: Final = frozenset(
    {
        "person", "people", "user", "contact", "guard", "employee", "staff", "member",
        "assignee", "customer", "caller", "reporter", "technician", "cleaner", "driver",
        "visitor", "patient", "supervisor", "worker", "resident", "attendee",
    }
)  # fmt: skip
"""A dict under a key ending in one of these describes a person: its bare
``name`` is masked."""

_TRAILERS: Final = frozenset(
    {"list", "primary", "secondary", "alt", "alternate", "other", "main", "line", "home"}
    | {"work", "office", "personal", "private", "business"}
)
_PREFIX = (
    r"(?:home|work|office|personal|private|business|primary|secondary|alt|alternate|other"
    r"|main|contact|emergency|guard|user|person|people|customer|owner|staff|employee"
    r"|member|cell|mobile|land|day|night|postal|street|mailing|residential|billing"
    r"|shipping|current|permanent|registered)"
)
_EMAIL_CORE = r"e?mail(?:address|addr|id)?"
_PHONE_WORD = r"(?:phone|telephone|tel|mobile|mob|cell|msisdn|landline|fax|whatsapp)"
_NUMBER = r"(?:no|num|nr|number)"
_PHONE_CORE = rf"{_PHONE_WORD}{_NUMBER}?|contact{_NUMBER}"
_NAME_CORE = (
    r"(?:first|last|full|sur|given|family|middle|nick|maiden|display|user|people|person"
    r"|contact|guard|employee|customer|caller|assignee|reporter|staff|member|patient"
    r"|driver|visitor|holder|technician|cleaner|supervisor|worker)name"
)
_ADDRESS_CORE = r"(?:address|addr)"
_GLUED: Final = re.compile(
    rf"{_PREFIX}*(?:(?P<email>{_EMAIL_CORE})|(?P<phone>{_PHONE_CORE})"
    rf"|(?P<text>{_NAME_CORE}|{_ADDRESS_CORE}))"
)
_EMAIL_WORD: Final = re.compile(rf"{_PREFIX}*{_EMAIL_CORE}")
_PHONE_PART: Final = re.compile(rf"{_PREFIX}*{_PHONE_WORD}|contact")
_NUMBER_WORDS: Final = frozenset({"no", "num", "nr", "number"})
_PERSON_HEADS: Final = frozenset({"contact", "person", "employee", "assignee"})
_EXACT: Final[tuple[tuple[frozenset[str], PiiKind], ...]] = (
    (EMAIL_FIELDS, "email"),
    (PHONE_FIELDS, "phone"),
    (TEXT_FIELDS, "text"),
)

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_KEY_PARTS = re.compile(r"[\W_]+")
_CAMEL_WORDS = re.compile(r"[A-Z]?[a-z]+\d*|[A-Z]+\d*(?![a-z])|\d+")


def normalize_key(name: str) -> str:
    """``assignedTo`` / ``Assigned-To`` / ``assigned to`` -> ``assigned_to``."""
    snake = _CAMEL.sub(r"_\1", name.strip())
    return re.sub(r"[\s\-.]+", "_", snake).lower()


def _singular(word: str) -> str:
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return word[:-1]
    return word


def _strip_trailers(words: list[str]) -> tuple[str, ...]:
    while words:
        words[-1] = words[-1].rstrip("0123456789")
        if words[-1] and words[-1] not in _TRAILERS:
            break
        words.pop()
    return tuple(words)


@lru_cache(maxsize=4096)
def _readings(field_name: str) -> tuple[tuple[str, ...], ...]:
    """The key as words, two ways: split on camelCase too, and not (for keys in
    random case such as ``pHoNe_No``). Trailing numbers and qualifiers dropped."""
    parts = [p for p in _KEY_PARTS.split(field_name) if p]
    camel = [w.lower() for p in parts for w in (_CAMEL_WORDS.findall(p) or [p])]
    plain = [p.lower() for p in parts]
    return tuple(dict.fromkeys(r for r in map(_strip_trailers, (camel, plain)) if r))


def _glued_kind(word: str) -> PiiKind | None:
    glued = _GLUED.fullmatch(word)
    return cast(PiiKind, glued.lastgroup) if glued else None  # the group that matched


def _kind_of_words(words: tuple[str, ...]) -> PiiKind | None:
    glued = _glued_kind(_singular("".join(words)))
    if glued:
        return glued
    head = _singular(words[-1])
    prev = _singular(words[-2]) if len(words) > 1 else ""
    if head in _NUMBER_WORDS and _PHONE_PART.fullmatch(prev):
        return "phone"
    if head in ("address", "addr", "id") and _EMAIL_WORD.fullmatch(prev):
        return "email"
    if head in ("address", "addr"):
        return None if prev in THING_ADDRESS_PARTS else "text"
    if head == "name":
        return "text" if prev and prev not in THING_NAME_PARTS else None
    if head in _PERSON_HEADS:
        return "text"
    return _glued_kind(head)


_NON_PERSON_GLUED: Final = frozenset(f.replace("_", "") for f in NON_PERSON_FIELDS)


@lru_cache(maxsize=4096)
def pii_kind(field_name: str) -> PiiKind | None:
    """How a field of this name is masked, or ``None`` if it is not PII
    (rules in the module docstring; a bare ``name`` depends on its context,
    see ``mask_mapping``)."""
    readings = _readings(field_name)
    snakes = {normalize_key(field_name), *("_".join(r) for r in readings)}
    if snakes & NON_PERSON_FIELDS or {s.replace("_", "") for s in snakes} & _NON_PERSON_GLUED:
        return None
    for fields, kind in _EXACT:
        if any(s in fields or _singular(s) in fields for s in snakes):
            return kind
    for words in readings:
        found = _kind_of_words(words)
        if found is not None:
            return found
    return None


def is_pii_field(field_name: str) -> bool:
    return pii_kind(field_name) is not None


def is_bare_name(field_name: str) -> bool:
    return any(tuple(map(_singular, r)) == ("name",) for r in _readings(field_name))


def names_people(field_name: Any) -> bool:
    """Whether ``field_name`` is a key for people (``users``, ``site_staff``)."""
    return isinstance(field_name, str) and any(
        _singular(r[-1]) in PEOPLE_PARTS for r in _readings(field_name)
    )
