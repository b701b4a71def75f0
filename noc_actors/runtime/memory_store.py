"""``MemoryClientStore``: a ``ClientStore`` in memory, faithful to the SQL one
(``noc_actors.store.client_store``), shipped as a real implementation like
Alertmanager's ``provider/mem``: for tests, demos and hosts without a
database. One store holds any number of tenants and clients.

The database's rules, kept here the same way:

- a commit is all or nothing: everything is checked before anything changes;
- at most one open alert per (tenant, dedup_key), one row per alert id
  (``StoreConflict``); a commit's updates apply before its inserts, so a
  resolved alert frees its key for a new one in the same commit;
- the escalation fence: level N of an alert can be claimed once, only when
  level N-1 was the last claimed and the alert still awaits acknowledgement
  (``ClaimLost``); storing an alert moves its fence up to its level, never down;
- an ingest batch key is stored once per client (``DuplicateBatch``);
- one snapshot per (client, window start): a second one replaces it;
- the incidents the correlation rule opened or joined are stored whole.

Stored alerts are copies, in and out: a caller's memory can run ahead of the
store exactly as it can run ahead of a database. Every call yields to the
event loop once, as I/O would, so concurrent callers interleave.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.audit import AuditEntry
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.commit import ClaimLost, Commit, DuplicateBatch, LoadedClient, StoreConflict
from noc_actors.domain.context import ClientContext
from noc_actors.domain.enums import AlertStatus
from noc_actors.domain.errors import NotFound
from noc_actors.domain.escalation import Deadline
from noc_actors.domain.incident import Incident
from noc_actors.domain.inhibition import inhibited_by
from noc_actors.domain.policy import TenantPolicy
from noc_actors.domain.snapshot import MetricSnapshot

_AWAITING_ACK = (AlertStatus.NEW, AlertStatus.ESCALATED)


@dataclass(slots=True)
class _Client:
    tenant_id: str
    context: ClientContext


def _order(alert: Alert) -> tuple[datetime, str]:
    return (alert.first_seen, alert.id)


class MemoryClientStore:
    """See the module docstring."""

    def __init__(self, defaults: TenantPolicy | None = None) -> None:
        self.defaults = defaults or TenantPolicy()
        self.commits = 0
        self._clients: dict[str, _Client] = {}
        self._alerts: dict[str, Alert] = {}
        self._fences: dict[str, int] = {}
        self._open: dict[tuple[str, str], str] = {}  # (tenant, dedup_key) -> alert id
        self._batches: dict[tuple[str, str], IngestReport] = {}
        self._live: dict[str, dict[str, Any]] = {}
        self._snapshots: dict[tuple[str, datetime], MetricSnapshot] = {}
        self._audit: list[AuditEntry] = []
        self._incidents: dict[str, Incident] = {}

    # --- what the admin side would write --------------------------------------

    def add_client(
        self, tenant_id: str, client_id: str, context: ClientContext | None = None
    ) -> None:
        """Create (or reconfigure) a client; its context defaults to the
        store's policy with nothing else configured."""
        self._clients[client_id] = _Client(tenant_id, context or ClientContext(self.defaults))

    def configure(self, client_id: str, **fields: Any) -> None:
        """Change fields of a client's context (``enabled``, ``windows``...)."""
        record = self._clients[client_id]
        record.context = replace(record.context, **fields)

    def seed(self, alerts: Iterable[Alert]) -> None:
        """Store alerts as they are (escalation fence = their level)."""
        for alert in alerts:
            self._write(alert)
            self._fences[alert.id] = alert.escalation_level

    # --- ClientStore ----------------------------------------------------------------

    async def load(self, tenant_id: str, client_id: str, now: datetime) -> LoadedClient:
        await asyncio.sleep(0)
        record = self._clients.get(client_id)
        if record is None or record.tenant_id != tenant_id:
            raise NotFound("client", client_id)
        windows = sorted(
            (w for w in record.context.windows if w.ends_at > now),
            key=lambda w: (w.starts_at, w.id),
        )
        context = replace(record.context, windows=windows)
        since = now - context.policy.correlation_window
        mine = [
            a for a in self._alerts.values() if (a.tenant_id, a.client_id) == (tenant_id, client_id)
        ]
        return LoadedClient(
            context=context,
            open_alerts=[copy.deepcopy(a) for a in sorted(mine, key=_order) if a.is_open],
            recent=[copy.deepcopy(a) for a in sorted(mine, key=_order) if a.first_seen >= since],
            live_state=copy.deepcopy(self._live.get(client_id)),
            inhibited=[
                copy.deepcopy(a)
                for a in sorted(mine, key=lambda a: (a.last_seen, a.id))
                if a.status is AlertStatus.SUPPRESSED
                and (source := self._alerts.get(inhibited_by(a.suppression_reason) or ""))
                is not None
                and source.client_id == client_id
                and source.is_open
            ],
            incidents=[
                copy.deepcopy(i)
                for i in sorted(self._incidents.values(), key=lambda i: (i.created_at, i.id))
                if (i.tenant_id, i.client_id) == (tenant_id, client_id) and i.is_open
            ],
        )

    async def commit(self, commit: Commit) -> None:
        await self.commit_many([commit])

    async def commit_many(self, commits: Sequence[Commit]) -> None:
        """Several clients' commits at once, all or nothing (a host's shared
        transaction): every one is checked before any is applied. Commits of
        different clients cannot conflict (a dedup key names its site or
        client), so each is checked against what is stored."""
        await asyncio.sleep(0)
        checked = [(commit, self._check(commit)) for commit in commits]
        # Checked: from here on nothing can fail.
        for commit, updates in checked:
            self._apply(commit, updates)

    def _check(self, commit: Commit) -> list[Alert]:
        """Refuse the commit (``DuplicateBatch``, ``ClaimLost``,
        ``StoreConflict``) or return the updates it will write."""
        changes = commit.changes
        keys: set[str] = set()
        for batch_key, _ in commit.batches:
            if (commit.client_id, batch_key) in self._batches or batch_key in keys:
                raise DuplicateBatch(batch_key)
            keys.add(batch_key)
        claimed: dict[str, int] = {}  # one transaction: a claim sees the ones before it
        for claim in commit.claims:
            self._check_claim(commit.tenant_id, claim, claimed.get(claim.alert_id))
            claimed[claim.alert_id] = claim.level
        updates = [
            a
            for a in changes.updated.values()
            if a.id in self._alerts and self._alerts[a.id].tenant_id == a.tenant_id
        ]
        self._check_inserts(changes.ingest.inserted, updates)
        return updates

    def _apply(self, commit: Commit, updates: list[Alert]) -> None:
        changes = commit.changes
        for claim in commit.claims:
            self._fences[claim.alert_id] = claim.level
        for alert in updates:
            self._write(alert)
            self._fences[alert.id] = max(self._fences[alert.id], alert.escalation_level)
        for alert in changes.ingest.inserted:
            self._write(alert)
            self._fences[alert.id] = alert.escalation_level
        for alert in changes.ingest.folded.values():
            stored = self._alerts.get(alert.id)
            if stored is not None:
                stored.suppressed_count, stored.last_seen = alert.suppressed_count, alert.last_seen
        for change in changes.incidents:
            self._incidents[change.incident.id] = copy.deepcopy(change.incident)
        self._audit.extend(changes.audit)
        if commit.live_state is not None:
            self._live[commit.client_id] = copy.deepcopy(commit.live_state)
        if changes.snapshot is not None:
            window = (changes.snapshot.client_id, changes.snapshot.window_start)
            self._snapshots[window] = changes.snapshot
        for batch_key, answer in commit.batches:
            self._batches[(commit.client_id, batch_key)] = copy.deepcopy(answer)
        self.commits += 1

    async def stored_batch(self, client_id: str, batch_key: str) -> IngestReport | None:
        await asyncio.sleep(0)
        stored = self._batches.get((client_id, batch_key))
        return copy.deepcopy(stored)

    async def alerts(self, tenant_id: str, alert_ids: Sequence[str]) -> list[Alert]:
        await asyncio.sleep(0)
        wanted = set(alert_ids)
        found = [a for a in self._alerts.values() if a.id in wanted and a.tenant_id == tenant_id]
        return [copy.deepcopy(a) for a in sorted(found, key=_order)]

    # --- the rules ----------------------------------------------------------------

    def _check_claim(self, tenant_id: str, claim: Deadline, fence: int | None = None) -> None:
        alert = self._alerts.get(claim.alert_id)
        if (
            alert is None
            or alert.tenant_id != tenant_id
            or (self._fences[alert.id] if fence is None else fence) != claim.level - 1
            or alert.status not in _AWAITING_ACK
            or alert.acknowledged_at is not None
        ):
            raise ClaimLost(claim.alert_id, claim.level)

    def _check_inserts(self, inserted: Sequence[Alert], updates: Sequence[Alert]) -> None:
        freed = {(a.tenant_id, a.dedup_key) for a in updates if not a.is_open}
        ids: set[str] = set()
        keys: set[tuple[str, str]] = set()
        for alert in inserted:
            if alert.id in self._alerts or alert.id in ids:
                raise StoreConflict(f"alert {alert.id} already exists")
            record = self._clients.get(alert.client_id)
            if record is None or record.tenant_id != alert.tenant_id:
                raise StoreConflict(f"alert {alert.id}: no client {alert.client_id}")
            ids.add(alert.id)
            key = (alert.tenant_id, alert.dedup_key)
            if not alert.is_open:
                continue
            if key in keys or (key in self._open and key not in freed):
                raise StoreConflict(f"an open alert already holds dedup key {alert.dedup_key!r}")
            keys.add(key)

    def _write(self, alert: Alert) -> None:
        stored = copy.deepcopy(alert)
        self._alerts[alert.id] = stored
        key = (alert.tenant_id, alert.dedup_key)
        if stored.is_open:
            self._open[key] = alert.id
        elif self._open.get(key) == alert.id:
            del self._open[key]

    # --- reading what was stored (tests, demos) -----------------------------------

    def alert(self, alert_id: str) -> Alert | None:
        stored = self._alerts.get(alert_id)
        return None if stored is None else copy.deepcopy(stored)

    def open_alerts(self, tenant_id: str, client_id: str) -> list[Alert]:
        return [
            copy.deepcopy(a)
            for a in sorted(self._alerts.values(), key=_order)
            if a.is_open and (a.tenant_id, a.client_id) == (tenant_id, client_id)
        ]

    def incidents(self, client_id: str) -> list[Incident]:
        """A client's incidents, oldest first."""
        return [
            copy.deepcopy(i)
            for i in sorted(self._incidents.values(), key=lambda i: (i.created_at, i.id))
            if i.client_id == client_id
        ]

    def save_incident(self, incident: Incident) -> None:
        """Store an incident as an operator changed it (what the API writes)."""
        self._incidents[incident.id] = copy.deepcopy(incident)

    def fence(self, alert_id: str) -> int:
        """The last claimed escalation level of an alert."""
        return self._fences[alert_id]

    def audit(self) -> list[AuditEntry]:
        return list(self._audit)

    def snapshots(self, client_id: str) -> list[MetricSnapshot]:
        return sorted(
            (s for (cid, _), s in self._snapshots.items() if cid == client_id),
            key=lambda s: s.window_start,
        )

    def live_state(self, client_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self._live.get(client_id))
