"""Every Redis key the NOC uses, in one place.

- ``noc:ver:<tenant>:<client>`` — a counter the client's aggregator bumps
  after every committed alert change; cached reads embed the versions of the
  clients they cover, so a change makes old entries unreachable at once.
- ``noc:cache:<kind>:<tenant>:<scope>:<versions>`` — a cached read (JSON).
- ``noc:rate:<user>:<minute>`` — WebSocket message counters (rate limit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

PREFIX = "noc"


def version_key(tenant_id: str, client_id: str) -> str:
    return f"{PREFIX}:ver:{tenant_id}:{client_id}"


def digest(parts: Iterable[str]) -> str:
    """A short stable digest of a scope description (sorted ids, flags)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def cache_key(kind: str, tenant_id: str, scope: str, versions: str) -> str:
    return f"{PREFIX}:cache:{kind}:{tenant_id}:{scope}:{versions}"


def rate_key(user_id: str, minute: int) -> str:
    return f"{PREFIX}:rate:{user_id}:{minute}"
