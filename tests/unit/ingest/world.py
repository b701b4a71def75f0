"""A small tenant for the ingest tests: three clients (one disabled), two
sites, and callers as ``serve_app.auth`` would build them."""

from __future__ import annotations

from noc_actors.domain.access import Principal, Scope
from serve_app.caller import Caller, principal_of
from serve_app.directory import Directory

TENANT = "t1"
CLIENTS = [
    {"id": "mall", "name": "Harbour Mall", "enabled": True},
    {"id": "port", "name": "Port Authority", "enabled": True},
    {"id": "old", "name": "Closed Account", "enabled": False},
]
SITES = [
    {"id": "mall-n", "client_id": "mall"},
    {"id": "port-1", "client_id": "port"},
]


def caller_for(principal: Principal) -> Caller:
    directory = Directory.of(CLIENTS, SITES)
    infos = directory.client_infos()
    scope = Scope.for_principal(principal, infos, directory.site_client)
    visible = None if scope.is_all else scope.filter_client_ids(sorted(infos))
    return Caller(principal, "tok", "10.0.0.1", "test", "cid", scope, visible, directory)


def key_for(client_id: str | None) -> Caller:
    record = {"id": "k1", "tenant_id": TENANT, "client_id": client_id, "capabilities": []}
    return caller_for(principal_of(record))


ADMIN = caller_for(Principal("u-admin", TENANT, is_admin=True))
