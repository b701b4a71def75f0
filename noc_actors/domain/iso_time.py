"""Date-times on the wire are ISO 8601 strings: a number where one is due
is refused (pydantic would read ``0`` as 1970-01-01, ``true`` as 1 s after
it — a client's mistake, never meant)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BeforeValidator

_NUMBER: Final = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


def iso_only(value: Any) -> Any:
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise ValueError("an ISO 8601 date-time with a timezone is expected, not a number")
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(iso_only)]
"""An aware date-time given as an ISO 8601 string."""
