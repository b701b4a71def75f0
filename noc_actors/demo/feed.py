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


class IngestRefused(Exception):
    """The NOC answered an ingest with an error (its message is kept)."""


class HttpFeed:
    """``POST /api/noc/events`` and ``POST /api/noc/alerts``, in batches."""

    def __init__(self, base_url: str, key: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )

    async def _post(self, path: str, field: str, items: list[dict[str, Any]]) -> Counter[str]:
        totals: Counter[str] = Counter()
        for start in range(0, len(items), MAX_BATCH):
            r = await self.http.post(path, json={field: items[start : start + MAX_BATCH]})
            body = r.json()
            if r.status_code != 200:
                message = body.get("error", {}).get("message", r.text)
                raise IngestRefused(f"{path} answered {r.status_code}: {message}")
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
