"""The filters a list and its CSV export share, as one query-parameter model
each (``Annotated[AlertFilter, Query()]``): the same names, types and limits
on both routes, narrowed to the caller's scope in one place.

Times must carry a timezone (422 naming the field otherwise); a requested
client or site outside the caller's scope is dropped — the caller gets less,
never more."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from noc_actors.domain.enums import AlertStatus, AuditAction, IncidentState, Severity
from noc_actors.domain.iso_time import IsoDatetime
from serve_app.caller import Caller
from serve_app.scoping import client_filter, site_filter

Ids = Annotated[list[str], Field(max_length=128)]


class Filter(BaseModel):
    since: IsoDatetime | None = Field(default=None, description="Inclusive.")
    until: IsoDatetime | None = Field(default=None, description="Exclusive.")

    def given(self) -> dict[str, Any]:
        """The filters set, as JSON (what an export's audit row records)."""
        data = self.model_dump(
            mode="json", exclude_none=True, exclude_defaults=True, exclude={"limit", "cursor"}
        )
        return {k: v for k, v in data.items() if v != []}


class AlertQuery(TypedDict):
    """Keyword arguments of ``store.repos.alert_queries.query_alerts``."""

    tenant_id: str
    client_ids: list[str] | None
    site_ids: list[str] | None
    status: list[str] | None
    severity: list[str] | None
    alert_type: list[str] | None
    since: datetime | None
    until: datetime | None
    shelved: str


Shelved = Literal["include", "exclude", "only"]


class AlertFilter(Filter):
    """What alerts are searched and exported by (on ``first_seen``)."""

    status: list[AlertStatus] | None = None
    severity: list[Severity] | None = None
    alert_type: Annotated[list[str], Field(max_length=64)] | None = None
    client_id: Ids | None = None
    site_id: Ids | None = None
    shelved: Shelved = Field(
        default="include",
        description="Alerts on a shelf now: include them, exclude them, or only them.",
    )

    def query(self, caller: Caller) -> AlertQuery:
        sites = site_filter(caller)
        if self.site_id:
            sites = [s for s in self.site_id if sites is None or s in sites]
        return {
            "tenant_id": caller.tenant_id,
            "client_ids": client_filter(caller, self.client_id),
            "site_ids": sites,
            "status": [s.value for s in self.status] if self.status else None,
            "severity": [s.value for s in self.severity] if self.severity else None,
            "alert_type": self.alert_type,
            "since": self.since,
            "until": self.until,
            "shelved": self.shelved,
        }


class AlertSearch(AlertFilter):
    """``GET /api/noc/alerts``: the filter plus a keyset page. Alerts on a
    shelf are left out unless asked for (the default board hides them)."""

    shelved: Shelved = Field(
        default="exclude",
        description="Alerts on a shelf now: exclude them (the default), include, or only them.",
    )
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=512)


class IncidentQuery(TypedDict):
    """Keyword arguments of ``store.repos.incidents.list_incidents``."""

    tenant_id: str
    client_ids: list[str] | None
    state: list[str] | None
    since: datetime | None
    until: datetime | None


class IncidentFilter(Filter):
    """What incidents are listed and exported by (on ``created_at``)."""

    state: list[IncidentState] | None = None
    client_id: Ids | None = None

    def query(self, caller: Caller) -> IncidentQuery:
        return {
            "tenant_id": caller.tenant_id,
            "client_ids": client_filter(caller, self.client_id),
            "state": [s.value for s in self.state] if self.state else None,
            "since": self.since,
            "until": self.until,
        }


class IncidentSearch(IncidentFilter):
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=512)


class AuditQuery(TypedDict):
    """Keyword arguments of ``store.repos.audit.query_audit``."""

    tenant_id: str
    action: list[str] | None
    actor_id: str | None
    entity_type: str | None
    entity_id: str | None
    since: datetime | None
    until: datetime | None
    scope_clients: list[str] | None
    scope_sites: list[str] | None
    reader_id: str | None


class AuditFilter(Filter):
    """What the audit log is searched and exported by (tenant-wide, on ``at``)."""

    action: list[AuditAction] | None = None
    actor_id: str | None = Field(default=None, max_length=128)
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=255)

    def query(self, caller: Caller) -> AuditQuery:
        clients, sites, reader = audit_scope(caller)
        return {
            "tenant_id": caller.tenant_id,
            "action": [a.value for a in self.action] if self.action else None,
            "actor_id": self.actor_id,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "since": self.since,
            "until": self.until,
            "scope_clients": clients,
            "scope_sites": sites,
            "reader_id": reader,
        }


def audit_scope(caller: Caller) -> tuple[list[str] | None, list[str] | None, str | None]:
    """``(clients, sites, reader)``: the audit rows a reader may see (SPEC
    section 2: every read is filtered by scope) — every row for one who sees
    every client (all None); else those about its clients (sites) and its
    own actions."""
    sites = caller.scope.sites
    if caller.visible_client_ids is None and sites is None:
        return None, None, None
    clients = caller.visible_client_ids
    if clients is None:
        clients = list(caller.directory.clients)
    return list(clients), None if sites is None else sorted(sites), caller.user_id


class AuditSearch(AuditFilter):
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=512)
