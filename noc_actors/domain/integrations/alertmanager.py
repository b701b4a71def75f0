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
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from noc_actors.domain.draft import AlertDraft
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.events import _aware_utc

__all__ = [
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

SOURCE = "alertmanager"
RECEIVER = "noc"
AM_VERSION = "0.25.0"
MAX_BATCH = 5000
MAX_LABELS = 64
LABEL_NAME_MAX = 256
LABEL_VALUE_MAX = 1024
ANNOTATION_VALUE_MAX = 8192
GENERATOR_URL_MAX = 2048
ALERT_TYPE_MAX = 64
MESSAGE_MAX = 2000
ENTITY_ID_MAX = 255
DEFAULT_ALERT_TYPE = "PrometheusAlert"
FUTURE_SKEW = timedelta(hours=1)
RESOLVE_TIMEOUT = timedelta(minutes=5)
GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = b"\xff"


def fingerprint(labels: Mapping[str, str]) -> str:
    """Prometheus' ``LabelSet.Fingerprint()`` (FNV-1a 64 over the sorted
    names, each ``name 0xff value 0xff``) as Alertmanager prints it (%016x).
    The empty set hashes to the FNV offset basis."""
    h = _FNV_OFFSET
    for name in sorted(labels):
        for byte in name.encode() + _SEPARATOR + labels[name].encode() + _SEPARATOR:
            h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return f"{h:016x}"


def dedup_key(client_id: str, fp: str) -> str:
    """The NOC dedup key of an Alertmanager alert of one client."""
    return f"am:{client_id}:{fp}"


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as Alertmanager's API prints times."""
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


# --- wire models -------------------------------------------------------------


def _am_time(value: datetime | None) -> datetime | None:
    """Aware UTC; the Go zero time means "not set"."""
    if value is None:
        return None
    try:
        utc = _aware_utc(value)
    except OverflowError:
        raise ValueError("datetime is out of range") from None
    return None if utc == GO_ZERO_TIME else utc


AmTime = Annotated[datetime | None, AfterValidator(_am_time)]
LabelName = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$", max_length=LABEL_NAME_MAX)
]
Labels = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(max_length=LABEL_VALUE_MAX)]],
    Field(max_length=MAX_LABELS),
]
Annotations = Annotated[
    dict[LabelName, Annotated[str, StringConstraints(max_length=ANNOTATION_VALUE_MAX)]],
    Field(max_length=MAX_LABELS),
]
GeneratorUrl = Annotated[str, StringConstraints(max_length=GENERATOR_URL_MAX)]


def _labels_present(value: dict[str, str]) -> dict[str, str]:
    present = {k: v for k, v in value.items() if v != ""}
    if not present:
        raise ValueError("at least one label with a non-empty value is required")
    return present


def _not_before_start(value: datetime | None, info: ValidationInfo) -> datetime | None:
    start = info.data.get("startsAt")
    if value is not None and start is not None and value < start:
        raise ValueError("endsAt must not be before startsAt")
    return value


class PostableAlert(BaseModel):
    """One alert of ``POST /api/v2/alerts``; only ``labels`` is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: Labels
    annotations: Annotations = Field(default_factory=dict)
    startsAt: AmTime = None
    endsAt: AmTime = None
    generatorURL: GeneratorUrl | None = None

    _labels = field_validator("labels")(_labels_present)
    _ends = field_validator("endsAt")(_not_before_start)


POSTABLE_BATCH_ADAPTER: TypeAdapter[list[PostableAlert]] = TypeAdapter(
    Annotated[list[PostableAlert], Field(max_length=MAX_BATCH)]
)


def parse_postable(data: Any) -> list[PostableAlert]:
    """Validate a ``POST /api/v2/alerts`` body (a JSON array, at most 5,000)."""
    return POSTABLE_BATCH_ADAPTER.validate_python(data)


class WebhookAlert(BaseModel):
    """One alert of a webhook notification. Unknown fields are ignored, so a
    newer Alertmanager that adds fields keeps working."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Annotations = Field(default_factory=dict)
    startsAt: AmTime = None
    endsAt: AmTime = None
    generatorURL: GeneratorUrl | None = None
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{1,32}$")] | None = None

    _labels = field_validator("labels")(_labels_present)


