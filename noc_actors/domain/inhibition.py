"""Inhibition rules: Alertmanager's ``inhibit_rules`` as per-tenant data.

While a *source* alert (one matching ``source_matchers``) is open, *target*
alerts (matching ``target_matchers``) that share its ``equal`` labels are
stored as SUPPRESSED with the reason ``inhibited by <source id>``; when the
source closes, the targets no other source inhibits come back
(``InhibitionIndex.released_by``). The default rule hides a site's
DEVICE_OFFLINE alerts while the site, or its gateway, is down. Pure: the alert
book owns the alerts and their status and calls these.

Semantics, as Alertmanager's ``inhibit`` package:

* matchers see ``alert_labels(alert)``; a missing label matches as "";
* ``equal``: for each name both alerts carry the same value, a missing label
  counting as "" (so both missing is equal, as in Alertmanager);
* a target that also matches the source side is inhibited only by sources
  that do not match the target side: two alerts matching both sides never
  mute each other, and an alert never mutes itself;
* only open alerts of the target's tenant inhibit; disabled rules are skipped;
* of several sources the oldest by ``(first_seen, id)`` wins, so the reason
  stored is stable.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from noc_actors.domain.alert import Alert
from noc_actors.domain.errors import InvalidInput
from noc_actors.domain.integrations.matchers import Matcher, parse_matchers

__all__ = [
    "BUILTIN_LABELS",
    "DEFAULT_RULES",
    "REASON_PREFIX",
    "InhibitRule",
    "InhibitionIndex",
    "Release",
    "alert_labels",
    "inhibited_by",
    "inhibitor",
    "reason_for",
]

REASON_PREFIX: Final = "inhibited by "
MAX_MATCHERS_PER_SIDE: Final = 16
MAX_EQUAL: Final = 8
NAME_MAX: Final = 200
ID_MAX: Final = 128
BUILTIN_LABELS: Final = (
    "alert_type",
    "severity",
    "site_id",
    "entity_type",
    "entity_id",
    "source",
    "client_id",
)
"""Label names taken from the alert's own fields, never from its metadata."""
_BUILTIN: Final = frozenset(BUILTIN_LABELS)
_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_REQUIRED: Final = ("name", "source_matchers", "target_matchers", "equal")
_OPTIONAL: Final = ("id", "enabled")

_Labels = Mapping[str, str]
_Key = tuple[str, ...]
"""The target's tenant, then its values of the rule's ``equal`` names."""
_Bucket = dict[_Key, dict[str, Alert]]


