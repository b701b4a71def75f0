"""Dedup keys (SPEC section 3): a stable hash of what an alert is about."""

from __future__ import annotations

import hashlib

DEDUP_KEY_MAX = 300  # the alerts.dedup_key column


def dedup_key(
    alert_type: str,
    site_id: str | None,
    entity_type: str | None,
    entity_id: str | None,
    client_id: str | None = None,
) -> str:
    """Stable key of (alert_type, site, entity_type, entity_id).

    A site belongs to exactly one client; an alert *without* a site is keyed
    by its client instead (when given), so two clients reporting the same
    entity id never share a key — the database allows one open alert per
    (tenant, key) and each client's aggregator only sees its own alerts.
    Same inputs give the same key in every process and release; ``None`` and
    the empty string are the same (absent)."""
    scope = site_id or (f"client\x1e{client_id}" if client_id else "")
    parts = [alert_type, scope, entity_type or "", entity_id or ""]
    raw = "\x1f".join(parts).encode()
    return hashlib.sha256(raw).hexdigest()[:40]


def external_dedup_key(source: str, client_id: str, key: str) -> str:
    """An integration's own key (API ``dedup_key``, Alertmanager fingerprint,
    PagerDuty ``dedup_key``) as the NOC stores it: namespaced by source and
    client (``<source>:<client>:<key>``), so neither two sources nor two
    clients can collide. A key that would not fit the column is replaced by
    its SHA-256."""
    full = f"{source}:{client_id}:{key}"
    if len(full) <= DEDUP_KEY_MAX:
        return full
    return f"{source}:{client_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
