"""The escalation schedule (SPEC section 5).

An alert still awaiting acknowledgement ``delay(severity)`` after first_seen
escalates to level 1 (CRITICAL 15 min, HIGH 30, MEDIUM 60, LOW 120, INFO never;
tenant-configurable). Each later level follows ``delay`` after the previous
escalation, up to ``min(policy.escalation_max_levels, chain length)`` levels.
Level N goes to the N-th *available* target of the tenant's chain (site on-call
-> site in-charge -> client owner -> tenant admins); missing contacts are skipped.

The site on-call step asks the on-call schedules (``domain.oncall``) at the
moment the level fires: the site's schedules, then the site's fixed on-call
user, then the client's schedules, then the tenant-wide ones — the first that
names somebody is the target. The step exists when any of them exists (a
schedule with nobody on call at that moment falls through to the next
source, and to the step's kind when none names anyone).

Fencing: every ``Deadline`` carries the level it would fire. The database
stores the last fired level of each alert (``escalation_level``); firing is
valid only when ``stored level == deadline.level - 1`` (see ``fencing_ok``),
done as one conditional UPDATE. A replayed or duplicated deadline (restart,
second replica, Ray retry) then finds the level already moved and does nothing,
so each level fires exactly once.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from noc_actors.domain.alert import Alert
from noc_actors.domain.oncall import Schedule, schedule_for
from noc_actors.domain.policy import TenantPolicy

TargetKind = Literal["site_oncall", "site_incharge", "client_owner", "tenant_admins"]
TARGET_KINDS: tuple[str, ...] = get_args(TargetKind)
TENANT_ADMINS = "tenant_admins"


@dataclass(frozen=True, slots=True)
class EscalationTarget:
    """One step of a chain. ``ref`` pins a concrete user/contact; ``None``
    means "look it up in the contacts" (or, for tenant_admins, the group)."""

    kind: TargetKind
    ref: str | None = None
    rotas: tuple[Schedule, ...] = ()
    """Schedules asked, in order, before ``ref`` (see the module docstring)."""

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"unknown escalation target kind {self.kind!r}")

    @property
    def label(self) -> str:
        """What goes into ``alert.escalated_to`` when no schedule is asked."""
        return self.ref if self.ref is not None else self.kind

    def label_at(self, at: datetime) -> str:
        """What goes into ``alert.escalated_to`` when the level fires at
        ``at``: the first schedule's on-call user, else ``label``."""
        for rota in self.rotas:
            user = rota.on_call(at)
            if user is not None:
                return user
        return self.label


@dataclass(frozen=True, slots=True)
class EscalationContacts:
    """Who is on call where, as loaded for one alert's tenant (plain data)."""

    site_oncall: Mapping[str, str] = field(default_factory=dict)
    site_incharge: Mapping[str, str] = field(default_factory=dict)
    client_owner: Mapping[str, str] = field(default_factory=dict)
    schedules: tuple[Schedule, ...] = ()
    """The on-call schedules that can apply to the client (its sites', its
    own, the tenant-wide)."""

    def oncall_rotas(self, client_id: str, site_id: str | None) -> tuple[Schedule, ...]:
        """The schedules the site on-call step asks, in order: the site's,
        and — when the site has no fixed on-call user, which would answer
        first — the client's and the tenant's."""
        found = schedule_for(self.schedules, client_id, site_id)
        own = tuple(s for s in found if site_id is not None and s.site_id == site_id)
        if site_id is not None and site_id in self.site_oncall:
            return own
        return tuple(found)


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """The tenant's ordered target chain."""

    targets: tuple[EscalationTarget, ...]

    @classmethod
    def default(cls) -> EscalationPolicy:
        return cls(
            (
                EscalationTarget("site_oncall"),
                EscalationTarget("site_incharge"),
                EscalationTarget("client_owner"),
                EscalationTarget("tenant_admins"),
            )
        )

    def __len__(self) -> int:
        return len(self.targets)

    def resolve_chain(
        self, contacts: EscalationContacts, client_id: str, site_id: str | None
    ) -> list[EscalationTarget]:
        """The chain with concrete refs, targets without a contact skipped."""
        chain: list[EscalationTarget] = []
        for t in self.targets:
            ref = t.ref if t.ref is not None else _lookup(t.kind, contacts, client_id, site_id)
            rotas = (
                contacts.oncall_rotas(client_id, site_id)
                if t.kind == "site_oncall" and t.ref is None
                else ()
            )
            if ref is None and not rotas and t.kind != TENANT_ADMINS:
                continue
            chain.append(EscalationTarget(t.kind, ref, rotas))
        return chain

    def target_for(
        self, level: int, contacts: EscalationContacts, client_id: str, site_id: str | None
    ) -> EscalationTarget | None:
        """Target of ``level`` (1-based), or ``None`` past the chain's end."""
        chain = self.resolve_chain(contacts, client_id, site_id)
        return chain[level - 1] if 1 <= level <= len(chain) else None


