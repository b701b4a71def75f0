"""SPEC 10 / issue 11 item 2: PII found by the pattern of its key and by the
shape of its value, at any depth, without masking the names of things."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from noc_actors.domain.enums import AlertStatus
from noc_actors.domain.masking import (
    NON_PERSON_FIELDS,
    looks_like_phone,
    mask_free_text,
    mask_mapping,
    mask_value,
    pii_kind,
)

EMAIL = "jane.roe@example.com"
PHONE = "+1 555 867 5309"


@pytest.mark.parametrize(
    ("key", "value", "masked"),
    [
        ("emails", ["a@b.c", "jane.roe@example.com"], ["****@b.c", "j***e@example.com"]),
        ("phones", ["+1 555 867 5309", "555-123-4567"], ["***-***-5309", "***-***-4567"]),
        ("phone_no", "+1 555 867 5309", "***-***-5309"),
        ("mobile_no", "98765 43210", "***-***-3210"),
        ("mobno", "9876543210", "***-***-3210"),
        ("contact_number", "(02) 5550 1037", "***-***-1037"),
        ("firstname", "Alexander", "Al***er"),
        ("lastname", "Hamilton", "Ha***on"),
        ("fullname", "Jane Roe", "Ja***oe"),
        ("surname", "Roe", "****"),
        ("peoplename", "Priya Natarajan", "Pr***an"),
    ],
)
def test_each_key_named_in_issue_11_is_masked(key: str, value: Any, masked: Any) -> None:
    assert mask_mapping({"metadata": {key: value}}) == {"metadata": {key: masked}}


def test_a_persons_bare_name_is_masked_but_the_name_of_a_thing_is_not() -> None:
    doc = {
        "name": "Acme Security",
        "site": {"name": "HQ North"},
        "badge_holder": {"name": "Jane Roe", "email": EMAIL},
        "users": [{"name": "Alexander", "site": {"name": "HQ North"}}],
        "on_call_staff": {"name": "Priya"},
    }
    out = mask_mapping(doc)
    assert out["name"] == "Acme Security"
    assert out["site"] == {"name": "HQ North"}
    assert out["badge_holder"] == {"name": "Ja***oe", "email": "j***e@example.com"}
    assert out["users"] == [{"name": "Al***er", "site": {"name": "HQ North"}}]
    assert out["on_call_staff"] == {"name": "Pr***ya"}


@pytest.mark.parametrize(
    "key",
    [
        "Phone_No",
        "phone-no",
        "phoneNo",
        "PHONENO",
        "pHoNe_nO",
        "mobileNumber",
        "MobileNo",
        "contact.number",
        "ContactNumber",
        "guard_phone_1",
        "guardPhone2",
        "primary-mobile",
        "TEL",
        "telephone_number",
        "MSISDN",
        "cell_phone",
        "whatsapp_no",
    ],
)
def test_phone_keys_match_in_any_case_and_separator(key: str) -> None:
    assert pii_kind(key) == "phone"


@pytest.mark.parametrize(
    "key",
    ["Emails", "e-mail", "E_MAIL", "emailAddress", "email_id", "primaryEmail", "guard.mail_2"],
)
def test_email_keys_match_in_any_case_and_separator(key: str) -> None:
    assert pii_kind(key) == "email"


@pytest.mark.parametrize(
    "key",
    [
        "FirstName",
        "first-name",
        "LAST_NAME",
        "fullName",
        "Surname",
        "givenname",
        "given_name",
        "PeopleName",
        "person.name",
        "guard_surname",
        "badge_holder_name",
        "homeAddress",
        "address_line_1",
        "mailing-address",
        "emergency_contact",
        "contacts",
    ],
)
def test_person_name_and_address_keys_are_masked_as_text(key: str) -> None:
    assert pii_kind(key) == "text"


NOT_PII_KEYS = [
    *NON_PERSON_FIELDS,
    "clientName",
    "CLIENT_NAME",
    "site-name",
    "TenantName",
    "alert.name",
    "deviceName",
    "HostName",
    "FILENAME",
    "namespace",
    "nameSpace",
    "jobName",
    "rule-name",
    "ServiceName",
    "region_name_2",
    "ipAddress",
    "ipv4_address",
    "name",
    "person_id",
    "personId",
    "user_id",
    "phone_type",
    "phone_verified",
    "email_count",
    "email_enabled",
    "mail_server",
    "hotel",
    "severity",
    "message",
    "serial_no",
    "ticket_number",
]


@pytest.mark.parametrize("key", NOT_PII_KEYS)
def test_names_of_things_ids_types_and_counts_are_not_pii(key: str) -> None:
    assert pii_kind(key) is None


def test_lists_and_nested_dicts_are_masked_at_any_depth() -> None:
    doc = {
        "metadata": {
            "contacts": [{"Phone_No": PHONE}],
            "emails": ["a@b.c", "d@e.f"],
            "shift": {"crew": [{"details": {"mobileNumber": "555.123.4567"}}]},
        }
    }
    out = mask_mapping(doc)["metadata"]
    assert out["contacts"] == [{"Phone_No": "***-***-5309"}]
    assert out["emails"] == ["****@b.c", "****@e.f"]
    assert out["shift"] == {"crew": [{"details": {"mobileNumber": "***-***-4567"}}]}


def test_an_email_or_phone_inside_free_text_is_masked_in_place() -> None:
    doc = {"notes_for_x": f"call {EMAIL} or {PHONE} after 10:00", "badge": "B-17"}
    assert mask_mapping(doc) == {
        "notes_for_x": "call j***e@example.com or ***-***-5309 after 10:00",
        "badge": "B-17",
    }


def test_a_value_shaped_like_an_email_or_phone_is_masked_under_any_key() -> None:
    doc = {"x": EMAIL, "y": [PHONE], "z": {"deep": "tel:+15558675309"}}
    assert mask_mapping(doc) == {
        "x": "j***e@example.com",
        "y": ["***-***-5309"],
        "z": {"deep": "tel:***-***-5309"},
    }


def test_mask_value_scans_the_strings_under_a_key_that_is_not_pii() -> None:
    assert mask_value("notes", f"ring {PHONE}") == "ring ***-***-5309"
    assert mask_value("client_name", "Acme Security") == "Acme Security"


@pytest.mark.parametrize(
    "text",
    [
        "+1 555 867 5309",
        "+15558675309",
        "(555) 867-5309",
        "555-867-5309",
        "555.867.5309",
        "5558675309",
        "+44 20 7946 0958",
        "+61 2 5550 1037",
        "06.12.34.56.78",
        "98765 43210",
        "+91-98765-43210",
        "555-8675",
    ],
)
def test_phone_shapes(text: str) -> None:
    assert looks_like_phone(text)
    assert mask_free_text(text) == f"***-***-{re.sub(r'[^0-9]', '', text)[-4:]}"


@pytest.mark.parametrize(
    "text",
    [
        "SN-20241122",
        "20241122",
        "1234567",
        "10.0.0.12",
        "192.168.100.200",
        "10.0.0.12:9100",
        "2026-11-29",
        "29.11.2026",
        "2026-11-29T10:00:00.123456+00:00",
        "from 2026-11-29 - 2026-11-30",
        "1.2.3",
        "v10.200.300",
        "3.14159265",
        "1732262400",
        "1732262400123",
        "-33.8688, 151.2093",
        "8080",
        "123e4567-e89b-12d3-a456-426614174000",
        "3f2a9b8c1234567890abcdef12345678",
        "am:acme:0123456789abcdef",
        "Ticket T-1001 (P1) open 5.2 h, past its 4 h SLA",
        "http://prometheus:9090/graph?g0.expr=up&time=1732262400",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0",
    ],
)
def test_numbers_that_are_not_phones_stay_readable(text: str) -> None:
    assert mask_free_text(text) is text


def test_numbers_and_enums_are_not_scanned() -> None:
    doc = {"count": 5558675309, "at": 1732262400, "status": AlertStatus.NEW}
    out = mask_mapping(doc)
    assert out == doc and out["status"] is AlertStatus.NEW


def test_two_phone_numbers_in_one_run_are_both_masked() -> None:
    assert mask_free_text("5558675309 9876543210") == "***-***-5309 ***-***-3210"
    masked = mask_free_text("555 867 5309 555 123 4567")
    assert "867 5309" not in masked and "123 4567" not in masked


# --- properties -----------------------------------------------------------

EMAIL_WORDS = [
    ["email"],
    ["emails"],
    ["e", "mail"],
    ["mail"],
    ["email", "address"],
    ["email", "id"],
]
PHONE_WORDS = [
    ["phone"],
    ["phones"],
    ["phone", "no"],
    ["phone", "number"],
    ["mobile"],
    ["mobile", "no"],
    ["mobile", "number"],
    ["mobno"],
    ["tel"],
    ["telephone"],
    ["msisdn"],
    ["contact", "number"],
    ["contact", "no"],
    ["cell"],
]
NAME_WORDS = [
    ["first", "name"],
    ["firstname"],
    ["last", "name"],
    ["lastname"],
    ["full", "name"],
    ["fullname"],
    ["surname"],
    ["given", "name"],
    ["people", "name"],
    ["peoplename"],
    ["person", "name"],
    ["address"],
    ["home", "address"],
]
KNOWN_PREFIXES = [[], ["guard"], ["primary"], ["contact"], ["emergency"], ["home"]]
OTHER_PREFIXES = [["badge", "holder"], ["site", "night"], ["duty"]]
SEPARATORS = ["_", "-", ".", ""]
NEUTRAL_KEYS = ["meta", "data", "items", "extra", "payload"]
PERSON_NAMES = ["Jane Roe", "Alexander Hamilton", "Priya Natarajan", "Oliver O'Brien", "Mei Ling"]


@st.composite
def spelled(draw: st.DrawFn, words: list[str]) -> str:
    """``words`` as a key: a prefix and a suffix, random case and separators."""
    prefix = draw(st.sampled_from(KNOWN_PREFIXES + OTHER_PREFIXES))
    style = draw(st.sampled_from(["sep", "camel", "random"]))
    sep = draw(st.sampled_from(SEPARATORS if prefix in KNOWN_PREFIXES else SEPARATORS[:3]))
    suffix = draw(st.sampled_from([[], ["1"], ["2"]] + ([["primary"]] if sep else [])))
    parts = prefix + words + suffix
    if style == "camel":
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    key = sep.join(parts)
    if style == "random":
        flips = draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
        key = "".join(c.upper() if up else c for c, up in zip(key, flips, strict=True))
    return key


emails = st.builds(
    "{}.{}@{}.{}".format,
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
    st.sampled_from(["example", "mail.example", "acme-corp"]),
    st.sampled_from(["com", "org", "example", "co.uk"]),
)
_area = st.integers(200, 999).map(str)
_exchange = st.integers(200, 999).map(str)
_line = st.integers(0, 9999).map("{:04d}".format)
phones = st.builds(
    lambda fmt, cc, a, e, n: fmt.format(cc=cc, a=a, e=e, n=n),
    st.sampled_from(
        [
            "+{cc} {a} {e} {n}",
            "+{cc}-{a}-{e}-{n}",
            "+{cc}{a}{e}{n}",
            "({a}) {e}-{n}",
            "{a}-{e}-{n}",
            "{a}.{e}.{n}",
            "{a} {e} {n}",
            "{a}{e}{n}",
        ]
    ),
    st.sampled_from(["1", "44", "61", "91"]),
    _area,
    _exchange,
    _line,
)
FREE_TEXT = ["{}", "call {}", "reach me at {} after 10:00", "({})", "contact: {}."]


@st.composite
def seeded_record(draw: st.DrawFn, seeds: list[str]) -> dict[str, Any]:
    """A dict with one seeded PII value: under a PII key, or (emails and
    phones) inside free text under a neutral key."""
    kind = draw(st.sampled_from(["email", "phone", "name"]))
    value = draw({"email": emails, "phone": phones, "name": st.sampled_from(PERSON_NAMES)}[kind])
    seeds.append(value)
    words = {"email": EMAIL_WORDS, "phone": PHONE_WORDS, "name": NAME_WORDS}[kind]
    if kind != "name" and draw(st.booleans()):
        key = draw(st.sampled_from(["notes", "comment", "x"]))
        text = draw(st.sampled_from(FREE_TEXT)).format(value)
        return {key: draw(st.sampled_from([text, [text], {"inner": text}])), "id": "x"}
    key = draw(spelled(draw(st.sampled_from(words))))
    return {key: draw(st.sampled_from([value, [value], [value, "n/a"]])), "id": "x"}


def nested(leaf: st.SearchStrategy[Any], depth: int) -> st.SearchStrategy[Any]:
    """``leaf`` inside up to ``depth`` levels of lists and dicts."""
    if depth == 0:
        return leaf
    inner = nested(leaf, depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(st.sampled_from(NEUTRAL_KEYS), inner, min_size=1, max_size=2),
    )


@st.composite
def seeded_document(draw: st.DrawFn) -> tuple[Any, list[str]]:
    seeds: list[str] = []
    doc = draw(nested(seeded_record(seeds), depth=3))
    return doc, seeds


@given(seeded_document())
def test_no_seeded_pii_value_survives_masking_at_any_depth_in_any_spelling(
    case: tuple[Any, list[str]],
) -> None:
    doc, seeds = case
    assert seeds
    text = json.dumps(mask_mapping(doc))
    for seed in seeds:
        assert seed not in text
        digits = re.sub(r"\D", "", seed)
        if len(digits) >= 7:
            assert digits not in text


def _spellings(key: str) -> list[str]:
    words = key.split("_")
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    return [key, key.upper(), "-".join(words), ".".join(words), camel, camel[0].upper() + camel[1:]]


NOT_PII_VALUES: list[Any] = [
    "Acme Security",
    "HQ North",
    "DiskFull",
    "node-exporter",
    "SN-20241122",
    "10.0.0.12",
    "10.0.0.12:9100",
    "2026-11-29",
    "2026-11-29T10:00:00+00:00",
    "1.2.3",
    "1732262400",
    "8080",
    "123e4567-e89b-12d3-a456-426614174000",
    "Ticket T-1001 (P1) open 5.2 h",
    1732262400,
    5558675309,
    3.5,
    True,
    None,
]
BASE_KEYS = [
    "client_name",
    "site_name",
    "tenant_name",
    "alert_name",
    "device_name",
    "hostname",
    "filename",
    "namespace",
    "job_name",
    "rule_name",
    "service_name",
    "region_name",
    "ip_address",
    "person_id",
    "severity",
    "count",
    "port",
    "version",
    "started_at",
    "name",
]
not_pii_keys = st.sampled_from(BASE_KEYS).flatmap(lambda k: st.sampled_from(_spellings(k)))
not_pii_records = st.dictionaries(not_pii_keys, st.sampled_from(NOT_PII_VALUES), min_size=1)


@given(nested(not_pii_records, depth=3))
def test_names_of_things_and_numbers_that_are_not_phones_stay_unchanged(doc: Any) -> None:
    assert mask_mapping(doc) == doc
