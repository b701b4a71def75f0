"""Names of the NOC actors in the Ray namespace (visible in the Ray dashboard)."""

from __future__ import annotations

NAMESPACE = "noc"
SUPERVISOR = "noc:supervisor"
ESCALATION_TIMER = "noc:escalation-timer"
BACKPRESSURE = "noc:backpressure"
BROADCAST_HUB = "noc:broadcast-hub"
NOTIFIER = "noc:notifier"
AGGREGATOR_PREFIX = "noc:aggregator:"


def aggregator_name(client_id: str) -> str:
    """The dedicated host of one client."""
    return f"{AGGREGATOR_PREFIX}{client_id}"


POOL_PREFIX = "noc:pool:"


def pool_name(n: int) -> str:
    """The ``n``-th pool host (many clients in one process)."""
    return f"{POOL_PREFIX}{n}"
