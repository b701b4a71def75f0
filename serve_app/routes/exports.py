"""``/api/noc/exports``: CSV of alerts, incidents and the audit log (SPEC
section 9), streamed page by page with keyset cursors — memory stays flat
whatever the size.

- Capability: ``noc:export``; the audit export also needs ``noc:audit_view``.
- Scope: exactly what the lists show (visible clients; a site-only user gets
  the alerts and incidents of its sites; the audit log is tenant-wide).
- PII: masked unless the caller holds ``noc:view_pii`` (``csv_chunks``).
- Audit: one EXPORT_DATA row per export, written before the first byte is
  sent, with the kind, the filters and whether the file was masked.

The first page is read before the response starts, so a bad cursor or a
database failure is still a proper JSON error; a failure mid-stream cuts the
download short (the client sees a truncated body)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from noc_actors.domain.enums import (
    AuditAction,
    Capability,
)
from noc_actors.domain.export import (
    ALERT_COLUMNS,
    AUDIT_COLUMNS,
    INCIDENT_COLUMNS,
    NOTIFICATION_COLUMNS,
    csv_chunks,
)
from noc_actors.store.repos import alert_queries, audit, incidents, notifications
from serve_app.auth import require
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.deps import Ctx, requires
from serve_app.filters import AlertFilter, AuditFilter, Filter, IncidentFilter

router = APIRouter(prefix="/api/noc/exports", tags=["exports"])


CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV rows", "content": {"text/csv": {"schema": {"type": "string"}}}}
}
"""An export's 200 in the OpenAPI document (its errors are JSON, as everywhere)."""


Exporter = Annotated[Caller, Depends(requires(Capability.EXPORT))]
PAGE_ROWS = 500
"""Rows read per database round trip (and per CSV chunk)."""

Row = dict[str, Any]
Fetch = Callable[[str | None], Awaitable[tuple[list[Row], str | None]]]


async def _pages(fetch: Fetch) -> AsyncIterator[list[Row]]:
    """Every page of ``fetch`` (one short-lived connection per page)."""
    cursor: str | None = None
    while True:
        rows, cursor = await fetch(cursor)
        yield rows
        if cursor is None:
            return


async def _record_export(ctx: AppContext, caller: Caller, kind: str, filters: Filter) -> None:
    """EXPORT_DATA; and VIEW_SENSITIVE too when the export carries PII
    unmasked (the caller holds ``noc:view_pii``)."""
    meta = {"kind": kind, "filters": filters.given(), "masked": not caller.sees_pii}
    entries = [caller.audit_entry(AuditAction.EXPORT_DATA, "export", kind, meta)]
    if caller.sees_pii:
        entries.append(caller.audit_entry(AuditAction.VIEW_SENSITIVE, "export", kind, meta))
    async with ctx.engine.begin() as db:
        await audit.append_audit(db, entries)


async def _csv_response(
    ctx: AppContext,
    caller: Caller,
    kind: str,
    columns: Sequence[str],
    fetch: Fetch,
    filters: Filter,
) -> StreamingResponse:
    """Read the first page, audit the export, then stream every page as CSV."""
    pages = _pages(fetch)
    first = await anext(pages)
    await _record_export(ctx, caller, kind, filters)
    header = "".join(csv_chunks([], columns, may_see_pii=False))

    async def body() -> AsyncIterator[str]:
        yield header
        page: list[Row] | None = first
        while page is not None:
            if page:
                text = "".join(csv_chunks(page, columns, caller.sees_pii, chunk_rows=PAGE_ROWS))
                yield text[len(header) :]  # csv_chunks starts every call with the header
            page = await anext(pages, None)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="noc-{kind}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/alerts.csv",
    responses=CSV,
    summary="Alerts as CSV (scoped like the list; masked without view_pii)",
)
async def export_alerts(
    ctx: Ctx, caller: Exporter, filters: Annotated[AlertFilter, Query()]
) -> StreamingResponse:
    query = filters.query(caller)

    async def fetch(cursor: str | None) -> tuple[list[Row], str | None]:
        async with ctx.engine.connect() as db:
            items, nxt = await alert_queries.query_alerts(
                db, **query, limit=PAGE_ROWS, cursor=cursor
            )
        return [a.to_dict() for a in items], nxt

    return await _csv_response(ctx, caller, "alerts", ALERT_COLUMNS, fetch, filters)


def incident_row(row: Row) -> dict[str, Any]:
    """An incident row with the derived export columns (durations, sla_met)."""
    created = row["created_at"]

    def since_created(at: datetime | None) -> float | None:
        return None if at is None else (at - created).total_seconds()

    resolved, target = row.get("resolved_at"), row.get("sla_target")
    return dict(row) | {
        "time_to_ack": since_created(row.get("acknowledged_at")),
        "time_to_assign": since_created(row.get("assigned_at")),
        "time_to_resolve": since_created(resolved),
        "sla_met": None if resolved is None or target is None else resolved <= target,
    }


@router.get(
    "/incidents.csv",
    responses=CSV,
    summary="Incidents as CSV (scoped; masked without view_pii)",
)
async def export_incidents(
    ctx: Ctx, caller: Exporter, filters: Annotated[IncidentFilter, Query()]
) -> StreamingResponse:
    query = filters.query(caller)
    scope = caller.scope

    async def fetch(cursor: str | None) -> tuple[list[Row], str | None]:
        async with ctx.engine.connect() as db:
            items, nxt = await incidents.list_incidents(db, **query, limit=PAGE_ROWS, cursor=cursor)
        # Site-only users: the repository filters by client; sites are
        # checked here (the page may come out short, the cursor still moves on).
        seen = [
            i for i in items if scope.allows_alert(i["tenant_id"], i["client_id"], i["site_id"])
        ]
        return [incident_row(i) for i in seen], nxt

    return await _csv_response(ctx, caller, "incidents", INCIDENT_COLUMNS, fetch, filters)


@router.get(
    "/audit.csv",
    responses=CSV,
    summary="The audit log as CSV (needs noc:audit_view too)",
)
async def export_audit(
    ctx: Ctx, caller: Exporter, filters: Annotated[AuditFilter, Query()]
) -> StreamingResponse:
    await require(ctx, caller, Capability.AUDIT_VIEW)
    query = filters.query(caller)

    async def fetch(cursor: str | None) -> tuple[list[Row], str | None]:
        async with ctx.engine.connect() as db:
            return await audit.query_audit(db, **query, limit=PAGE_ROWS, cursor=cursor)

    return await _csv_response(ctx, caller, "audit", AUDIT_COLUMNS, fetch, filters)


@router.get(
    "/notifications.csv",
    responses=CSV,
    summary="The delivery log as CSV: every try of every notification (visible clients)",
)
async def export_notifications(
    ctx: Ctx, caller: Exporter, filters: Annotated[Filter, Query()]
) -> StreamingResponse:
    clients = caller.visible_client_ids

    async def fetch(cursor: str | None) -> tuple[list[Row], str | None]:
        async with ctx.engine.connect() as db:
            return await notifications.attempts_page(
                db,
                tenant_id=caller.tenant_id,
                client_ids=clients,
                since=filters.since,
                until=filters.until,
                limit=PAGE_ROWS,
                cursor=cursor,
            )

    return await _csv_response(ctx, caller, "notifications", NOTIFICATION_COLUMNS, fetch, filters)
