"""How a send is judged, and when it is tried again.

Each channel says whether a failure is worth another try: for HTTP, a
408, 429 or 5xx, a timeout and a failed connection are (any other 4xx means
the request itself is wrong); for SMTP, a 4xx reply and a failed connection
are, a 5xx reply is not. Another try comes after an exponential backoff with full jitter
(``base * 2**(attempt-1)`` capped, a uniform draw below it, so many failed
sends do not come back at once). After ``max_attempts`` tries a retryable
failure is final too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_s: float = 1.0
    cap_s: float = 300.0

    def backoff_s(self, attempt: int, draw: Callable[[], float]) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based);
        ``draw`` gives a uniform number in [0, 1)."""
        ceiling = min(self.cap_s, self.base_s * float(2 ** max(0, attempt - 1)))
        return float(ceiling * draw())

    def judge(self, ok: bool, retryable: bool, attempt: int) -> Outcome:
        """Try number ``attempt`` succeeded (``ok``) or failed, and its
        channel says whether the failure is worth another try."""
        if ok:
            return "sent"
        if not retryable or attempt >= self.max_attempts:
            return "failed"
        return "retry"


def http_retryable(status: int | None) -> bool:
    """An HTTP failure worth another try: no answer, 408, 429 or any 5xx."""
    return status is None or status in (408, 429) or status >= 500
