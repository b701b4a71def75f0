"""SPEC 10: PII masking for users without noc:view_pii."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from noc_actors.domain.masking import (
    is_pii_field,
    mask_email,
    mask_mapping,
    mask_phone,
    mask_text,
    mask_unless,
    mask_value,
    pii_kind,
)


def test_email_keeps_first_and_last_char_of_local_part_and_the_domain() -> None:
    assert mask_email("john.doe@example.com") == "j***e@example.com"


def test_email_with_one_or_two_char_local_part_hides_it_entirely() -> None:
    assert mask_email("jo@example.com") == "****@example.com"
    assert mask_email("j@example.com") == "****@example.com"


def test_value_without_at_sign_in_email_field_is_masked_as_text() -> None:
    assert mask_email("not-an-email") == "no***il"
    assert mask_email("@x") == "****"


def test_phone_shows_only_last_four_digits() -> None:
    assert mask_phone("+1 555-123-1234") == "***-***-1234"
    assert mask_value("mobile", 15551239876) == "***-***-9876"


def test_phone_with_few_digits_reveals_nothing() -> None:
    assert mask_phone("123") == "****"
    assert mask_phone("ext 1234") == "****"


def test_short_text_becomes_four_stars() -> None:
    assert mask_text("Bob") == "****"
    assert mask_text("Anna") == "****"


def test_longer_text_keeps_first_two_and_last_two() -> None:
    assert mask_text("Alexander") == "Al***er"


def test_empty_and_none_stay_as_they_are() -> None:
    assert mask_text("") == ""
    assert mask_value("email", None) is None


def test_already_masked_value_never_comes_back_unchanged() -> None:
    assert mask_email("j***e@example.com") != "j***e@example.com"
    assert mask_text("****") != "****"
    assert mask_phone("***-***-1234") != "***-***-1234"


def test_field_names_pick_the_masking_kind() -> None:
    assert pii_kind("email") == "email"
    assert pii_kind("contactEmail") == "email"
    assert pii_kind("phone") == "phone"
    assert pii_kind("site_phone") == "phone"
    assert pii_kind("address") == "text"
    assert pii_kind("assignee_name") == "text"
    assert pii_kind("assignedTo") == "text"
    assert pii_kind("acknowledged_by_name") == "text"
    assert pii_kind("person") == "text"
    assert pii_kind("display-name") == "text"


def test_names_of_things_are_not_pii() -> None:
    for key in ("client_name", "site_name", "alertname", "message", "severity", "ip_address"):
        assert not is_pii_field(key), key
    assert mask_value("client_name", "Acme Security") == "Acme Security"


def test_mask_mapping_walks_alerts_metadata_and_lists() -> None:
    alert = {
        "id": "a1",
        "client_name": "Acme",
        "message": "Guard missed shift",
        "assigned_to": "user-42",
        "metadata": {
            "person": {"name": "Alexander", "phone": "+1 555-123-1234"},
            "contacts": [{"email": "john.doe@example.com"}, {"display_name": "Bob"}],
            "labels": {"alertname": "DiskFull"},
        },
    }
    before = copy.deepcopy(alert)
    out = mask_mapping(alert)
    assert alert == before  # never mutates
    assert out["client_name"] == "Acme"
    assert out["message"] == "Guard missed shift"
    assert out["assigned_to"] == "us***42"
    assert out["metadata"]["person"] == {"name": "Al***er", "phone": "***-***-1234"}
    assert out["metadata"]["contacts"] == [
        {"email": "j***e@example.com"},
        {"display_name": "****"},
    ]
    assert out["metadata"]["labels"] == {"alertname": "DiskFull"}


def test_mask_unless_leaves_data_for_users_with_view_pii() -> None:
    data = {"email": "john.doe@example.com"}
    assert mask_unless(True, data) is data
    assert mask_unless(False, data) == {"email": "j***e@example.com"}


PII_KEYS = st.sampled_from(
    ["email", "phone", "mobile", "address", "person", "assignee", "display_name", "guard_name"]
)


@given(key=PII_KEYS, value=st.text(min_size=1))
def test_masking_never_returns_the_original_value_of_a_pii_field(key: str, value: str) -> None:
    assert mask_value(key, value) != value


def _leaves(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _leaves(v)] + [str(k) for k in obj]
    if isinstance(obj, list):
        return [s for v in obj for s in _leaves(v)]
    return [obj] if isinstance(obj, str) else []


SECRET = st.text(alphabet=st.characters(exclude_characters="*"), min_size=1)


@given(
    secret=SECRET,
    key=PII_KEYS,
    shape=st.recursive(
        st.just("HOLE"),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3),
            st.dictionaries(st.sampled_from(["meta", "data", "items"]), inner, min_size=1),
        ),
        max_leaves=6,
    ),
)
def test_mask_mapping_never_leaks_a_seeded_pii_string(secret: str, key: str, shape: Any) -> None:
    def fill(node: Any) -> Any:
        if node == "HOLE":
            return {key: secret, "id": "x"}
        if isinstance(node, list):
            return [fill(n) for n in node]
        return {k: fill(v) for k, v in node.items()}

    out = mask_mapping(fill(shape))
    masked_values = [s for s in _leaves(out) if s not in ("x", "id", "meta", "data", "items", key)]
    assert masked_values, "the seeded value must be present, masked"
    for leaf in masked_values:
        assert secret not in leaf
