"""``SqlClientStore``: the ``ClientStore`` of ``noc_actors.runtime`` over the
database, built on the repositories. One per process (one engine), shared by
every runtime the process hosts; every call names its tenant and client.

A commit is one transaction (``commit_many``: several clients' commits in
one transaction, each kind of row written for all of them at once), in this
order: the ingest batch answer (its primary key refuses a second batch with
the same key), the escalation claim (the fencing token), updates (a resolved
alert frees its dedup key), inserts, folds, the incidents the correlation
rule opened or joined, audit rows, the notices they call for (the
notification outbox), the live state, the snapshot. The database's refusals
come back as the runtime's own errors, so it never sees SQLAlchemy:
``DuplicateBatch``, ``ClaimLost``, ``StoreConflict`` (any other constraint).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from noc_actors.domain.alert import Alert
from noc_actors.domain.changes import IngestReport
from noc_actors.domain.commit import ClaimLost, Commit, DuplicateBatch, LoadedClient, StoreConflict
from noc_actors.domain.inhibit_state import possible_sources
from noc_actors.domain.notify.notices import notices_of
from noc_actors.domain.policy import TenantPolicy
from noc_actors.store.repos import (
    alert_queries,
    alerts,
    audit,
    batches,
    incidents,
    live_state,
    notifications,
    snapshots,
)
from noc_actors.store.sqlite_writes import SqliteWrites
from noc_actors.store.tenancy import load_client_context


class SqlClientStore:
    """See the module docstring. ``defaults`` is the process's policy, under
    each tenant's stored overrides."""

    def __init__(self, engine: AsyncEngine, defaults: TenantPolicy) -> None:
        self.engine = engine
        self.defaults = defaults
        self.sqlite = SqliteWrites(engine.url) if SqliteWrites.applies(engine.url) else None
        """A SQLite file's writes, each transaction in one thread hop."""

    async def load(self, tenant_id: str, client_id: str, now: datetime) -> LoadedClient:
        async with self.engine.connect() as conn:
            ctx = await load_client_context(conn, tenant_id, client_id, self.defaults, now)
            open_alerts = await alert_queries.load_open_alerts(
                conn, tenant_id=tenant_id, client_id=client_id
            )
            recent = await alert_queries.list_recent_alerts(
                conn,
                tenant_id=tenant_id,
                client_id=client_id,
                since=now - ctx.policy.correlation_window,
            )
            saved = await live_state.load_live_state(conn, client_id=client_id, tenant_id=tenant_id)
            open_incidents = await incidents.open_incidents(
                conn, tenant_id=tenant_id, client_id=client_id
            )
            inhibited = await alert_queries.load_inhibited(
                conn,
                tenant_id=tenant_id,
                client_id=client_id,
                source_ids=possible_sources(ctx.inhibit_rules, open_alerts),
            )
        return LoadedClient(ctx, open_alerts, recent, saved, open_incidents, inhibited)

    async def commit(self, commit: Commit) -> None:
        await self.commit_many([commit])

    async def commit_many(self, commits: Sequence[Commit]) -> None:
        """Several clients' commits in one transaction, all or nothing (a
        host's shared group commit, ``runtime.shared``); at most one commit
        per client."""
        try:
            if self.sqlite is not None:
                await self.sqlite.write(lambda conn: self._write(conn, commits))
            else:
                async with self.engine.begin() as conn:
                    await self._write(conn, commits)
        except IntegrityError as err:
            raise StoreConflict(str(err.orig)) from err

    async def _write(self, conn: AsyncConnection, commits: Sequence[Commit]) -> None:
        for commit in commits:
            for key, answer in commit.batches:
                try:
                    await batches.save_batch(
                        conn,
                        tenant_id=commit.tenant_id,
                        client_id=commit.client_id,
                        batch_key=key,
                        report=dict(answer),
                        now=commit.now,
                    )
                except IntegrityError as err:
                    raise DuplicateBatch(key) from err
        for commit in commits:
            if commit.claims:
                wanted = [(c.alert_id, c.level) for c in commit.claims]
                won = await alerts.claim_escalations(conn, wanted, tenant_id=commit.tenant_id)
                for alert_id, level in wanted:
                    if (alert_id, level) not in won:
                        raise ClaimLost(alert_id, level)
        changes = [c.changes for c in commits]
        # An alert inserted by this commit is written whole by the insert.
        inserted = [a for ch in changes for a in ch.ingest.inserted]
        new_ids = {a.id for a in inserted}
        await alerts.update_alerts(
            conn, [a for ch in changes for a in ch.updated.values() if a.id not in new_ids]
        )
        await alerts.insert_alerts(conn, inserted)
        await alerts.apply_folds(conn, [f for ch in changes for f in ch.ingest.folded.values()])
        await incidents.write_rule_changes(conn, [i for ch in changes for i in ch.incidents])
        await audit.append_audit(conn, [e for ch in changes for e in ch.audit])
        await notifications.add_notices(
            conn, [n for c in commits for n in notices_of(c.changes, c.now)]
        )
        for commit in commits:
            if commit.live_state is not None:
                await live_state.save_live_state(
                    conn,
                    tenant_id=commit.tenant_id,
                    client_id=commit.client_id,
                    state=commit.live_state,
                    now=commit.now,
                )
            snap = commit.changes.snapshot
            if snap is not None:
                row = {
                    "tenant_id": snap.tenant_id,
                    "client_id": snap.client_id,
                    "window_start": snap.window_start,
                    "window_end": snap.window_end,
                    "metrics": snap.to_dict(),
                }
                await snapshots.insert_snapshots(conn, [row], now=commit.now)

    async def stored_batch(self, client_id: str, batch_key: str) -> IngestReport | None:
        async with self.engine.connect() as conn:
            stored = await batches.get_batch(conn, client_id=client_id, batch_key=batch_key)
        return None if stored is None else cast(IngestReport, stored)

    async def alerts(self, tenant_id: str, alert_ids: Sequence[str]) -> list[Alert]:
        async with self.engine.connect() as conn:
            return await alert_queries.get_alerts(conn, tenant_id=tenant_id, alert_ids=alert_ids)
