"""The ingest pipeline every source shares (platform events, alert batches,
Alertmanager, PagerDuty): resolve and authorize the clients and sites the
items name, admit the batch at the door, then one actor call per client.

Every check runs before anything is written: a batch with a bad item is
refused whole (4xx naming the item and field), so nothing is half-written.
A client whose aggregator is unavailable fails only its own items; the
answer then is 503 (retry) and says which items were stored.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from noc_actors.domain.errors import InvalidInput, Unavailable
from serve_app.auth import Caller, deny
from serve_app.context import AppContext
from serve_app.directory import Directory

MAX_BATCH = 5000
MAX_FUTURE = timedelta(hours=1)
"""Observation times further ahead than this are refused (clock skew allowance)."""


def ingest_scope(caller: Caller) -> frozenset[str] | None:
    """Clients the caller may ingest for; None = every client of its tenant.

    An integration key limited to one client holds just that one; a user
    (admin, or granted noc:ingest) ingests for the clients it may see."""
    if caller.user_id.startswith("key:"):
        return caller.principal.assigned_client_ids or None
    if caller.visible_client_ids is None:
        return None
    return frozenset(caller.visible_client_ids)


def default_client(caller: Caller) -> str | None:
    """The client of a key limited to exactly one client (else None): what an
    item that names no client belongs to."""
    scope = ingest_scope(caller)
    return next(iter(scope)) if scope is not None and len(scope) == 1 else None


async def authorize_clients(ctx: AppContext, caller: Caller, client_ids: Sequence[str]) -> None:
    """403 (audited as UNAUTHORIZED_ACCESS) for a client outside the scope."""
    allowed = ingest_scope(caller)
    if allowed is None:
        return
    for cid in dict.fromkeys(client_ids):
        if cid not in allowed:
            raise await deny(ctx, caller, "noc:ingest", "client", cid)


def not_in_future(value: datetime | None, now: datetime, where: str, item: int) -> None:
    if value is not None and value - now > MAX_FUTURE:
        raise InvalidInput(where, "is more than 1 hour in the future", item)


@dataclass
class Outcome:
    """What happened to the items of one batch, by their index in the request."""

    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    totals: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "folded": 0, "suppressed": 0, "resolved": 0}
    )
    unavailable: list[str] = field(default_factory=list)
    replayed: bool = False

    def add_report(self, report: dict[str, Any]) -> None:
        self.replayed = self.replayed or bool(report.get("replayed"))
        for key in self.totals:
            self.totals[key] += int(report.get(key, 0))

    def reject(self, index: int, reason: str, **extra: Any) -> None:
        self.items[index] = {"index": index, "status": "rejected", "reason": reason, **extra}

    def ordered(self) -> list[dict[str, Any]]:
        return [self.items[i] for i in sorted(self.items)]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items.values() if i["status"] == status)


Call = Callable[[str, list[Any]], Awaitable[dict[str, Any]]]


async def dispatch(
    groups: dict[str, list[tuple[int, Any]]],
    call: Call,
    on_report: Callable[[Outcome, list[int], dict[str, Any]], None],
) -> Outcome:
    """One actor call per client, all clients at once."""
    outcome = Outcome()

    async def one(client_id: str, batch: list[tuple[int, Any]]) -> None:
        indexes = [i for i, _ in batch]
        try:
            report = await call(client_id, [payload for _, payload in batch])
        except Unavailable as err:
            outcome.unavailable.append(client_id)
            for i in indexes:
                outcome.reject(i, f"unavailable: {err}; retry", retry=True)
            return
        outcome.add_report(report)
        on_report(outcome, indexes, report)

    await asyncio.gather(*(one(cid, batch) for cid, batch in groups.items()))
    return outcome


async def run_batch(
    ctx: AppContext,
    tenant_id: str,
    directory: Directory,
    triples: Sequence[tuple[int, str, Any]],
    call: Call,
    on_report: Callable[[Outcome, list[int], dict[str, Any]], None],
) -> Outcome:
    """Admit the validated ``(index, client_id, payload)`` items and send
    them, one call per enabled client; items of a disabled client are
    rejected with that reason. Raises ``Overloaded`` (503) at the door."""
    live = [t for t in triples if directory.enabled(t[1])]
    async with ctx.gate.admit(tenant_id, len(live)):
        outcome = await dispatch(group(live), call, on_report)
    for index, cid, _ in triples:
        if not directory.enabled(cid):
            outcome.reject(index, f"client {cid!r} is disabled")
    return outcome


def batch_key(key: str | None, payloads: Sequence[Any]) -> str | None:
    """The stored key of one client's part of an idempotent batch: the
    request's Idempotency-Key plus a digest of the items, so a key reused for
    different items is simply a different batch (never a wrong answer)."""
    if key is None:
        return None
    digest = hashlib.sha256(repr(list(payloads)).encode()).hexdigest()[:16]
    return f"{key}#{digest}"


def group(pairs: Sequence[tuple[int, str, Any]]) -> dict[str, list[tuple[int, Any]]]:
    """(index, client_id, payload) triples by client, keeping request order."""
    groups: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for index, cid, payload in pairs:
        groups[cid].append((index, payload))
    return dict(groups)


def alert_items(outcome: Outcome, indexes: list[int], report: dict[str, Any]) -> None:
    """Per-item results of an alert batch: created / folded / suppressed."""
    for item in report["items"]:
        index = indexes[item["index"]]
        outcome.items[index] = {
            "index": index,
            "status": item["outcome"],
            "alert_id": item["alert_id"],
            "dedup_key": item["dedup_key"],
            **({"reason": item["reason"]} if item.get("reason") else {}),
        }
