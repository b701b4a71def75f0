"""Rules of ingest the pipeline's stages apply (pure): whose clients a caller
may ingest for, the client an item without one belongs to, observation
times that are too far ahead, and the stored key of an idempotent batch."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.limits import MAX_FUTURE
from serve_app.caller import Caller


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


def not_in_future(value: datetime | None, now: datetime, where: str, item: int | None) -> None:
    """422 naming ``where`` for a time more than ``MAX_FUTURE`` ahead of ``now``."""
    if value is not None and value - now > MAX_FUTURE:
        raise InvalidInput(where, "is more than 1 hour in the future", item)


def batch_key(key: str | None, payloads: Sequence[Any]) -> str | None:
    """The stored key of one client's part of an idempotent batch: the
    request's Idempotency-Key plus a digest of the items, so a key reused for
    different items is simply a different batch (never a wrong answer)."""
    if key is None:
        return None
    digest = hashlib.sha256(repr(list(payloads)).encode()).hexdigest()[:16]
    return f"{key}#{digest}"
