"""Per-tenant event sequencing and a bounded ring of recent events (the pure
core of the broadcast hub).

Sequence numbers increase by one per event within a tenant. A hub that
restarts starts from a new, larger base (given by the actor from its clock),
so a consumer sees a jump and knows it missed events; a resume request older
than the ring answers "resync" instead of silently skipping."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from noc_actors.domain.hub_events import HubEvent

Event = HubEvent


@dataclass(slots=True, frozen=True)
class Replay:
    """The events after a sequence number, or ``resync`` when they are gone."""

    events: list[Event]
    resync: bool


class EventRing:
    """Assigns sequence numbers and keeps the newest ``size`` events per tenant."""

    def __init__(self, size: int, base_seq: int = 0) -> None:
        if size < 1:
            raise ValueError("ring size must be positive")
        self.size = size
        self.base_seq = base_seq
        self._seq: dict[str, int] = {}
        self._ring: dict[str, deque[Event]] = {}

    def stamp(self, event: Event) -> Event:
        """Give ``event`` (which must name its ``tenant_id``) the next sequence
        number of its tenant and remember it. Returns the stamped copy."""
        tenant = event["tenant_id"]
        seq = self._seq.get(tenant, self.base_seq) + 1
        self._seq[tenant] = seq
        stamped: HubEvent = {**event, "seq": seq}
        ring = self._ring.get(tenant)
        if ring is None:
            ring = self._ring[tenant] = deque(maxlen=self.size)
        ring.append(stamped)
        return stamped

    def last_seq(self, tenant_id: str) -> int:
        return self._seq.get(tenant_id, self.base_seq)

    def after(self, tenant_id: str, seq: int) -> Replay:
        """Events of the tenant with a sequence number greater than ``seq``.

        ``resync`` is True when some of them already fell out of the ring or
        ``seq`` belongs to an earlier hub (before ``base_seq``)."""
        last = self.last_seq(tenant_id)
        if seq >= last:
            return Replay([], resync=seq > last)
        ring = self._ring.get(tenant_id, deque())
        oldest = ring[0]["seq"] if ring else last + 1
        if seq < self.base_seq or seq + 1 < oldest:
            return Replay([e for e in ring if e["seq"] > seq], resync=True)
        return Replay([e for e in ring if e["seq"] > seq], resync=False)
