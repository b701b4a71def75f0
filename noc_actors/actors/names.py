"""Names of the NOC actors in the Ray namespace (visible in the Ray dashboard)."""

from __future__ import annotations

NAMESPACE = "noc"
SUPERVISOR = "noc:supervisor"
ESCALATION_TIMER = "noc:escalation-timer"
BACKPRESSURE = "noc:backpressure"
BROADCAST_HUB = "noc:broadcast-hub"
AGGREGATOR_PREFIX = "noc:aggregator:"


def aggregator_name(client_id: str) -> str:
    return f"{AGGREGATOR_PREFIX}{client_id}"
