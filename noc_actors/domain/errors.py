"""Domain errors. Each carries data; the Serve app maps them to HTTP and
WebSocket responses in exactly one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain core raises on purpose."""


class InvalidTransition(DomainError):
    """An action that the current status does not allow (HTTP 409)."""

    def __init__(self, entity_id: str, from_status: str, action: str) -> None:
        self.entity_id = entity_id
        self.from_status = from_status
        self.action = action
        super().__init__(f"cannot {action} {entity_id}: it is {from_status}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.entity_id, self.from_status, self.action))


class NotFound(DomainError):
    """An object that does not exist *for this tenant* (HTTP 404)."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.key))


class PermissionDenied(DomainError):
    """A capability or scope check failed (HTTP 403, audited)."""

    def __init__(self, capability: str, detail: str = "") -> None:
        self.capability = capability
        self.detail = detail
        msg = f"missing capability {capability}"
        super().__init__(f"{msg}: {detail}" if detail else msg)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.capability, self.detail))


class InvalidInput(DomainError):
    """Input that validated structurally but breaks a rule (HTTP 422).

    ``field`` names the offending field, ``item`` its index in a batch."""

    def __init__(self, field: str, message: str, item: int | None = None) -> None:
        self.field = field
        self.item = item
        self.message = message
        where = f"item {item}: " if item is not None else ""
        super().__init__(f"{where}{field}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.message, self.item))


class Conflict(DomainError):
    """A change that clashes with what is stored (HTTP 409): a duplicate
    email, the last admin demoted, a token revoked twice."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


class Unavailable(DomainError):
    """The owning actor is dead or restarting: nothing was applied, or the
    caller cannot know — retry (ingest folds repeats, transitions refuse
    duplicates). HTTP 503 with Retry-After."""

    def __init__(self, actor: str, detail: str = "") -> None:
        self.actor = actor
        self.detail = detail
        super().__init__(f"{actor} is unavailable{': ' + detail if detail else ''}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.actor, self.detail))


class NotHosted(Unavailable):
    """The host asked does not (or no longer) run the client — it moved, or
    is moving: nothing was applied there, so the call may go again to the
    client's host as the supervisor names it now."""

    def __init__(self, host: str, client_id: str) -> None:
        self.host = host
        self.client_id = client_id
        super().__init__(host, f"client {client_id!r} is not hosted here")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.host, self.client_id))


class StorageUnavailable(Unavailable):
    """The database cannot be reached now (refused, dropped, shutting down or
    starting up, no connection free): nothing was applied — retry. HTTP 503
    with Retry-After; health names the database."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("the database", detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.detail,))


class Overloaded(DomainError):
    """Ingest refused for now (the bounded queue is full, or the tenant is at
    backpressure CRITICAL): HTTP 503 with Retry-After. Alertmanager and
    well-behaved clients retry 5xx; nothing was written."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason,))


class BatchTooLarge(DomainError):
    """A batch that can never fit the ingest queue: HTTP 413, send smaller
    ones (a 503 would make senders retry it forever)."""

    def __init__(self, n: int, capacity: int) -> None:
        self.n = n
        self.capacity = capacity
        super().__init__(
            f"a batch of {n} items is larger than the ingest queue ({capacity} items, "
            "NOC_INGEST_QUEUE_SIZE); send smaller batches"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.n, self.capacity))
