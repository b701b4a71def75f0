"""Masked forms of PII values, and PII found by its shape inside any text
(``mask_free_text``), for ``noc_actors.domain.masking``.

Values by shape (``mask_free_text``): every other string, under any key, at
any depth, has the emails and phone numbers inside it masked in place, in the
forms of ``noc_actors.domain.masking``; the rest of it stays readable
(``"call jane.roe@example.com"`` -> ``"call j***e@example.com"``;
``"+1 555-123-1234"`` -> ``"***-***-1234"``, as under a phone key). Numbers,
booleans and dict keys are not scanned; a person's name in free text is not
found (no shape tells it from any other word).

* An email: a local part of letters, digits and ``. _ % + - '``, ``@``, and a
  domain of two or more dot-separated labels (``a@b.c``).
* A phone number: 7-15 digits (``PHONE_MIN_DIGITS``, ``PHONE_MAX_DIGITS``),
  optionally led by ``+``, digits joined by up to three of space, ``-``,
  ``.``, ``(`` and ``)``. Not glued on the left to a letter, digit, ``_``,
  ``-``, ``.``, ``/``, ``:``, ``@`` or ``+`` (``SN-20241122``, ``v1.2.3``,
  ``10:00:00.123456`` are no phones; ``tel:`` or ``phone:`` right before it
  is fine) nor on the right to a letter, digit, ``_``, ``@``, ``/`` or ``+``
  (``4567abc``; an extension ``x12`` / ``ext`` is fine), nor to ``-``, ``.``
  or ``:`` and a digit (``10.0.0.12:9100``). Of such a run, not a phone: one
  holding a calendar date (``2026-11-29``, ``29.11.2026``); dots only, with
  two groups (``3.14159265``) or up to four groups of up to three digits
  (``10.0.0.12``, ``1.2.3``); bare digits (no ``+``, no separator) fewer than
  ``PHONE_MIN_BARE_DIGITS`` (10: a count, a serial ``20241122``), or 10 or 13
  of them starting with ``1`` (a Unix time in seconds or milliseconds). A
  run that is no phone as a whole is read word by word (words split at
  spaces), masking from each word the longest run of words that is one
  (``5551234567 9876543210`` -> two masked phones).
"""

from __future__ import annotations

import re
from typing import Final

SHORT_MASK: Final = "****"
PHONE_MIN_DIGITS: Final = 7
PHONE_MAX_DIGITS: Final = 15
PHONE_MIN_BARE_DIGITS: Final = 10


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


_EMAIL_IN_TEXT: Final = re.compile(
    r"(?<![\w.%+'\-])[\w.%+'\-]+@[^\W_](?:[\w\-]*[^\W_])?(?:\.[^\W_](?:[\w\-]*[^\W_])?)+"
)
_PHONE_RUN: Final = re.compile(
    r"(?:(?<![\w.:/@+\-])|(?<=[^\W\d_]:))"  # not glued to what precedes ("tel:" is fine)
    r"(?>\+?\(?\d(?:[ \t\u00a0.\-()]{0,3}\d)*)"  # atomic: never cut inside a number
    r"(?=$|[^\w@/+]|x\d|ext)(?![.:\-]\d)"  # nor to what follows (an extension is fine)
)
_YEAR = r"(?:19|20|21)\d\d"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_DATE: Final = re.compile(
    rf"(?<!\d)(?:{_YEAR}[-./]{_MONTH}[-./]{_DAY}|{_DAY}[-./]{_DAY}[-./]{_YEAR})(?!\d)"
)
_SPACES: Final = re.compile(r"([ \t\u00a0]+)")


def looks_like_phone(text: str) -> bool:
    """Whether ``text`` as a whole has the phone shape of the module docstring
    (the boundary rules of a run inside longer text aside)."""
    digits = re.sub(r"\D", "", text)
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS or _DATE.search(text):
        return False
    body = text.removeprefix("+")
    joins = set(re.sub(r"\d", "", body))
    if not joins and body == text:  # bare digits: not a count, id or Unix time
        unix_time = len(digits) in (10, 13) and digits[0] == "1"
        return len(digits) >= PHONE_MIN_BARE_DIGITS and not unix_time
    if joins == {"."}:
        groups = body.split(".")
        version_or_ip = len(groups) <= 4 and all(len(g) <= 3 for g in groups)
        return len(groups) > 2 and not version_or_ip
    return True


def _mask_phone_run(run: re.Match[str]) -> str:
    text = run.group()
    if looks_like_phone(text):
        return mask_phone(text)
    pieces = _SPACES.split(text)  # words at even indexes, the spaces between at odd
    words = len(pieces) // 2 + 1
    out: list[str] = []
    start = 0
    while start < words:  # from each word on, the longest phone, else the word as is
        for end in range(words, start, -1):
            chunk = "".join(pieces[2 * start : 2 * end - 1])
            if looks_like_phone(chunk):
                out.append(mask_phone(chunk))
                break
        else:
            end = start + 1
            out.append(chunk)
        if end < words:
            out.append(pieces[2 * end - 1])
        start = end
    return "".join(out)


def mask_free_text(value: str) -> str:
    """``value`` with every email and phone number inside it masked in place
    (shapes in the module docstring); ``value`` itself if it holds none."""
    masked = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), value) if "@" in value else value
    masked = _PHONE_RUN.sub(_mask_phone_run, masked)
    return value if masked == value else masked
