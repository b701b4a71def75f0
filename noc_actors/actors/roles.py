"""Where each kind of actor may run on a cluster: the Ray options of a role.

A role's custom resource (``Settings.head_resource``, ``pool_resource``,
``dedicated_resource``; unset on one machine) pins its actors to the nodes
that offer it, each actor asking for one unit, so a node's amount is how many
of them it takes (cluster.yaml, config/cluster-roles). Pools are spread over
their nodes; the head's actors (supervisor, timer, backpressure controller,
hub) stay where the operator's head resource is."""

from __future__ import annotations

from typing import Any, Literal

from noc_actors.settings import Settings

Role = Literal["head", "pool", "dedicated"]


def role_resource(settings: Settings, role: Role) -> str | None:
    """The custom resource the actors of ``role`` ask for (None: any node)."""
    return {
        "head": settings.head_resource,
        "pool": settings.pool_resource,
        "dedicated": settings.dedicated_resource,
    }[role]


def role_options(settings: Settings, role: Role, resource: str | None = None) -> dict[str, Any]:
    """Ray ``.options(...)`` for an actor of ``role``; ``resource`` (a
    dedicated client pinned by the operator) instead of the role's own."""
    resource = resource or role_resource(settings, role)
    options: dict[str, Any] = {}
    if resource:
        options["resources"] = {resource: 1}
    if role == "pool":
        options["scheduling_strategy"] = "SPREAD"
    return options
