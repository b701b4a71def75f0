"""Prometheus Alertmanager wire formats (API v2 and webhook payload version 4)
translated into alert drafts, and NOC alerts rendered back the way
Alertmanager 0.25 shows them (so Prometheus, amtool and dashboards can talk
to the NOC). Pure: times come in as ``now``.

Labels and annotations map to an alert like this:

=============  ===============================================================
Alert field    Taken from
=============  ===============================================================
client         label ``client``, else ``client_id`` (a reference: id or name)
site           label ``site``, else ``site_id``
severity       label ``severity``, case-insensitive:
               critical crit page emergency fatal disaster -> CRITICAL;
               error high major -> HIGH;
               warning warn medium minor average -> MEDIUM; low -> LOW;
               info informational notice debug none -> INFO;
               missing or other -> MEDIUM (an unknown value is kept in
               metadata ``severity_label``)
alert_type     label ``alertname`` (first 64 characters), else PrometheusAlert
message        annotation ``summary``, else ``description``, else ``message``,
               else the alert type (first 2,000 characters)
entity         (``instance``, label instance), else (``job``, label job),
               else none
dedup_key      ``am:<client id>:<fingerprint>`` (Prometheus label-set hash)
metadata       labels, annotations, generator_url, starts_at, ends_at,
               fingerprint
=============  ===============================================================

An ``endsAt`` at or before ``now`` means resolved, as does webhook status
``resolved``; a missing ``endsAt`` (or the Go zero time
``0001-01-01T00:00:00Z``, which amtool sends) means firing. Labels with an
empty value do not exist (as in Prometheus) and are dropped.

The Alertmanager integration is spread over small modules, all re-exported
here (``serve_app.routes.alertmanager`` imports from this one):

* ``am_identity`` — label fingerprint, dedup key, source tag;
* ``am_wire`` — the wire models and their limits;
* this module — the mapping of the table above;
* ``am_render`` — GettableAlert, status document, time format;
* ``matchers`` — the ``filter`` label matchers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.integrations.am_identity import SOURCE, dedup_key, fingerprint
from noc_actors.domain.integrations.am_render import AM_VERSION as AM_VERSION
from noc_actors.domain.integrations.am_render import RECEIVER as RECEIVER
from noc_actors.domain.integrations.am_render import RESOLVE_TIMEOUT as RESOLVE_TIMEOUT
from noc_actors.domain.integrations.am_render import (
    format_time,
    gettable_alert,
    status_document,
)
from noc_actors.domain.integrations.am_wire import GO_ZERO_TIME as GO_ZERO_TIME
from noc_actors.domain.integrations.am_wire import (
    PostableAlert,
    WebhookAlert,
    WebhookPayload,
    parse_postable,
)
from noc_actors.domain.integrations.matchers import MAX_MATCHERS as MAX_MATCHERS
from noc_actors.domain.integrations.matchers import Matcher, parse_matchers
from noc_actors.domain.limits import MAX_FUTURE

__all__ = [
    "SOURCE",
    "AmAlert",
    "Matcher",
    "PostableAlert",
    "WebhookAlert",
    "WebhookPayload",
    "dedup_key",
    "fingerprint",
    "format_time",
    "from_postable",
    "from_webhook",
    "gettable_alert",
    "parse_matchers",
    "parse_postable",
    "status_document",
]

ALERT_TYPE_MAX = 64
MESSAGE_MAX = 2000
ENTITY_ID_MAX = 255
DEFAULT_ALERT_TYPE = "PrometheusAlert"

_SEVERITY: dict[str, Severity] = {
    **dict.fromkeys(
        ("critical", "crit", "page", "emergency", "fatal", "disaster"), Severity.CRITICAL
    ),
    **dict.fromkeys(("error", "high", "major"), Severity.HIGH),
    **dict.fromkeys(("warning", "warn", "medium", "minor", "average"), Severity.MEDIUM),
    "low": Severity.LOW,
    **dict.fromkeys(("info", "informational", "notice", "debug", "none"), Severity.INFO),
}


def map_severity(label: str | None) -> Severity | None:
    """The NOC severity of a ``severity`` label value; None if unknown."""
    if label is None:
        return Severity.MEDIUM
    return _SEVERITY.get(label.strip().lower())


@dataclass(frozen=True, slots=True)
class AmAlert:
    """An Alertmanager alert, mapped (see the module table)."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str | None
    fingerprint: str
    client_ref: str | None
    site_ref: str | None
    severity: Severity
    alert_type: str
    message: str
    entity_type: str | None
    entity_id: str | None
    metadata: dict[str, Any]
    webhook_status: str | None = None

    def resolved(self, now: datetime) -> bool:
        """Webhook status ``resolved``, or ``endsAt`` at or before ``now``."""
        if self.webhook_status == "resolved":
            return True
        return self.ends_at is not None and self.ends_at <= now

    def draft(self, tenant_id: str, client_id: str, site_id: str | None) -> AlertDraft:
        return AlertDraft(
            tenant_id=tenant_id,
            client_id=client_id,
            alert_type=self.alert_type,
            message=self.message,
            severity=self.severity,
            site_id=site_id,
            entity_type=self.entity_type,
            entity_id=self.entity_id,
            metadata=dict(self.metadata),
            dedup_key=dedup_key(client_id, self.fingerprint),
            source=SOURCE,
            observed_at=self.starts_at,
        )


