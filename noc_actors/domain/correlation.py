"""Correlation (SPEC section 3): an alert takes the correlation_id of an alert
of the same tenant, client and type created within the window, else a new one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from noc_actors.domain.alert import Alert


class Correlator:
    """Remembers, per (tenant, client, type), the newest creation and its id."""

    def __init__(self, window: timedelta, new_id: Callable[[], str]) -> None:
        self.window = window
        self._new_id = new_id
        self._latest: dict[tuple[str, str, str], tuple[datetime, str]] = {}

    def __len__(self) -> int:
        """How many (tenant, client, type) memories it holds."""
        return len(self._latest)

    def seed(self, alerts: Iterable[Alert]) -> None:
        """Rebuild from alerts loaded after a restart (any status)."""
        for a in alerts:
            if a.correlation_id is None:
                continue
            key = (a.tenant_id, a.client_id, a.alert_type)
            seen = self._latest.get(key)
            if seen is None or a.first_seen > seen[0]:
                self._latest[key] = (a.first_seen, a.correlation_id)

    def assign(self, alert: Alert, now: datetime) -> str:
        """Give ``alert`` its correlation id and remember its creation."""
        key = (alert.tenant_id, alert.client_id, alert.alert_type)
        seen = self._latest.get(key)
        fresh = seen is not None and now - seen[0] <= self.window
        cid = seen[1] if fresh and seen is not None else self._new_id()
        alert.correlation_id = cid
        self._latest[key] = (now, cid)
        return cid

    def forget_before(self, cutoff: datetime) -> None:
        """Drop memories older than ``cutoff`` (keeps the map small)."""
        for key in [k for k, (t, _) in self._latest.items() if t < cutoff]:
            del self._latest[key]
