"""``/api/noc/maintenance``: maintenance windows (SPEC section 3) — create,
replace, soft-delete, list, detail.

Matching alerts are stored as SUPPRESSED by the client's aggregator, which
caches its windows: after every change the affected aggregators reload
(every client of the tenant for a tenant-wide window), so the change takes
effect on the next ingest. Every change is audited with the window in the
metadata."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.encoders import jsonable_encoder
from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from noc_actors.domain.audit import AuditEntry
from noc_actors.domain.enums import AuditAction, Capability
from noc_actors.domain.errors import NotFound
from noc_actors.domain.maintenance import MaintenanceWindow
from noc_actors.store.repos import audit, maintenance
from noc_actors.store.rows import window_to_row
from serve_app.auth import deny
from serve_app.caller import Caller
from serve_app.context import AppContext
from serve_app.deps import Ctx, Viewer, requires
from serve_app.reloads import reload_clients
from serve_app.schemas import StrictModel
from serve_app.scoping import check_scope_target, public, sees_scoped

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/noc/maintenance", tags=["maintenance"])

Manager = Annotated[Caller, Depends(requires(Capability.MANAGE_MAINTENANCE))]
AlertTypeName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][A-Z0-9_]{0,63}$")
]
"""An alert type: an upper-case identifier (built-in or tenant-defined)."""


class WindowIn(StrictModel):
    """A window to create, or the full replacement of one (PUT).

    ``client_id`` None = every client of the tenant; ``site_id`` (a site of
    that client) None = every site; ``alert_types`` empty = every type."""

    client_id: str | None = Field(default=None, min_length=1, max_length=128)
    site_id: str | None = Field(default=None, min_length=1, max_length=128)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    alert_types: list[AlertTypeName] = Field(default_factory=list, max_length=50)
    reason: str = Field(default="", max_length=2000)

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if starts is not None and value <= starts:
            raise ValueError("must be after starts_at")
        return value


class WindowList(BaseModel):
    items: list[dict[str, Any]]


def _view(window: MaintenanceWindow, now: datetime | None = None) -> dict[str, Any]:
    """The window as JSON types, with whether it is active now."""
    data = window_to_row(window) | {"active": window.active(now or datetime.now(UTC))}
    return jsonable_encoder(data)  # type: ignore[no-any-return]


def _entry(caller: Caller, action: AuditAction, window_id: str, meta: dict[str, Any]) -> AuditEntry:
    return caller.audit_entry(action, "maintenance_window", window_id, meta)


async def _visible(ctx: AppContext, caller: Caller, window_id: str) -> MaintenanceWindow:
    """404 for none / deleted / another tenant's; 403 (audited) outside scope."""
    async with ctx.engine.connect() as db:
        window = await maintenance.get_window(db, tenant_id=caller.tenant_id, window_id=window_id)
    if window is None:
        raise NotFound("maintenance window", window_id)
    if not sees_scoped(caller, window.client_id, window.site_id):
        raise await deny(ctx, caller, "scope", "maintenance_window", window_id)
    return window


def _window(caller: Caller, body: WindowIn, window_id: str, created_by: str) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=window_id,
        tenant_id=caller.tenant_id,
        client_id=body.client_id,
        site_id=body.site_id,
        starts_at=body.starts_at.astimezone(UTC),
        ends_at=body.ends_at.astimezone(UTC),
        alert_types=frozenset(body.alert_types),
        reason=body.reason,
        created_by=created_by,
    )


@router.post("", status_code=201, summary="Create a maintenance window")
async def create_window(body: WindowIn, ctx: Ctx, caller: Manager) -> dict[str, Any]:
    await check_scope_target(ctx, caller, "maintenance_window", body.client_id, body.site_id)
    now = datetime.now(UTC)
    window = _window(caller, body, str(uuid.uuid4()), caller.user_id)
    view = _view(window, now)
    async with ctx.engine.begin() as db:
        await maintenance.create_window(db, window=window, now=now)
        entry = _entry(caller, AuditAction.MAINTENANCE_CREATE, window.id, {"window": view})
        await audit.append_audit(db, [entry])
    await reload_clients(ctx, caller.tenant_id, {window.client_id})
    return public(caller, view)


@router.put("/{window_id}", summary="Replace a maintenance window (full body)")
async def update_window(
    window_id: str, body: WindowIn, ctx: Ctx, caller: Manager
) -> dict[str, Any]:
    old = await _visible(ctx, caller, window_id)
    await check_scope_target(ctx, caller, "maintenance_window", old.client_id, old.site_id)
    await check_scope_target(ctx, caller, "maintenance_window", body.client_id, body.site_id)
    now = datetime.now(UTC)
    window = _window(caller, body, old.id, old.created_by or caller.user_id)
    view = _view(window, now)
    async with ctx.engine.begin() as db:
        if not await maintenance.update_window(db, window=window, now=now):
            raise NotFound("maintenance window", window_id)
        meta = {"window": view, "previous": _view(old, now)}
        await audit.append_audit(db, [_entry(caller, AuditAction.MAINTENANCE_UPDATE, old.id, meta)])
    await reload_clients(ctx, caller.tenant_id, {old.client_id, window.client_id})
    return public(caller, view)


@router.delete("/{window_id}", status_code=204, summary="Delete a maintenance window")
async def delete_window(window_id: str, ctx: Ctx, caller: Manager) -> Response:
    """Soft delete: the row stays for the audit trail and reports."""
    old = await _visible(ctx, caller, window_id)
    await check_scope_target(ctx, caller, "maintenance_window", old.client_id, old.site_id)
    now = datetime.now(UTC)
    async with ctx.engine.begin() as db:
        if not await maintenance.delete_window(
            db, tenant_id=caller.tenant_id, window_id=window_id, now=now
        ):
            raise NotFound("maintenance window", window_id)
        meta = {"window": _view(old, now)}
        await audit.append_audit(db, [_entry(caller, AuditAction.MAINTENANCE_DELETE, old.id, meta)])
    await reload_clients(ctx, caller.tenant_id, {old.client_id})
    return Response(status_code=204)


@router.get("", response_model=WindowList, summary="Maintenance windows (by start)")
async def list_windows(
    ctx: Ctx,
    caller: Viewer,
    client_id: Annotated[str | None, Query(max_length=128)] = None,
    current: bool = False,
) -> WindowList:
    """The windows the caller may see; ``client_id`` keeps those covering
    that client (its own and tenant-wide ones); ``current`` keeps active and
    upcoming ones."""
    now = datetime.now(UTC)
    async with ctx.engine.connect() as db:
        windows = await maintenance.list_windows(
            db,
            tenant_id=caller.tenant_id,
            client_id=client_id,
            ending_after=now if current else None,
        )
    return WindowList(
        items=[
            public(caller, _view(w, now))
            for w in windows
            if sees_scoped(caller, w.client_id, w.site_id)
        ]
    )


@router.get("/{window_id}", summary="One maintenance window")
async def get_window(window_id: str, ctx: Ctx, caller: Viewer) -> dict[str, Any]:
    return public(caller, _view(await _visible(ctx, caller, window_id)))
