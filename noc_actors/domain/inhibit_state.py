"""What one client's alert book knows of inhibition (``inhibition``): the
tenant's rules, the client's open source alerts (indexed), and the targets
held SUPPRESSED per source while they still fire.

- A new alert that an open source inhibits is stored SUPPRESSED with the
  reason ``inhibited by <source id>`` and held here under its dedup key;
  its repeats fold into that row; a resolve of its key (the condition is
  gone) drops it.
- A source that opens also inhibits the open targets it matches (they are
  suppressed the same way), as Alertmanager mutes an alert already firing.
- When a source closes, each target it held is re-pointed to another open
  source that still inhibits it, or released: it comes back as a new NEW
  alert (``AlertBook.release``).

Cheap when nothing is inhibited: with no open source, an ingest costs one
length check; whether an alert type can be a source or a target at all is
decided once per type from the rules' ``alert_type`` matchers.

Soft state: rebuilt on load from the open alerts and the stored SUPPRESSED
rows whose source is still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from noc_actors.domain.alert import Alert
from noc_actors.domain.inhibition import (
    DEFAULT_RULES,
    InhibitionIndex,
    InhibitRule,
    Release,
    inhibited_by,
)
from noc_actors.domain.integrations.matchers import Matcher


def _type_may_match(matchers: Sequence[Matcher], alert_type: str) -> bool:
    """Whether an alert of this type can satisfy ``matchers`` (only their
    ``alert_type`` matchers are decided here; the others may go either way)."""
    labels = {"alert_type": alert_type}
    return all(m.matches(labels) for m in matchers if m.name == "alert_type")


def possible_sources(rules: Sequence[InhibitRule], alerts: Iterable[Alert]) -> list[str]:
    """Ids of the alerts whose type lets them be a source of an enabled rule
    (a superset of the real sources: what a reload must look for)."""
    enabled = [r for r in rules if r.enabled]
    return [
        a.id
        for a in alerts
        if any(_type_may_match(r.source_matchers, a.alert_type) for r in enabled)
    ]


class ClientInhibition:
    """See the module docstring."""

    def __init__(self, rules: Sequence[InhibitRule] = DEFAULT_RULES) -> None:
        self.rules: tuple[InhibitRule, ...] = ()
        self.index = InhibitionIndex(())
        self.held: dict[str, dict[str, Alert]] = {}
        """source alert id -> dedup key -> the SUPPRESSED row it holds."""
        self._key_source: dict[str, str] = {}
        """dedup key of a held target -> its source's id."""
        self._source_types: dict[str, bool] = {}
        self._target_types: dict[str, bool] = {}
        self.set_rules(rules)

    def set_rules(self, rules: Sequence[InhibitRule]) -> None:
        self.rules = tuple(r for r in rules if r.enabled)
        self.index = InhibitionIndex(self.rules)
        self._source_types.clear()
        self._target_types.clear()

    def load(self, open_alerts: Iterable[Alert], suppressed: Iterable[Alert]) -> None:
        """Rebuild: index the open sources, hold the ``suppressed`` rows
        whose source is among them (the latest row per dedup key)."""
        self.index = InhibitionIndex(self.rules)
        self.held.clear()
        self._key_source.clear()
        sources = {a.id for a in open_alerts if self.opened(a)}
        for row in sorted(suppressed, key=lambda a: (a.last_seen, a.id)):
            source = inhibited_by(row.suppression_reason)
            if source is not None and source in sources:
                self.hold(row, source)

    def may_source(self, alert_type: str) -> bool:
        known = self._source_types.get(alert_type)
        if known is None:
            known = self._source_types[alert_type] = any(
                _type_may_match(r.source_matchers, alert_type) for r in self.rules
            )
        return known

    def may_target(self, alert_type: str) -> bool:
        known = self._target_types.get(alert_type)
        if known is None:
            known = self._target_types[alert_type] = any(
                _type_may_match(r.target_matchers, alert_type) for r in self.rules
            )
        return known

    def opened(self, alert: Alert) -> bool:
        """An alert opened: index it if it is a source; whether it is one."""
        if not self.may_source(alert.alert_type):
            return False
        return bool(self.index.add(alert))

    def inhibitor(self, alert: Alert) -> Alert | None:
        """The open source that inhibits ``alert`` (the oldest), or None."""
        if not len(self.index) or not self.may_target(alert.alert_type):
            return None
        return self.index.inhibitor(alert)

    def hold(self, row: Alert, source_id: str) -> None:
        """``row`` (SUPPRESSED, inhibited by ``source_id``) fires on: hold it."""
        previous = self._key_source.pop(row.dedup_key, None)
        if previous is not None:
            self.held.get(previous, {}).pop(row.dedup_key, None)
        self.held.setdefault(source_id, {})[row.dedup_key] = row
        self._key_source[row.dedup_key] = source_id

    def held_rows(self) -> list[Alert]:
        """Every target held now (a copy: callers may release while walking)."""
        return [row for rows in self.held.values() for row in rows.values()]

    def stopped_firing(self, dedup_key: str) -> bool:
        """The condition behind a held target is gone (a resolve of its key):
        it will not come back. Whether one was held."""
        source = self._key_source.pop(dedup_key, None)
        if source is None:
            return False
        self.held.get(source, {}).pop(dedup_key, None)
        return True

    def closed(self, source: Alert) -> list[Release]:
        """A source closed: drop it from the index; for each target it held,
        the other open source that inhibits it now (re-held under that one),
        or none (the caller brings it back)."""
        if not self.index.remove(source):
            return []
        rows = self.held.pop(source.id, {})
        releases = self.index.released_by(source, rows.values())
        for release in releases:
            self._key_source.pop(release.alert.dedup_key, None)
            if release.inhibitor is not None:
                self.hold(release.alert, release.inhibitor.id)
        return releases