def _first(values: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = values.get(name, "").strip()
        if value:
            return value
    return None


def _build(
    labels: dict[str, str],
    annotations: dict[str, str],
    starts_at: datetime | None,
    ends_at: datetime | None,
    generator_url: str | None,
    fp: str,
    now: datetime,
    index: int,
    webhook_status: str | None = None,
) -> AmAlert:
    if starts_at is not None and starts_at > now + MAX_FUTURE:
        raise InvalidInput(
            "startsAt", f"{format_time(starts_at)} is more than 1 hour in the future", item=index
        )
    alert_type = (_first(labels, "alertname") or DEFAULT_ALERT_TYPE)[:ALERT_TYPE_MAX]
    message = _first(annotations, "summary", "description", "message") or alert_type
    entity_type, entity_id = next(
        ((name, labels[name][:ENTITY_ID_MAX]) for name in ("instance", "job") if labels.get(name)),
        (None, None),
    )
    severity_label = labels.get("severity")
    severity = map_severity(severity_label)
    metadata: dict[str, Any] = {
        "labels": dict(labels),
        "annotations": dict(annotations),
        "generator_url": generator_url or None,
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": ends_at.isoformat() if ends_at else None,
        "fingerprint": fp,
    }
    if severity is None:
        metadata["severity_label"] = severity_label
    return AmAlert(
        labels=dict(labels),
        annotations=dict(annotations),
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=generator_url or None,
        fingerprint=fp,
        client_ref=_first(labels, "client", "client_id"),
        site_ref=_first(labels, "site", "site_id"),
        severity=severity or Severity.MEDIUM,
        alert_type=alert_type,
        message=message[:MESSAGE_MAX],
        entity_type=entity_type,
        entity_id=entity_id,
        metadata=metadata,
        webhook_status=webhook_status,
    )


def from_postable(alert: PostableAlert, now: datetime, index: int) -> AmAlert:
    """Map one posted alert; ``index`` is its place in the batch (for errors)."""
    a = alert
    fp = fingerprint(a.labels)
    return _build(a.labels, a.annotations, a.startsAt, a.endsAt, a.generatorURL, fp, now, index)


def from_webhook(alert: WebhookAlert, now: datetime, index: int) -> AmAlert:
    """Map one webhook alert, keeping Alertmanager's fingerprint if it sent one."""
    a = alert
    fp = a.fingerprint or fingerprint(a.labels)
    return _build(
        a.labels, a.annotations, a.startsAt, a.endsAt, a.generatorURL, fp, now, index, a.status
    )
