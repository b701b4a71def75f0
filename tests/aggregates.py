"""The pure core's tests build one client's aggregate the same way: tenant
``t1``, client ``c1``, ids ``id-1``, ``id-2``, ... in the order it makes them."""

from __future__ import annotations

import itertools

from noc_actors.domain.aggregate import ClientAggregate
from noc_actors.domain.policy import TenantPolicy


def counted_aggregate(policy: TenantPolicy | None = None) -> ClientAggregate:
    counter = itertools.count(1)
    return ClientAggregate(
        "t1", "c1", policy or TenantPolicy(), new_id=lambda: f"id-{next(counter)}"
    )
