"""How the demo's simulated platform delivers its events: through the public
ingest API with an integration key, exactly as a real platform would
(``HttpFeed``), or straight to the actors when the demo runs without the
REST API (``ActorFeed``, ``noc demo --port 0``). Both answer with the
ingest totals (created, folded, suppressed, resolved)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from noc_actors.domain.changes import IngestReport
from noc_actors.domain.limits import MAX_BATCH

if TYPE_CHECKING:
    from noc_actors.actors.client import NocClient

TOTALS = ("created", "folded", "suppressed", "resolved")
Send = Callable[[str, list[dict[str, Any]]], Awaitable[IngestReport]]


def _totals(report: IngestReport) -> dict[str, int]:
    return {
        "created": report["created"],
        "folded": report["folded"],
        "suppressed": report["suppressed"],
        "resolved": report["resolved"],
    }


class Feed(Protocol):
    async def events(self, events: list[dict[str, Any]]) -> Counter[str]: ...
    async def alerts(self, alerts: list[dict[str, Any]]) -> Counter[str]: ...
    async def close(self) -> None: ...


MAX_UNSENT = 5_000
"""Items a feed keeps for the next step while the NOC refuses them; beyond
this the oldest go (a platform's buffer is finite too)."""


class IngestRefused(Exception):
    """The NOC answered an ingest with an error (its message is kept), or
    could not be reached. ``accepted`` items at the front were stored."""

    def __init__(self, message: str, accepted: int = 0) -> None:
        super().__init__(message)
        self.accepted = accepted


def _message(r: httpx.Response) -> str:
    """The error envelope's message, else the body as it came (a proxy's
    502 page is not JSON)."""
    try:
        return str(r.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return r.text[:200]


class HttpFeed:
    """``POST /api/noc/events`` and ``POST /api/noc/alerts``, in batches."""

    def __init__(self, base_url: str, key: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )

    async def _post(self, path: str, field: str, items: list[dict[str, Any]]) -> Counter[str]:
        totals: Counter[str] = Counter()
        for start in range(0, len(items), MAX_BATCH):
            try:
                r = await self.http.post(path, json={field: items[start : start + MAX_BATCH]})
            except httpx.HTTPError as err:
                raise IngestRefused(f"{path}: {err!r}", accepted=start) from err
            if r.status_code != 200:
                raise IngestRefused(
                    f"{path} answered {r.status_code}: {_message(r)}", accepted=start
                )
            body = r.json()
            totals.update({k: int(body[k]) for k in TOTALS})
        return totals

    async def events(self, events: list[dict[str, Any]]) -> Counter[str]:
        return await self._post("/api/noc/events", "events", events) if events else Counter()

    async def alerts(self, alerts: list[dict[str, Any]]) -> Counter[str]:
        return await self._post("/api/noc/alerts", "alerts", alerts) if alerts else Counter()

    async def close(self) -> None:
        await self.http.aclose()


class ActorFeed:
    """Straight to the client aggregators (one call per client and batch)."""

    def __init__(self, client: NocClient, tenant_id: str) -> None:
        self.client = client
        self.tenant_id = tenant_id

    async def _each_client(self, items: list[dict[str, Any]], send: Send) -> Counter[str]:
        by_client: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_client.setdefault(item["client_id"], []).append(item)
        totals: Counter[str] = Counter()
        for report in await asyncio.gather(*(send(c, b) for c, b in by_client.items())):
            totals.update(_totals(report))
        return totals

    async def events(self, events: list[dict[str, Any]]) -> Counter[str]:
        from noc_actors.domain.events import parse_events

        async def send(cid: str, batch: list[dict[str, Any]]) -> IngestReport:
            return await self.client.ingest_events(self.tenant_id, cid, parse_events(batch))

        return await self._each_client(events, send)

    async def alerts(self, alerts: list[dict[str, Any]]) -> Counter[str]:
        from noc_actors.domain.draft import AlertDraft
        from noc_actors.domain.enums import Severity

        async def send(cid: str, batch: list[dict[str, Any]]) -> IngestReport:
            drafts = [
                AlertDraft(
                    self.tenant_id,
                    cid,
                    a["alert_type"],
                    a["message"],
                    severity=Severity(a["severity"]),
                    site_id=a.get("site_id"),
                    entity_type=a.get("entity_type"),
                    entity_id=a.get("entity_id"),
                    metadata=a.get("metadata") or {},
                    source="demo-monitoring",
                )
                for a in batch
            ]
            return await self.client.ingest_alerts(self.tenant_id, cid, drafts)

        return await self._each_client(alerts, send)

    async def close(self) -> None:
        return None


class ResendingFeed:
    """A feed that keeps what the NOC did not take — a 503 while it starts
    or while its database is away, a lost connection — and sends it again,
    first, with the next step. The platform's events are states, so a late
    one is still true, and an alert sent twice folds into one; without this
    a refused first step lost the tickets, shifts and work orders that every
    later rule needs."""

    def __init__(self, feed: Feed, limit: int = MAX_UNSENT) -> None:
        self.feed = feed
        self.limit = limit
        self.unsent: dict[str, list[dict[str, Any]]] = {"events": [], "alerts": []}
        self.dropped = 0

    async def _send(
        self,
        kind: str,
        send: Callable[[list[dict[str, Any]]], Awaitable[Counter[str]]],
        items: list[dict[str, Any]],
    ) -> Counter[str]:
        todo = self.unsent[kind] + items
        self.unsent[kind] = []
        if not todo:
            return Counter()
        try:
            return await send(todo)
        except Exception as err:
            left = todo[err.accepted :] if isinstance(err, IngestRefused) else todo
            self.dropped += max(0, len(left) - self.limit)
            self.unsent[kind] = left[-self.limit :]
            raise

    async def events(self, events: list[dict[str, Any]]) -> Counter[str]:
        return await self._send("events", self.feed.events, events)

    async def alerts(self, alerts: list[dict[str, Any]]) -> Counter[str]:
        return await self._send("alerts", self.feed.alerts, alerts)

    def pending(self) -> int:
        """Items waiting to be sent again."""
        return sum(len(v) for v in self.unsent.values())

    async def close(self) -> None:
        await self.feed.close()
