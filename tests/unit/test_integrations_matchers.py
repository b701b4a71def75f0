"""SPEC 12 and Appendix: the ``filter`` matchers of ``GET /api/v2/alerts`` as
amtool sends them; regexes anchored as in Prometheus, run on Python's ``re``."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.integrations.matchers import MATCHER_SHAPE, MAX_MATCHERS, parse_matchers

LABELS = {"alertname": "DiskFull", "severity": "critical", "client": "c1"}


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("alertname=DiskFull", True),
        ('alertname="DiskFull"', True),
        ('alertname = "DiskFull"', True),
        ("alertname!=DiskFull", False),
        ('client!="c2"', True),
        ("severity=~crit.*", True),
        ('severity=~"crit"', False),  # anchored: must match the whole value
        ('severity!~"warn|info"', True),
        ("severity!~crit.*", False),
        ('(?i)x=~"y"', None),
        ('site=""', True),  # a missing label is the empty string
        ('site!=""', False),
        ('severity=~"(?i)CRIT.*"', True),
        ('alertname="a,b"', False),
    ],
)
def test_matcher_operators(text: str, hit: bool | None) -> None:
    if hit is None:
        with pytest.raises(InvalidInput):
            parse_matchers([text])
        return
    [matcher] = parse_matchers([text])
    assert matcher.matches(LABELS) is hit


def test_regex_is_anchored_even_against_a_trailing_newline() -> None:
    [m] = parse_matchers(['alertname=~"Disk"'])
    assert not m.matches({"alertname": "DiskFull"})
    [m] = parse_matchers(['alertname=~"DiskFull$"'])
    assert not m.matches({"alertname": "DiskFull\n"})


def test_group_quotes_and_escapes() -> None:
    ms = parse_matchers(['{alertname="DiskFull",client=~"c.*"}', 'note="say \\"hi\\", ok"'])
    assert [(m.name, m.op, m.value) for m in ms] == [
        ("alertname", "=", "DiskFull"),
        ("client", "=~", "c.*"),
        ("note", "=", 'say "hi", ok'),
    ]
    assert str(ms[2]) == 'note="say \\"hi\\", ok"'
    assert parse_matchers(["{}"]) == [] and parse_matchers([]) == []


@pytest.mark.parametrize(
    "text",
    [
        "bad",
        "1a=b",
        'alertname=~"("',
        'alertname=Fo"o',
        'alertname="Foo',
        # what amtool sends when its own parse of the first argument fails
        'alertname={alertname="Foo",client="c1"}',
        'a=~"(?=x)"',
        'a=~"(x)\\1"',
    ],
)
def test_bad_matchers_are_invalid_filter_input(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_matchers([text])
    assert err.value.field == "filter"


def test_at_most_32_matchers_counting_the_matchers_inside_groups() -> None:
    assert MAX_MATCHERS == 32
    assert len(parse_matchers([f"l{i}=v" for i in range(32)])) == 32
    with pytest.raises(InvalidInput) as err:
        parse_matchers([f"l{i}=v" for i in range(33)])
    assert err.value.field == "filter"
    group = "{" + ",".join(f'l{i}="v"' for i in range(30)) + "}"
    assert len(parse_matchers([group, "a=b", "c=d"])) == 32
    with pytest.raises(InvalidInput):
        parse_matchers([group, "a=b", "c=d", "e=f"])


def test_regex_matching_is_linear_time_on_re2() -> None:
    """A pattern that makes a backtracking engine explode on a long value
    (exponential in its length) answers at once on RE2."""
    (m,) = parse_matchers(['x=~"(a|aa)*c"'])
    assert m.matches({"x": "a" * 1024}) is False
    assert m.matches({"x": "a" * 1023 + "c"}) is True


_SINGLE_PARTS = st.text(alphabet='ab:_1=!~" \\\n\t{', max_size=12)


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        _SINGLE_PARTS,
        st.builds(
            "".join,
            st.lists(
                st.sampled_from(
                    [
                        "a",
                        "_x",
                        ":",
                        "1",
                        "=",
                        "!=",
                        "=~",
                        "!~",
                        '"',
                        "\\",
                        " ",
                        "\n",
                        "b,c",
                        "{",
                        "}",
                    ]
                ),
                max_size=8,
            ),
        ),
    )
)
def test_the_published_shape_accepts_exactly_what_a_single_matcher_parses_to(text: str) -> None:
    """The OpenAPI pattern of ``filter`` (``MATCHER_SHAPE``) says no more and
    no less than the parser for a single matcher; a group's inside is the
    parser's alone. Regex values are plain here (``=~``'s syntax is the
    parser's), so acceptance is the shape's."""
    shaped = re.search(MATCHER_SHAPE, text) is not None
    try:
        parse_matchers([text])
    except InvalidInput as err:
        if "regexp" in err.message:  # a regex's syntax: not the shape's business
            return
        assert not shaped or text.strip().startswith("{"), (text, err.message)
    else:
        assert shaped, text
