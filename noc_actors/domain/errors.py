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
