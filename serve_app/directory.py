"""The tenant's clients and sites as one request sees them: read once, with
the caller's token (``serve_app.auth.authenticate``), then used for its scope
and to check the client and site references of ingested items. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from noc_actors.domain.access import ClientInfo
from noc_actors.domain.errors import InvalidInput


@dataclass(frozen=True)
class Directory:
    """The tenant's clients (by id and by name) and sites, to check references."""

    clients: dict[str, dict[str, Any]]
    by_name: dict[str, str]
    site_client: dict[str, str]

    @classmethod
    def of(cls, rows: list[dict[str, Any]], sites: list[dict[str, Any]]) -> Directory:
        """From the tenant's client rows and site rows (``store.repos.clients``)."""
        return cls(
            clients={r["id"]: r for r in rows},
            by_name={r["name"]: r["id"] for r in rows},
            site_client={s["id"]: s["client_id"] for s in sites},
        )

    def client_id(self, ref: str | None, where: str, item: int | None) -> str:
        """The id of the client named by ``ref`` (an id, or a name)."""
        if not ref:
            raise InvalidInput(where, "a client is required", item)
        if ref in self.clients:
            return ref
        if ref in self.by_name:
            return self.by_name[ref]
        raise InvalidInput(where, f"unknown client {ref!r}", item)

    def site_id(self, ref: str | None, client_id: str, where: str, item: int | None) -> str | None:
        if ref is None:
            return None
        owner = self.site_client.get(ref)
        if owner is None:
            raise InvalidInput(where, f"unknown site {ref!r}", item)
        if owner != client_id:
            raise InvalidInput(where, f"site {ref!r} is not a site of client {client_id!r}", item)
        return ref

    def enabled(self, client_id: str) -> bool:
        return bool(self.clients[client_id]["enabled"])

    def client_infos(self) -> dict[str, ClientInfo]:
        return {
            cid: ClientInfo(cid, bool(r["enabled"]), r["name"]) for cid, r in self.clients.items()
        }
