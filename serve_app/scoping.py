"""Scope applied to queries and single objects: what a caller may see."""

from __future__ import annotations

from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.errors import NotFound
from noc_actors.domain.masking import mask_unless
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
