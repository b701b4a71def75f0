"""Conversion between table rows and domain objects.

Rows go in as plain dicts keyed by column name (what ``insert().values`` and
executemany want) and come out as SQLAlchemy ``Row`` objects; these functions
are the only place that knows how the two shapes differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy.engine import Row

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.maintenance import MaintenanceWindow

ALERT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Alert))
WINDOW_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MaintenanceWindow))


def as_dict(row: Row[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """A row (or mapping) as a plain ``dict`` keyed by column name."""
    if isinstance(row, Row):
        return dict(row._mapping)
    return dict(row)


def alert_to_row(alert: Alert) -> dict[str, Any]:
    """The ``alerts`` row of an alert, including derived durations.

    ``escalation_fence`` is not part of the alert: it is only ever written by
    ``claim_escalation`` and ``update_alerts`` (see repos.alerts)."""
    row = {name: getattr(alert, name) for name in ALERT_FIELDS}
    row["severity"] = str(alert.severity.value)
    row["status"] = str(alert.status.value)
    row["metadata"] = dict(alert.metadata)
    row["time_to_ack"] = alert.time_to_ack
    row["time_to_resolve"] = alert.time_to_resolve
    return row


def row_to_alert(row: Row[Any] | Mapping[str, Any]) -> Alert:
    """The alert of an ``alerts`` row; extra columns are ignored."""
    data = row._mapping if isinstance(row, Row) else row
    values = {name: data[name] for name in ALERT_FIELDS}
    values["severity"] = Severity(values["severity"])
    values["status"] = AlertStatus(values["status"])
    values["metadata"] = dict(values["metadata"] or {})
    return Alert(**values)


def window_to_row(window: MaintenanceWindow) -> dict[str, Any]:
    """The ``maintenance_windows`` columns of a window (without bookkeeping
    timestamps, which the repository sets). Types are stored sorted."""
    row = {name: getattr(window, name) for name in WINDOW_FIELDS}
    row["alert_types"] = sorted(window.alert_types)
    return row


def row_to_window(row: Row[Any] | Mapping[str, Any]) -> MaintenanceWindow:
    """The window of a ``maintenance_windows`` row; extra columns are ignored."""
    data = row._mapping if isinstance(row, Row) else row
    values = {name: data[name] for name in WINDOW_FIELDS}
    values["alert_types"] = frozenset(values["alert_types"] or ())
    return MaintenanceWindow(**values)
