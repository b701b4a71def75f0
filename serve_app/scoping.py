"""Scope applied to queries and single objects: what a caller may see."""

from __future__ import annotations

from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.errors import InvalidInput, NotFound
from noc_actors.domain.masking import mask_unless
from noc_actors.store.repos import clients
from noc_actors.store.repos.reports import ReportScope
from serve_app.auth import deny
from serve_app.caller import Caller
from serve_app.context import AppContext


def client_filter(caller: Caller, requested: list[str] | None) -> list[str] | None:
    """Client ids to restrict a query to (None = every client of the tenant).
    Requested ids outside the scope are dropped: the caller gets less, never
    more."""
    if requested:
        return caller.scope.filter_client_ids(requested)
    return caller.visible_client_ids


def site_filter(caller: Caller) -> list[str] | None:
    sites = caller.scope.sites
    return None if sites is None else sorted(sites)


async def visible_alert(
    ctx: AppContext, caller: Caller, alert: Alert | None, alert_id: str
) -> Alert:
    """The alert if the caller may see it: 404 for none / another tenant's,
    403 (audited) for one outside the caller's scope."""
    if alert is None or not caller.principal.same_tenant(alert.tenant_id):
        raise NotFound("alert", alert_id)
    if not caller.scope.allows_alert(alert.tenant_id, alert.client_id, alert.site_id):
        raise await deny(ctx, caller, "scope", "alert", alert_id)
    return alert


def public(caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """A response object, PII-masked unless the caller holds noc:view_pii."""
    return mask_unless(caller.sees_pii, data)  # type: ignore[no-any-return]


def report_scope(caller: Caller) -> ReportScope:
    """The caller's scope for aggregate reads: its tenant, visible clients
    and (site-only users) sites."""
    return ReportScope(caller.tenant_id, caller.visible_client_ids, site_filter(caller))


def sees_scoped(caller: Caller, client_id: str | None, site_id: str | None) -> bool:
    """Whether an object scoped to a tenant (no client), a client or a site
    of it (a maintenance window, an on-call schedule) can touch something
    the caller sees: a tenant-wide one always does."""
    if client_id is None:
        return True
    if not caller.scope.allows_client(client_id):
        return False
    sites = caller.scope.sites
    return sites is None or site_id is None or site_id in sites


async def check_scope_target(
    ctx: AppContext,
    caller: Caller,
    entity: str,
    client_id: str | None,
    site_id: str | None,
) -> None:
    """May the caller configure an ``entity`` for this tenant / client /
    site? Unknown ids are 422 naming the field; targets outside the caller's
    scope are 403 (audited); tenant-wide needs a caller who sees every
    client."""
    if client_id is None:
        if site_id is not None:
            raise InvalidInput("site_id", "a site needs its client_id")
        if not caller.scope.is_all:
            raise await deny(ctx, caller, "scope", entity, "all clients")
        return
    async with ctx.engine.connect() as db:
        client = await clients.get_client(db, tenant_id=caller.tenant_id, client_id=client_id)
        site = (
            await clients.get_site(db, tenant_id=caller.tenant_id, site_id=site_id)
            if site_id is not None
            else None
        )
    if client is None:
        raise InvalidInput("client_id", f"unknown client {client_id!r}")
    if not caller.scope.allows_client(client_id):
        raise await deny(ctx, caller, "scope", "client", client_id)
    if site_id is not None and (site is None or site["client_id"] != client_id):
        raise InvalidInput("site_id", f"{site_id!r} is not a site of client {client_id!r}")
    sites = caller.scope.sites
    if sites is not None and site_id not in sites:
        raise await deny(ctx, caller, "scope", "site", site_id or client_id)
