"""Steady ingest over HTTP for the chaos tests, and what it saw: every
answer (status, time, Retry-After) and the entity ids of the alerts each
batch carried, so a test can check that every alert answered 2xx is stored
exactly once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.conftest import Api

RAY_LOGS = Path("/tmp/ray/session_latest/logs")


def server_log(correlation_id: str, lines: int = 60) -> str:
    """What the Ray workers logged from the line naming ``correlation_id``
    on (a replica logs an unhandled error's traceback under it)."""
    for path in sorted(RAY_LOGS.glob("worker-*.err")):
        text = path.read_text(errors="replace").splitlines()
        for i, line in enumerate(text):
            if correlation_id in line:
                return "\n".join(text[i : i + lines])
    return f"(nothing logged under {correlation_id} in {RAY_LOGS})"


FIGURES: list[str] = []
"""Every figure line the chaos tests recorded; printed at the end of the run
(``conftest.pytest_terminal_summary``), so CI's log shows them."""


def record(line: str) -> None:
    print(line)
    FIGURES.append(line.strip())


@dataclass
class Answer:
    sent_at: float
    took_s: float
    status: int
    retry_after: str | None
    entities: list[str]
    body: str


@dataclass
class Load:
    """Batches of ``batch`` MEDIUM alerts of client a1 every ``every_s``
    from one sender thread, with entity ids starting ``prefix``."""

    api: Api
    prefix: str
    batch: int = 20
    every_s: float = 0.1
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Load:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=120)

    def _run(self) -> None:
        with self.api.client("key") as http:
            http.timeout = httpx.Timeout(60)
            while not self._stop.is_set():
                entities = [f"{self.prefix}{uuid.uuid4().hex[:10]}" for _ in range(self.batch)]
                items = [
                    {
                        "alert_type": "UPS_ON_BATTERY",
                        "message": "UPS on battery",
                        "client_id": self.api.ids["a1"],
                        "severity": "medium",
                        "entity_type": "ups",
                        "entity_id": e,
                    }
                    for e in entities
                ]
                began = time.monotonic()
                try:
                    r = http.post("/api/noc/alerts", json={"alerts": items})
                    status, retry, body = r.status_code, r.headers.get("Retry-After"), r.text
                except httpx.HTTPError as err:
                    status, retry, body = 0, None, repr(err)
                took = time.monotonic() - began
                self.answers.append(Answer(began, took, status, retry, entities, body[:300]))
                time.sleep(max(0.0, self.every_s - took))

    # --- what it saw ------------------------------------------------------------------

    def statuses(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for a in self.answers:
            out[a.status] = out.get(a.status, 0) + 1
        return dict(sorted(out.items()))

    def answered_ok(self) -> set[str]:
        return {e for a in self.answers if 200 <= a.status < 300 for e in a.entities}

    def stored(self) -> dict[str, int]:
        """entity id -> rows, for this load's alerts."""
        rows = self.api.sql(
            "SELECT entity_id, count(*) FROM alerts WHERE entity_id LIKE :p GROUP BY entity_id",
            p=f"{self.prefix}%",
        )
        return {r[0]: int(r[1]) for r in rows}

    def first_ok_after(self, at: float) -> float | None:
        """Seconds from ``at`` to the first 2xx answer of a batch sent after it."""
        ends = [a.sent_at + a.took_s for a in self.answers if a.sent_at >= at and a.status < 300]
        return min(ends) - at if ends else None

    def unexpected(self, allowed: tuple[int, ...] = (200, 503)) -> list[str]:
        """Each answer whose status is not ``allowed``, with what the server
        logged under its correlation id (a 500's traceback), so a failure
        in CI says what went wrong."""
        out = []
        for a in self.answers:
            if a.status in allowed:
                continue
            line = f"{a.status} {a.body}"
            try:
                correlation_id = json.loads(a.body)["error"]["correlation_id"]
            except (ValueError, KeyError, TypeError):
                out.append(line)
                continue
            out.append(f"{line}\n{server_log(correlation_id)}")
        return out

    def report(self, what: str, recovery_s: float | None) -> tuple[set[str], list[str]]:
        """Print the figures; the lost and the doubled entity ids."""
        answered, stored = self.answered_ok(), self.stored()
        lost = answered - set(stored)
        doubled = [e for e, n in stored.items() if n > 1]
        slowest = max((a.took_s for a in self.answers), default=0.0)
        record(
            f"{what}: {len(self.answers)} batches ({len(self.answers) * self.batch} alerts) "
            f"sent, answers {self.statuses()}, {len(answered)} alerts answered 2xx, "
            f"{len(stored)} stored, lost {len(lost)}, duplicates {len(doubled)}, slowest "
            f"answer {slowest:.2f}s, recovery "
            f"{'-' if recovery_s is None else f'{recovery_s:.2f}s'}"
        )
        return lost, doubled
