"""The replica's dispatcher: which sockets of this replica get each hub event.

One ``Dispatcher`` per Serve replica, fed by the replica's one hub
subscription (``pump.HubPump``). Sockets are grouped by tenant; an event goes
to the sockets of its tenant, each of which decides (scope, subscriptions,
sequence) and queues it without waiting. The dispatcher never awaits a
socket, so a client that stops reading cannot delay any other.

An event's JSON text is built at most twice (PII shown / masked) however many
sockets get it."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol, TypedDict

from noc_actors.domain.hub_events import HubEvent, StreamItem, is_dashboard_event
from noc_actors.domain.masking import mask_unless

log = logging.getLogger(__name__)


def dumps(message: Any) -> str:
    return json.dumps(message, default=str, separators=(",", ":"))


class EncodedEvent:
    """One hub event, shared by every socket that gets it; owns its JSON texts."""

    __slots__ = ("event", "seq", "_texts")

    def __init__(self, event: HubEvent) -> None:
        self.event = event
        self.seq = int(event.get("seq") or 0)
        self._texts: dict[bool, str] = {}

    def text(self, sees_pii: bool) -> str:
        """The event as sent: the whole payload masked unless ``sees_pii``."""
        text = self._texts.get(sees_pii)
        if text is None:
            text = self._texts[sees_pii] = dumps(mask_unless(sees_pii, self.event))
        return text


class Sink(Protocol):
    """What the dispatcher needs of a socket. Both calls must not block."""

    tenant_id: str

    def offer(self, event: EncodedEvent) -> None: ...

    def gap(self, reason: str) -> None: ...


def gap_reason(event: StreamItem) -> str | None:
    """Why the live stream lost events, for a hub marker; None otherwise."""
    kind = event.get("type")
    if kind == "overflow":
        return "overflow"
    if kind == "subscribed" and event.get("resubscribed"):
        return "hub_restarted"
    return None


class DispatcherStatus(TypedDict):
    sockets: int
    tenants: int
    events: int
    gaps: int


class Dispatcher:
    """Owns the registry of this replica's sockets, grouped by tenant."""

    def __init__(self) -> None:
        self._groups: dict[str, set[Sink]] = {}
        self.events = 0
        self.gaps = 0

    def add(self, sink: Sink) -> None:
        self._groups.setdefault(sink.tenant_id, set()).add(sink)

    def remove(self, sink: Sink) -> None:
        group = self._groups.get(sink.tenant_id)
        if group is not None:
            group.discard(sink)
            if not group:
                del self._groups[sink.tenant_id]

    def __len__(self) -> int:
        return sum(len(g) for g in self._groups.values())

    async def on_batch(self, batch: list[StreamItem]) -> None:
        """Pump listener: dispatch one batch (never awaits a socket)."""
        self.dispatch(batch)

    def dispatch(self, batch: list[StreamItem]) -> None:
        for event in batch:
            reason = gap_reason(event)
            if reason is not None:
                self.gaps += 1
                for group in list(self._groups.values()):
                    for sink in list(group):
                        self._call(sink.gap, reason)
                continue
            if not is_dashboard_event(event) or "seq" not in event:
                continue
            members = self._groups.get(event["tenant_id"])
            if not members:
                continue
            self.events += 1
            encoded = EncodedEvent(event)
            for sink in list(members):
                self._call(sink.offer, encoded)

    @staticmethod
    def _call(method: Any, arg: Any) -> None:
        try:
            method(arg)
        except Exception:  # noqa: BLE001 - one broken socket never stops the others
            log.exception("socket dispatch failed")

    def status(self) -> DispatcherStatus:
        return {
            "sockets": len(self),
            "tenants": len(self._groups),
            "events": self.events,
            "gaps": self.gaps,
        }
