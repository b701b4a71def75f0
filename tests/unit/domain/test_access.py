"""SPEC 2: capabilities (RBAC) and per-user scope."""

from __future__ import annotations

import pickle

import pytest

from noc_actors.domain.access import ALL, ClientInfo, Principal, Scope, visible_clients
from noc_actors.domain.enums import Capability as C
from noc_actors.domain.errors import PermissionDenied

CLIENTS = {
    "c1": ClientInfo("c1", name="Acme"),
    "c2": ClientInfo("c2", name="Globex"),
    "c3": ClientInfo("c3", enabled=False, name="Gone Ltd"),
}
SITES = {"s1": "c1", "s2": "c1", "s3": "c2", "s9": "c3"}


def user(
    *caps: str, clients: tuple[str, ...] = (), sites: tuple[str, ...] = (), **kw: object
) -> Principal:
    return Principal(
        user_id="u1",
        tenant_id="t1",
        capabilities={c: True for c in caps},
        assigned_client_ids=frozenset(clients),
        assigned_site_ids=frozenset(sites),
        **kw,  # type: ignore[arg-type]
    )


def scope(p: Principal) -> Scope:
    return Scope.for_principal(p, CLIENTS, SITES)


def test_capability_stored_as_false_is_not_granted() -> None:
    p = Principal("u1", "t1", capabilities={C.VIEW: True, C.ACK_ALERTS: False})
    assert p.has(C.VIEW)
    assert not p.has(C.ACK_ALERTS)
    with pytest.raises(PermissionDenied) as exc:
        p.require(C.ACK_ALERTS)
    assert exc.value.capability == "noc:ack_alerts"


def test_only_literal_true_grants_a_capability() -> None:
    p = Principal("u1", "t1", capabilities={C.VIEW: True, C.EXPORT: "false"})  # type: ignore[dict-item]
    assert not p.has(C.EXPORT)


def test_every_capability_requires_noc_view_first() -> None:
    p = user(C.ACK_ALERTS, C.VIEW_ALL_CLIENTS)
    assert not p.has(C.ACK_ALERTS)
    assert visible_clients(p, CLIENTS, SITES) == frozenset()
    assert scope(p).allows_alert("t1", "c1", "s1") is False


def test_ingest_key_needs_no_noc_view() -> None:
    key = user(C.INGEST)
    assert key.has(C.INGEST)
    assert not key.has(C.VIEW)


def test_admin_has_every_capability_within_its_tenant() -> None:
    admin = Principal("a1", "t1", is_admin=True)
    assert admin.granted() == frozenset(c.value for c in C)
    admin.require(C.CONFIGURE)
    assert scope(admin).allows_alert("t1", "c2", None)
    assert not scope(admin).allows_alert("t2", "c2", None)


def test_admin_still_sees_disabled_clients_for_history() -> None:
    admin = Principal("a1", "t1", is_admin=True)
    s = scope(admin)
    assert s.allows_client("c3")
    assert s.overview_clients(CLIENTS) == ["c1", "c2"]


def test_view_all_clients_sees_every_enabled_client_and_future_ones() -> None:
    s = scope(user(C.VIEW, C.VIEW_ALL_CLIENTS))
    assert visible_clients(user(C.VIEW, C.VIEW_ALL_CLIENTS), CLIENTS) is ALL
    assert s.allows_client("c1") and s.allows_client("c2")
    assert s.allows_client("c-created-later")
    assert not s.allows_client("c3")
    assert s.overview_clients(CLIENTS) == ["c1", "c2"]


def test_view_client_sees_only_assigned_clients() -> None:
    p = user(C.VIEW, C.VIEW_CLIENT, clients=("c2", "c3", "unknown"))
    assert visible_clients(p, CLIENTS, SITES) == frozenset({"c2"})
    s = scope(p)
    assert s.allows_alert("t1", "c2", None)
    assert s.allows_alert("t1", "c2", "s3")
    assert not s.allows_alert("t1", "c1", "s1")
    assert not s.allows_client("c3")


def test_view_client_with_no_assignments_does_not_fall_through_to_sites() -> None:
    p = user(C.VIEW, C.VIEW_CLIENT, C.VIEW_ASSIGNED_SITES, sites=("s1",))
    assert visible_clients(p, CLIENTS, SITES) == frozenset()
    assert not scope(p).allows_alert("t1", "c1", "s1")


def test_assigned_sites_user_sees_the_clients_of_its_sites() -> None:
    p = user(C.VIEW, C.VIEW_ASSIGNED_SITES, sites=("s1", "s9", "s-unknown"))
    assert visible_clients(p, CLIENTS, SITES) == frozenset({"c1"})


def test_assigned_sites_user_sees_only_alerts_of_its_sites() -> None:
    s = scope(user(C.VIEW, C.VIEW_ASSIGNED_SITES, sites=("s1",)))
    assert s.allows_alert("t1", "c1", "s1")
    assert not s.allows_alert("t1", "c1", "s2")
    assert not s.allows_alert("t1", "c1", None)
    assert s.allows_client("c1")


def test_assigned_site_of_disabled_client_is_not_visible() -> None:
    s = scope(user(C.VIEW, C.VIEW_ASSIGNED_SITES, sites=("s9",)))
    assert not s.allows_alert("t1", "c3", "s9")
    assert s.is_empty


def test_view_alone_sees_no_client() -> None:
    p = user(C.VIEW)
    assert visible_clients(p, CLIENTS, SITES) == frozenset()
    assert scope(p).is_empty


def test_cross_tenant_alert_is_never_visible() -> None:
    s = scope(user(C.VIEW, C.VIEW_ALL_CLIENTS))
    assert not s.allows_alert("t2", "c1", "s1")


def test_empty_inputs_give_an_empty_scope() -> None:
    p = user(C.VIEW, C.VIEW_ASSIGNED_SITES, sites=("s1",))
    assert Scope.for_principal(p, {}, None).is_empty
    assert Scope.nothing("t1").filter_client_ids(["c1"]) == []


def test_filter_client_ids_keeps_order() -> None:
    s = scope(user(C.VIEW, C.VIEW_CLIENT, clients=("c1", "c2")))
    assert s.filter_client_ids(["c2", "c3", "c1"]) == ["c2", "c1"]


def test_principal_and_scope_survive_pickling() -> None:
    p = user(C.VIEW, C.VIEW_ALL_CLIENTS)
    s = scope(p)
    assert pickle.loads(pickle.dumps(p)) == p
    s2 = pickle.loads(pickle.dumps(s))
    assert s2 == s and s2.clients is ALL


def test_principal_copies_its_capabilities() -> None:
    caps = {C.VIEW.value: True}
    p = Principal("u1", "t1", capabilities=caps)
    caps[C.EXPORT.value] = True
    assert not p.has(C.EXPORT)
