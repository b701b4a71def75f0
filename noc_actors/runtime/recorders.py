"""In-process stand-ins for a runtime's peers that remember what they were
told: the hub's events, the timer's deadlines, cache bumps and metrics.
Shipped with the runtime (as httpx ships ``MockTransport``) for tests, demos
and hosts that need no Ray; each is one object per process, like the real
ones, and keeps what every runtime told it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from noc_actors.domain.escalation import Deadline, EscalationSchedule
from noc_actors.domain.hub_events import HubEvent
from noc_actors.runtime.ports import CounterName, Tags


class RecordingHub:
    """``HubPort``: every published event, in order."""

    def __init__(self) -> None:
        self.events: list[HubEvent] = []

    def publish(self, events: Sequence[HubEvent]) -> None:
        self.events.extend(events)

    def of_type(self, kind: str) -> list[HubEvent]:
        return [e for e in self.events if e["type"] == kind]


class RecordingTimer:
    """``TimerPort``: the pending deadlines as the real timer would hold them
    (one per alert, the latest level wins), plus every call."""

    def __init__(self) -> None:
        self.schedule = EscalationSchedule()
        self.armed: list[Deadline] = []
        self.cancelled: list[str] = []

    def arm(self, deadlines: Sequence[Deadline]) -> None:
        for d in deadlines:
            current = self.schedule.get(d.alert_id)
            if current is None or current.level <= d.level:
                self.schedule.push(d)
        self.armed.extend(deadlines)

    def cancel(self, alert_ids: Sequence[str]) -> None:
        for alert_id in alert_ids:
            self.schedule.cancel(alert_id)
        self.cancelled.extend(alert_ids)

    def pending(self, alert_id: str) -> Deadline | None:
        return self.schedule.get(alert_id)

    def due(self, now: datetime) -> list[Deadline]:
        """Pop the deadlines due at ``now``, as the timer does before it
        hands them to their runtimes."""
        return self.schedule.pop_due(now)


class RecordingInvalidator:
    """``Invalidator``: the (tenant, client) of every bump; ``fail`` makes
    every bump raise, as a Redis outage would."""

    def __init__(self, fail: bool = False) -> None:
        self.bumps: list[tuple[str, str]] = []
        self.fail = fail

    async def bump(self, tenant_id: str, client_id: str) -> None:
        if self.fail:
            raise ConnectionError("the cache is down")
        self.bumps.append((tenant_id, client_id))

    async def bump_many(self, clients: Sequence[tuple[str, str]]) -> None:
        if self.fail:
            raise ConnectionError("the cache is down")
        self.bumps.extend(clients)


class RecordingMetrics:
    """``MetricsSink``: counters by (name, client), the latest open-alert
    gauges by client, and every commit's duration."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.open: dict[str, dict[str, int]] = {}
        self.seconds: list[float] = []

    def count(self, name: CounterName, n: int, tags: Tags) -> None:
        self.counts[(name, tags["client"])] += n

    def open_alerts(self, by_severity: Mapping[str, int], tags: Tags) -> None:
        self.open[tags["client"]] = dict(by_severity)

    def commit_seconds(self, seconds: float) -> None:
        self.seconds.append(seconds)