def _lookup(
    kind: str, contacts: EscalationContacts, client_id: str, site_id: str | None
) -> str | None:
    if kind == "site_oncall":
        return contacts.site_oncall.get(site_id) if site_id else None
    if kind == "site_incharge":
        return contacts.site_incharge.get(site_id) if site_id else None
    if kind == "client_owner":
        return contacts.client_owner.get(client_id)
    return None


def max_levels(policy: TenantPolicy, chain_length: int | None = None) -> int:
    """How many levels an alert may climb: tenant cap, and chain length if known."""
    if chain_length is None:
        return policy.escalation_max_levels
    return min(policy.escalation_max_levels, chain_length)


def first_deadline(alert: Alert, policy: TenantPolicy) -> datetime | None:
    """When level 1 fires: first_seen + delay(severity).

    ``None`` for INFO (or any severity configured as never) and for alerts
    that no longer await acknowledgement (acknowledged, resolved, suppressed)."""
    delay = policy.escalation_delay(alert.severity)
    if delay is None or not alert.awaiting_ack:
        return None
    return alert.first_seen + delay


def next_deadline(
    alert: Alert, level: int, policy: TenantPolicy, chain_length: int | None = None
) -> datetime | None:
    """When level ``level + 1`` fires, ``level`` being the one just fired.

    Counted from the last escalation (``alert.escalated_at``), or — if that is
    unknown — from where level ``level`` was due. ``None`` past the last level."""
    delay = policy.escalation_delay(alert.severity)
    if delay is None or level + 1 > max_levels(policy, chain_length):
        return None
    base = alert.escalated_at
    if base is None:
        base = alert.first_seen + delay * level
    return base + delay


def due(alert: Alert, deadline: datetime, now: datetime) -> bool:
    """Fire now? Only while still awaiting acknowledgement; at the deadline counts."""
    return alert.awaiting_ack and now >= deadline


def fencing_ok(stored_level: int, deadline: Deadline) -> bool:
    """A firing is valid only if the stored level is the one just below it."""
    return stored_level == deadline.level - 1


@dataclass(frozen=True, slots=True, order=True)
class Deadline:
    """One pending escalation, ordered by ``due_at`` (ties: alert id, level)."""

    due_at: datetime
    alert_id: str
    level: int
    client_id: str = field(compare=False)
    tenant_id: str = field(compare=False)


def pending_deadline(
    alert: Alert, policy: TenantPolicy, chain_length: int | None = None
) -> Deadline | None:
    """The next deadline of ``alert`` from its stored state (timer rebuild);
    none while it flaps (its cycles would page on every flap), none before
    its shelf ends while shelved."""
    if not alert.awaiting_ack or alert.flapping:
        return None
    level = alert.escalation_level
    if level == 0:
        at = first_deadline(alert, policy)
        if at is not None and max_levels(policy, chain_length) < 1:
            at = None
    else:
        at = next_deadline(alert, level, policy, chain_length)
    if at is None:
        return None
    if alert.shelved_until is not None and at < alert.shelved_until:
        at = alert.shelved_until  # shelved: not before the shelf ends
    return Deadline(at, alert.id, level + 1, alert.client_id, alert.tenant_id)


class EscalationSchedule:
    """A min-heap of deadlines, at most one live deadline per alert.

    ``push`` replaces an alert's pending deadline; ``cancel`` is O(1) (lazy
    deletion: stale heap entries are skipped when they reach the top, and the
    heap is compacted when stale entries dominate). Soft state: the timer actor
    rebuilds it from the database with ``pending_deadline``."""

    def __init__(self, deadlines: Iterable[Deadline] = ()) -> None:
        self._heap: list[Deadline] = []
        self._live: dict[str, Deadline] = {}
        for d in deadlines:
            self.push(d)

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._live

    def get(self, alert_id: str) -> Deadline | None:
        return self._live.get(alert_id)

    def push(self, deadline: Deadline) -> None:
        self._live[deadline.alert_id] = deadline
        heapq.heappush(self._heap, deadline)
        self._maybe_compact()

    def cancel(self, alert_id: str) -> bool:
        """Forget the alert's pending deadline; True if there was one."""
        found = self._live.pop(alert_id, None) is not None
        if found:
            self._maybe_compact()
        return found

    def _is_live(self, d: Deadline) -> bool:
        return self._live.get(d.alert_id) is d

    def _drop_stale_top(self) -> None:
        while self._heap and not self._is_live(self._heap[0]):
            heapq.heappop(self._heap)

    def _maybe_compact(self) -> None:
        if len(self._heap) > 64 and len(self._heap) > 2 * len(self._live):
            self._heap = [d for d in self._heap if self._is_live(d)]
            heapq.heapify(self._heap)

    def next_due_at(self) -> datetime | None:
        self._drop_stale_top()
        return self._heap[0].due_at if self._heap else None

    def pop_due(self, now: datetime) -> list[Deadline]:
        """Remove and return every live deadline with ``due_at <= now``, in order."""
        out: list[Deadline] = []
        while True:
            self._drop_stale_top()
            if not self._heap or self._heap[0].due_at > now:
                return out
            d = heapq.heappop(self._heap)
            del self._live[d.alert_id]
            out.append(d)
