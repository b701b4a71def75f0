"""Dedup keys (SPEC section 3): a stable hash of what an alert is about."""

from __future__ import annotations

import hashlib


def dedup_key(
    alert_type: str, site_id: str | None, entity_type: str | None, entity_id: str | None
) -> str:
    """Stable key of (alert_type, site, entity_type, entity_id).

    Same inputs give the same key in every process and release; ``None`` and
    the empty string are the same (absent)."""
    parts = [alert_type, site_id or "", entity_type or "", entity_id or ""]
    raw = "\x1f".join(parts).encode()
    return hashlib.sha256(raw).hexdigest()[:40]


def external_dedup_key(source: str, key: str) -> str:
    """Namespace an integration's own key (Alertmanager fingerprint,
    PagerDuty dedup_key) so two sources cannot collide."""
    return f"{source}:{key}"