def alert_labels(alert: Alert) -> dict[str, str]:
    """The labels an inhibit rule matches on.

    The alert's fields ``alert_type``, ``severity`` (its value), ``site_id``,
    ``entity_type``, ``entity_id``, ``source`` and ``client_id`` (None or
    empty: missing), over the alert's own labels from ``metadata["labels"]``
    (where Alertmanager alerts keep them; string values only, empty ones
    dropped as in Prometheus). The fields win on a name clash, absence
    included: a ``site_id`` label is ignored, so ``site_id`` is always the
    NOC's site, also on an alert whose site reference did not resolve."""
    raw = alert.metadata.get("labels")
    labels: dict[str, str] = {}
    if isinstance(raw, Mapping) and raw:
        labels = {
            k: v
            for k, v in raw.items()
            if isinstance(k, str) and isinstance(v, str) and v and k not in _BUILTIN
        }
    for name, value in (
        ("alert_type", alert.alert_type),
        ("severity", str(alert.severity)),
        ("site_id", alert.site_id),
        ("entity_type", alert.entity_type),
        ("entity_id", alert.entity_id),
        ("source", alert.source),
        ("client_id", alert.client_id),
    ):
        if value:
            labels[name] = value
    return labels


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class InhibitRule:
    """One inhibit rule of a tenant. ``parse`` validates; the constructor
    does not (an empty side would match every alert)."""

    id: str
    name: str
    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    equal: tuple[str, ...]
    enabled: bool = True

    def is_source(self, labels: _Labels) -> bool:
        return all(m.matches(labels) for m in self.source_matchers)

    def is_target(self, labels: _Labels) -> bool:
        return all(m.matches(labels) for m in self.target_matchers)

    def equal_values(self, labels: _Labels) -> tuple[str, ...]:
        """The values of the ``equal`` names, a missing label as ""."""
        return tuple(labels.get(name, "") for name in self.equal)

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, new_id: Callable[[], str] = _new_id) -> InhibitRule:
        """A rule from its JSON shape: ``{"id"?, "name", "source_matchers",
        "target_matchers", "equal", "enabled"?}``. Matchers are amtool strings
        (``alert_type=~"SITE_DOWN|GATEWAY_OFFLINE"``), 1 to 16 a side;
        ``equal`` lists 0 to 8 distinct label names and is required, so a
        typo cannot turn a site rule into a tenant-wide one. A missing id
        is ``new_id()``. Anything else raises ``InvalidInput`` naming the
        field, e.g. ``source_matchers[1]``."""
        if not isinstance(data, Mapping):
            raise InvalidInput("inhibit_rule", "an object is expected")
        for key in data:
            if key not in _REQUIRED and key not in _OPTIONAL:
                raise InvalidInput(str(key), "unknown field")
        for key in _REQUIRED:
            if key not in data:
                raise InvalidInput(key, "required")
        rule_id = data.get("id")
        if rule_id is None:
            rule_id = new_id()
        elif (
            not isinstance(rule_id, str)
            or not 1 <= len(rule_id) <= ID_MAX
            or not (rule_id.isprintable() and rule_id == rule_id.strip())
        ):
            raise InvalidInput("id", f"1 to {ID_MAX} printable characters, no outer spaces")
        name = data["name"]
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("name", "a non-empty string is expected")
        name = name.strip()
        if len(name) > NAME_MAX:
            raise InvalidInput("name", f"at most {NAME_MAX} characters")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InvalidInput("enabled", "true or false is expected")
        return cls(
            id=rule_id,
            name=name,
            source_matchers=_parse_side(data["source_matchers"], "source_matchers"),
            target_matchers=_parse_side(data["target_matchers"], "target_matchers"),
            equal=_parse_equal(data["equal"]),
            enabled=enabled,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape ``parse`` reads (matchers as their amtool strings)."""
        return {
            "id": self.id,
            "name": self.name,
            "source_matchers": [str(m) for m in self.source_matchers],
            "target_matchers": [str(m) for m in self.target_matchers],
            "equal": list(self.equal),
            "enabled": self.enabled,
        }


def _parse_side(raw: object, field: str) -> tuple[Matcher, ...]:
    if not isinstance(raw, list | tuple):
        raise InvalidInput(field, "a list of matchers is expected")
    if not raw:
        raise InvalidInput(field, "at least one matcher is required")
    if len(raw) > MAX_MATCHERS_PER_SIDE:
        raise InvalidInput(field, f"at most {MAX_MATCHERS_PER_SIDE} matchers")
    out: list[Matcher] = []
    for i, text in enumerate(raw):
        if not isinstance(text, str):
            raise InvalidInput(f"{field}[{i}]", 'a matcher string is expected, e.g. site_id="s1"')
        try:
            parsed = parse_matchers([text])
        except InvalidInput as err:
            raise InvalidInput(f"{field}[{i}]", err.message) from None
        if not parsed:
            raise InvalidInput(f"{field}[{i}]", "no matcher")
        out.extend(parsed)
    if len(out) > MAX_MATCHERS_PER_SIDE:  # a {a="b",c="d"} group counts each
        raise InvalidInput(field, f"at most {MAX_MATCHERS_PER_SIDE} matchers")
    return tuple(out)


def _parse_equal(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple):
        raise InvalidInput("equal", "a list of label names is expected")
    if len(raw) > MAX_EQUAL:
        raise InvalidInput("equal", f"at most {MAX_EQUAL} label names")
    names: list[str] = []
    for i, name in enumerate(raw):
        if not isinstance(name, str) or not _LABEL_NAME.fullmatch(name):
            raise InvalidInput(f"equal[{i}]", "a label name [a-zA-Z_][a-zA-Z0-9_]* is expected")
        if name in names:
            raise InvalidInput(f"equal[{i}]", f"{name} is listed twice")
        names.append(name)
    return tuple(names)


DEFAULT_RULES: Final[tuple[InhibitRule, ...]] = (
    InhibitRule.parse(
        {
            "id": "default-site-outage",
            "name": "Site outage hides its devices",
            "source_matchers": ['alert_type=~"SITE_DOWN|GATEWAY_OFFLINE"'],
            "target_matchers": ['alert_type="DEVICE_OFFLINE"'],
            "equal": ["client_id", "site_id"],
        }
    ),
)


def reason_for(source: Alert) -> str:
    """The suppression reason of an alert ``source`` inhibits."""
    return f"{REASON_PREFIX}{source.id}"


def inhibited_by(reason: str | None) -> str | None:
    """The source alert id in a ``reason_for`` reason; None for any other."""
    if reason is None or not reason.startswith(REASON_PREFIX):
        return None
    return reason[len(REASON_PREFIX) :] or None


def _age(alert: Alert) -> tuple[datetime, str]:
    return (alert.first_seen, alert.id)


def inhibitor(
    target: Alert, open_alerts: Iterable[Alert], rules: Sequence[InhibitRule]
) -> Alert | None:
    """The open alert that inhibits ``target`` (the oldest if several), or
    None. Scans ``open_alerts`` once, and not at all when no enabled rule
    targets the alert; ``InhibitionIndex`` answers without the scan."""
    labels = alert_labels(target)
    applicable = [
        (rule, rule.equal_values(labels), rule.is_source(labels))
        for rule in rules
        if rule.enabled and rule.is_target(labels)
    ]
    if not applicable:
        return None
    best: Alert | None = None
    for source in open_alerts:
        if (
            source.id == target.id
            or source.tenant_id != target.tenant_id
            or not source.is_open
            or (best is not None and _age(source) >= _age(best))
        ):
            continue
        src = alert_labels(source)
        for rule, values, target_is_source in applicable:
            if (
                rule.is_source(src)
                and rule.equal_values(src) == values
                and not (target_is_source and rule.is_target(src))
            ):
                best = source
                break
    return best


@dataclass(frozen=True, slots=True)
class Release:
    """A suppressed alert whose inhibitor closed. ``inhibitor`` None: no
    open source inhibits it any more, it comes back; otherwise that source
    still does (store ``reason_for(inhibitor)`` as its new reason)."""

    alert: Alert
    inhibitor: Alert | None


class InhibitionIndex:
    """The open sources of one client's (or tenant's) alerts, indexed by
    rule and ``equal`` values, so ``inhibitor`` costs a few dictionary
    lookups per enabled rule instead of a scan of every open alert.

    Soft state: built from the open alerts, then kept by the caller with
    ``add`` when an alert opens and ``remove`` when it closes. A source
    that closed without ``remove`` is skipped (never returned) until then.
    Agrees with the module's ``inhibitor`` over the same open alerts."""

    def __init__(self, rules: Sequence[InhibitRule], open_alerts: Iterable[Alert] = ()) -> None:
        self._rules = tuple(rule for rule in rules if rule.enabled)
        # Per rule: sources matching only the source side, and those matching
        # both sides (they cannot inhibit a target that is a source too).
        self._buckets: tuple[tuple[_Bucket, _Bucket], ...] = tuple(({}, {}) for _ in self._rules)
        self._placed: dict[str, list[tuple[_Bucket, _Key]]] = {}
        for alert in open_alerts:
            self.add(alert)

    def __len__(self) -> int:
        """How many open sources are indexed (0: nothing can be inhibited)."""
        return len(self._placed)

    def sources_of(self, alert: Alert) -> list[str]:
        """The ids of the enabled rules ``alert`` is a source for (by its labels)."""
        labels = alert_labels(alert)
        return [rule.id for rule in self._rules if rule.is_source(labels)]

    def add(self, alert: Alert) -> list[str]:
        """Index an open alert as a source (again: its old place is dropped);
        returns the rule ids it is a source for. An alert not open is only
        dropped from the index."""
        self.remove(alert)
        if not alert.is_open:
            return []
        labels = alert_labels(alert)
        placed: list[tuple[_Bucket, _Key]] = []
        ids: list[str] = []
        for rule, (one_sided, two_sided) in zip(self._rules, self._buckets, strict=True):
            if not rule.is_source(labels):
                continue
            bucket = two_sided if rule.is_target(labels) else one_sided
            key = (alert.tenant_id, *rule.equal_values(labels))
            bucket.setdefault(key, {})[alert.id] = alert
            placed.append((bucket, key))
            ids.append(rule.id)
        if placed:
            self._placed[alert.id] = placed
        return ids

    def remove(self, alert: Alert) -> bool:
        """Drop a source (by id); False if it was not indexed."""
        placed = self._placed.pop(alert.id, None)
        if placed is None:
            return False
        for bucket, key in placed:
            sources = bucket[key]
            del sources[alert.id]
            if not sources:
                del bucket[key]
        return True

    def inhibitor(self, target: Alert) -> Alert | None:
        """The open source that inhibits ``target`` (the oldest), or None."""
        return self._find(target, exclude=None)

    def released_by(self, source: Alert, suppressed: Iterable[Alert]) -> list[Release]:
        """For each of ``suppressed`` whose reason is ``reason_for(source)``,
        in order: the source that inhibits it now, ``source`` left out (so
        it may be removed before or after this call). Whether a released
        alert is still firing, and so comes back, is the caller's to say."""
        reason = reason_for(source)
        return [
            Release(alert, self._find(alert, exclude=source.id))
            for alert in suppressed
            if alert.suppression_reason == reason
        ]

    def _find(self, target: Alert, exclude: str | None) -> Alert | None:
        labels = alert_labels(target)
        best: Alert | None = None
        for rule, (one_sided, two_sided) in zip(self._rules, self._buckets, strict=True):
            if not rule.is_target(labels):
                continue
            key = (target.tenant_id, *rule.equal_values(labels))
            buckets = (one_sided,) if rule.is_source(labels) else (one_sided, two_sided)
            for bucket in buckets:
                for source in bucket.get(key, {}).values():
                    if source.id in (target.id, exclude) or not source.is_open:
                        continue
                    if best is None or _age(source) < _age(best):
                        best = source
        return best
