"""NOC alerts rendered the way Alertmanager 0.25 shows them: the v2
GettableAlert of ``GET /api/v2/alerts``, the ``GET /api/v2/status`` document
and Alertmanager's time format. Pure: times come in as ``now``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from noc_actors.domain.enums import AlertStatus
from noc_actors.domain.integrations.am_identity import SOURCE, fingerprint

__all__ = ["format_time", "gettable_alert", "status_document"]

RECEIVER = "noc"
AM_VERSION = "0.25.0"
RESOLVE_TIMEOUT = timedelta(minutes=5)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager's API prints times."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _str_map(value: Any, keep_empty: bool = False) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    return {str(k): v for k, v in value.items() if isinstance(v, str) and (v or keep_empty)}


def gettable_alert(alert: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Render a stored alert (``Alert.to_json()``) as an Alertmanager v2
    GettableAlert, keys in the order Alertmanager 0.25 writes them.

    Alerts that did not come from Alertmanager (``source``) get synthesized labels
    (alertname, severity, client, site, alert_id). An open alert never times
    out here, so its ``endsAt`` is always ``RESOLVE_TIMEOUT`` ahead of ``now``."""
    from_am = alert.get("source", SOURCE) == SOURCE
    meta = (alert.get("metadata") or {}) if from_am else {}
    labels = _str_map(meta.get("labels"))
    if not labels:
        synth = {
            "alertname": alert.get("alert_type"),
            "severity": str(alert.get("severity") or "").lower(),
            "client": alert.get("client_id"),
            "site": alert.get("site_id"),
            "alert_id": alert.get("id"),
        }
        labels = {k: str(v) for k, v in synth.items() if v}
    annotations = _str_map(meta.get("annotations"), keep_empty=True)
    if annotations is None:
        annotations = {"summary": str(alert.get("message") or "")}
    fp = meta.get("fingerprint")
    if not (isinstance(fp, str) and fp and meta.get("labels") == labels):
        fp = fingerprint(labels)
    starts = _time(alert.get("first_seen")) or now
    updated = _time(alert.get("last_seen")) or starts
    ends = _time(alert.get("resolved_at")) or now + RESOLVE_TIMEOUT
    suppressed = alert.get("status") == AlertStatus.SUPPRESSED
    rendered: dict[str, Any] = {
        "annotations": annotations,
        "endsAt": format_time(ends),
        "fingerprint": fp,
        "receivers": [{"name": RECEIVER}],
        "startsAt": format_time(starts),
        "status": {
            "inhibitedBy": [],
            "silencedBy": [],
            "state": "suppressed" if suppressed else "active",
        },
        "updatedAt": format_time(updated),
    }
    if meta.get("generator_url"):
        rendered["generatorURL"] = str(meta["generator_url"])
    rendered["labels"] = labels
    return rendered


_CONFIG_YAML = f"""global:
  resolve_timeout: {int(RESOLVE_TIMEOUT.total_seconds() // 60)}m
route:
  receiver: {RECEIVER}
receivers:
- name: {RECEIVER}
templates: []
"""


def status_document(uptime_since: datetime, now: datetime) -> dict[str, Any]:
    """``GET /api/v2/status`` as Alertmanager 0.25 answers it with clustering
    off. ``uptime`` is the start time (not a duration), as in Alertmanager."""
    return {
        "cluster": {"peers": [], "status": "disabled"},
        "config": {"original": _CONFIG_YAML},
        "uptime": format_time(min(uptime_since, now)),
        "versionInfo": {
            "branch": "noc",
            "buildDate": "",
            "buildUser": "noc",
            "goVersion": "none",
            "revision": "noc",
            "version": AM_VERSION,
        },
    }
