"""SPEC 3: maintenance windows match by client, site, type and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from noc_actors.domain.maintenance import (
    MaintenanceWindow,
    client_under_full_maintenance,
    covering_window,
)

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_window_is_active_from_its_start_up_to_but_not_at_its_end() -> None:
    w = MaintenanceWindow("w", "t1", T0, T0 + H)
    assert not w.active(T0 - timedelta(seconds=1))
    assert w.active(T0)
    assert w.active(T0 + H - timedelta(seconds=1))
    assert not w.active(T0 + H)


def test_window_for_all_clients_covers_every_client_of_its_tenant_only() -> None:
    w = MaintenanceWindow("w", "t1", T0, T0 + H)
    assert w.covers("t1", "c1", None, "X", T0)
    assert w.covers("t1", "c9", "s1", "X", T0)
    assert not w.covers("t2", "c1", None, "X", T0)


def test_site_window_does_not_cover_alerts_without_a_site_or_of_other_sites() -> None:
    w = MaintenanceWindow("w", "t1", T0, T0 + H, client_id="c1", site_id="s1")
    assert w.covers("t1", "c1", "s1", "X", T0)
    assert not w.covers("t1", "c1", "s2", "X", T0)
    assert not w.covers("t1", "c1", None, "X", T0)


def test_typed_window_covers_only_its_types() -> None:
    w = MaintenanceWindow("w", "t1", T0, T0 + H, alert_types=frozenset({"DEVICE_OFFLINE"}))
    assert covering_window([w], "t1", "c1", None, "DEVICE_OFFLINE", T0) is w
    assert covering_window([w], "t1", "c1", None, "SLA_BREACH", T0) is None


def test_full_maintenance_means_whole_client_every_type() -> None:
    full = MaintenanceWindow("w", "t1", T0, T0 + H, client_id="c1")
    partial = MaintenanceWindow("p", "t1", T0, T0 + H, client_id="c2", site_id="s1")
    assert client_under_full_maintenance([full, partial], "t1", "c1", T0)
    assert not client_under_full_maintenance([full, partial], "t1", "c2", T0)
    assert not client_under_full_maintenance([full], "t1", "c1", T0 + H)
