"""Every broadcast is filtered by the user's scope: a site-scoped user never
gets another site's event, tenant-wide events reach the whole tenant,
unsubscribed clients are silent, hub markers never reach a socket."""

from __future__ import annotations

from typing import Any

from noc_actors.domain.access import ALL, Scope
from noc_actors.domain.hub_events import is_dashboard_event
from serve_app.ws.filtering import EventFilter

T = "t1"


def ev(kind: str, client: str | None = "c1", site: str | None = "s1", tenant: str = T) -> Any:
    return {"type": kind, "tenant_id": tenant, "client_id": client, "site_id": site, "seq": 1}


def everyone() -> EventFilter:
    return EventFilter(Scope(T, ALL))


def site_guard() -> EventFilter:
    return EventFilter(Scope(T, frozenset({"c1"}), frozenset({"s1"})))


def test_site_scoped_user_gets_only_its_sites_alerts_and_incidents() -> None:
    f = site_guard()
    assert f.allows(ev("alert_new"))
    assert f.allows(ev("incident_updated"))
    assert not f.allows(ev("alert_new", site="s2"))
    assert not f.allows(ev("alert_updated", site=None))
    assert not f.allows(ev("alert_new", client="c2", site="s9"))


def test_client_wide_metrics_go_only_to_users_who_see_the_whole_client() -> None:
    assert everyone().allows(ev("metrics_update", site=None))
    assert not site_guard().allows(ev("metrics_update", site=None))
    assert EventFilter(Scope(T, frozenset({"c1"}))).allows(ev("metrics_update", site=None))
    assert not EventFilter(Scope(T, frozenset({"c2"}))).allows(ev("metrics_update", site=None))


def test_tenant_wide_events_reach_every_socket_of_the_tenant_only() -> None:
    bp = ev("backpressure", client=None, site=None)
    assert everyone().allows(bp) and site_guard().allows(bp)
    assert not everyone().allows(ev("backpressure", client=None, site=None, tenant="t2"))
    assert not everyone().allows(ev("alert_new", tenant="t2"))


def test_unsubscribed_clients_are_silent_and_hidden_clients_never_heard() -> None:
    f = everyone()
    f.unsubscribed.add("c1")
    assert not f.allows(ev("alert_new"))
    assert f.allows(ev("alert_new", client="c2"))
    assert f.subscribed(["c1", "c2"]) == ["c2"]
    hidden = EventFilter(Scope(T, ALL, hidden_clients=frozenset({"c3"})))
    assert not hidden.allows(ev("alert_new", client="c3"))
    assert not hidden.may_subscribe("c3") and hidden.may_subscribe("c1")


def test_hub_markers_and_unknown_types_are_never_forwarded() -> None:
    for kind in ("subscribed", "overflow", "secret_internal", ""):
        assert not is_dashboard_event({"type": kind})
        assert not everyone().allows(ev(kind))
    assert not is_dashboard_event({})
