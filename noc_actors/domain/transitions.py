"""Operator transitions on one client's alerts (SPEC 3): acknowledge, assign,
escalate, resolve, shelve (for ``shelve_minutes``), unshelve — over many
alerts at once, each succeeding or failing on its own (a bulk action of
1-100 alerts answers per alert)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, get_args

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.changes import Changes
from noc_actors.domain.errors import DomainError, InvalidTransition, NotFound

Action = Literal["acknowledge", "assign", "escalate", "resolve", "shelve", "unshelve"]
ACTIONS: tuple[str, ...] = get_args(Action)
DEFAULT_SHELF_MINUTES = 60.0


def apply_transition(
    core: ClientAggregate,
    action: str,
    alert_ids: Sequence[str],
    user_id: str,
    now: datetime,
    *,
    assignee: str | None = None,
    notes: str | None = None,
    source_ip: str | None = None,
    correlation_id: str | None = None,
    user_agent: str | None = None,
    shelve_minutes: float | None = None,
) -> tuple[Changes, dict[str, DomainError]]:
    """The changes of the alerts that moved, and the refusal of each that did
    not: ``InvalidTransition``, or ``NotFound`` for an id not open in the
    book (the host tells closed alerts from other clients' by reading them)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    ctx = {"source_ip": source_ip, "correlation_id": correlation_id, "user_agent": user_agent}
    total, errors = Changes(), dict[str, DomainError]()
    for aid in dict.fromkeys(alert_ids):
        try:
            if action == "acknowledge":
                total.merge(core.acknowledge([aid], user_id, now, **ctx))
            elif action == "assign":
                total.merge(core.assign([aid], assignee or user_id, user_id, now, **ctx))
            elif action == "escalate":
                total.merge(core.escalate([aid], user_id, now, **ctx))
            elif action == "shelve":
                until = now + timedelta(minutes=shelve_minutes or DEFAULT_SHELF_MINUTES)
                total.merge(core.shelve([aid], user_id, now, until, **ctx))
            elif action == "unshelve":
                total.merge(core.unshelve([aid], user_id, now, **ctx))
            else:
                total.merge(core.resolve([aid], user_id, now, notes, **ctx))
        except (InvalidTransition, NotFound) as err:
            errors[aid] = err
    return total, errors
