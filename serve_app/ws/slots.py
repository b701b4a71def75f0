"""How many dashboard sockets a replica holds (issue 11 item 7): at most
``per_replica`` in all — a replica serves HTTP too, and each socket is one of
its ``max_ongoing_requests`` for as long as it is open — and at most
``per_user`` for one user, so no single ``noc:view`` account can take the
replica's sockets. A replica counts its own sockets (a user may hold
``per_user`` on each replica); a slot is taken before the handshake's work
and given back when the socket ends, whatever ends it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class SocketSlots:
    per_replica: int
    per_user: int
    total: int = 0
    users: Counter[str] = field(default_factory=Counter)
    refused: int = 0

    def take(self) -> bool:
        """A replica slot for a socket being opened (before its user is known)."""
        if self.total >= self.per_replica:
            self.refused += 1
            return False
        self.total += 1
        return True

    def release(self) -> None:
        self.total = max(0, self.total - 1)

    def take_user(self, user_id: str) -> bool:
        if self.users[user_id] >= self.per_user:
            self.refused += 1
            return False
        self.users[user_id] += 1
        return True

    def release_user(self, user_id: str) -> None:
        self.users[user_id] -= 1
        if self.users[user_id] <= 0:
            del self.users[user_id]