class WebhookPayload(BaseModel):
    """A webhook notification, payload version "4" (any other version is
    refused). Unknown fields are ignored for forward compatibility."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    alerts: Annotated[list[WebhookAlert], Field(max_length=MAX_BATCH)]
    groupKey: Annotated[str, StringConstraints(max_length=16384)] = ""
    truncatedAlerts: int = Field(default=0, ge=0)
    receiver: Annotated[str, StringConstraints(max_length=1024)] = ""
    groupLabels: Labels = Field(default_factory=dict)
    commonLabels: Labels = Field(default_factory=dict)
    commonAnnotations: Annotations = Field(default_factory=dict)
    externalURL: GeneratorUrl = ""


# --- mapping -------------------------------------------------------------------

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
    if starts_at is not None and starts_at > now + FUTURE_SKEW:
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


# --- rendering -------------------------------------------------------------------


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


# --- matchers (the ``filter`` query parameter) ------------------------------------

MAX_MATCHERS = 64
MATCHER_VALUE_MAX = 1024
_MATCHER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$", re.S)
_LEADING_FLAGS = re.compile(r"^\(\?([a-zA-Z]+)\)")
# Perl syntax that RE2 (Go) refuses and that can make Python's matcher slow:
# lookaround and backreferences.
_NOT_RE2 = re.compile(r"\(\?(?:[=!]|<[=!]|P=)|(?:^|[^\\])(?:\\\\)*\\[1-9]")
MatchOp = Literal["=", "!=", "=~", "!~"]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher; regexes match the whole value, as in Prometheus.
    A missing label matches as the empty string."""

    name: str
    op: MatchOp
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.pattern is None:
            return (value == self.value) == (self.op == "=")
        return (self.pattern.fullmatch(value) is not None) == (self.op == "=~")

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def _compile(value: str) -> re.Pattern[str]:
    """Compile like Go's ``^(?:value)$``; leading global flags (``(?i)``) go
    first because Python refuses them inside a group."""
    if _NOT_RE2.search(value):
        raise ValueError("unsupported regex syntax (lookaround or backreference)")
    flags = _LEADING_FLAGS.match(value)
    prefix, body = ("", value) if flags is None else (flags.group(0), value[flags.end() :])
    try:
        return re.compile(f"{prefix}(?:{body})")
    except re.error as err:
        raise ValueError(f"error parsing regexp: {err}") from None


def _unquote(raw: str) -> str:
    """Alertmanager's matcher value rules: optional double quotes; inside,
    ``\\"``, ``\\\\`` and ``\\n`` are escapes; a bare ``"`` is an error."""
    quoted = raw.startswith('"')
    body = raw[1:] if quoted else raw
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            if not quoted or i != len(body) - 1:
                raise ValueError(f"matcher value contains unescaped double quote: {raw}")
            quoted = False
        else:
            out.append(ch)
        i += 1
    if quoted:
        raise ValueError(f"matcher value contains unescaped double quote: {raw}")
    return "".join(out)


def _parse_one(text: str) -> Matcher:
    m = _MATCHER.match(text)
    if m is None:
        raise ValueError(f"bad matcher format: {text}")
    name, op, raw = m.groups()
    value = _unquote(raw)
    if len(value) > MATCHER_VALUE_MAX:
        raise ValueError(f"matcher value longer than {MATCHER_VALUE_MAX} characters")
    pattern = _compile(value) if op in ("=~", "!~") else None
    return Matcher(name, cast(MatchOp, op), value, pattern)


def _split_group(text: str) -> list[str]:
    """``{a="b",c=~"d"}`` -> its matchers (commas inside quotes do not split)."""
    parts: list[str] = []
    token: list[str] = []
    quoted = escaped = False
    for ch in text.strip().removeprefix("{").removesuffix("}"):
        if ch == "," and not quoted:
            parts.append("".join(token))
            token = []
            continue
        if ch == '"' and not escaped:
            quoted = not quoted
        escaped = ch == "\\" and not escaped
        token.append(ch)
    if "".join(token).strip():
        parts.append("".join(token))
    return parts


def parse_matchers(filters: Sequence[str]) -> list[Matcher]:
    """Parse ``filter`` query values as amtool sends them (``name=value``,
    ``name!="value"``, ``name=~"re"``, ``name!~re``) or a ``{...}`` group.
    Bad syntax or a bad regex raises ``InvalidInput("filter", ...)``."""
    texts: list[str] = []
    for text in filters:
        texts.extend(_split_group(text) if text.strip().startswith("{") else [text])
    if len(texts) > MAX_MATCHERS:
        raise InvalidInput("filter", f"at most {MAX_MATCHERS} matchers")
    try:
        return [_parse_one(text) for text in texts]
    except ValueError as err:
        raise InvalidInput("filter", str(err)) from None


# --- status ------------------------------------------------------------------------

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
