"""Every Redis key the NOC uses, in one place.

- ``noc:ver:<tenant>:<client>`` — a counter the client's aggregator bumps
  after every committed alert (or snapshot) change; cached reads embed the
  versions of the clients they cover, so a change makes old entries
  unreachable at once.
- ``noc:tver:<tenant>`` — bumped with every client's: the version of a read
  that covers the whole tenant (an alert list without a client filter).
- ``noc:cache:<kind>:<tenant>:<scope>:<versions>`` — a cached read (JSON).
- ``noc:rate:<user>:<minute>`` — WebSocket message counters (rate limit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

PREFIX = "noc"


def version_key(tenant_id: str, client_id: str) -> str:
    return f"{PREFIX}:ver:{tenant_id}:{client_id}"


def tenant_version_key(tenant_id: str) -> str:
    return f"{PREFIX}:tver:{tenant_id}"


def bumped_keys(tenant_id: str, client_id: str) -> tuple[str, str]:
    """The counters a change of one client moves: its own and its tenant's."""
    return version_key(tenant_id, client_id), tenant_version_key(tenant_id)


def version_keys(tenant_id: str, client_ids: Iterable[str] | None) -> list[str]:
    """The counters a read covering ``client_ids`` (None: every client of
    the tenant) depends on."""
    if client_ids is None:
        return [tenant_version_key(tenant_id)]
    return [version_key(tenant_id, c) for c in client_ids]


def digest(parts: Iterable[str]) -> str:
    """A short stable digest of a scope description (sorted ids, flags)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def cache_key(kind: str, tenant_id: str, scope: str, versions: str) -> str:
    return f"{PREFIX}:cache:{kind}:{tenant_id}:{scope}:{versions}"


def rate_key(user_id: str, minute: int) -> str:
    return f"{PREFIX}:rate:{user_id}:{minute}"
