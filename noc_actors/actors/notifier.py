"""Notifier actor (``noc:notifier``): runs the notification pipeline
(``noc_actors.notify.pipeline``) in a process of its own, so a slow or dead
endpoint never touches ingest or escalation.

Every ``notify_interval_s`` it plans the pending notices and starts each due
delivery as a task of its own (at most ``CONCURRENCY`` at once); the loop
never waits for a send, so one endpoint that hangs delays only its own
deliveries.

Hard state: none here — notices, deliveries, attempts and their leases are
in the database. Soft state: the tasks in flight (a restart loses them; their
leases run out and the next look sends them again). Idempotent calls: all."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ray
from ray.util.metrics import Counter

from noc_actors.actors.process import ActorProcess
from noc_actors.notify.channels import Channels
from noc_actors.notify.pipeline import Pipeline
from noc_actors.runtime.loops import PeriodicLoop
from noc_actors.settings import Settings

log = logging.getLogger(__name__)

CONCURRENCY = 32
LATE_AFTER_S = 30.0
"""Health calls the notifier late after this long without a look that worked."""


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class Notifier:
    """See the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self.proc = ActorProcess.start(settings)
        self.channels = Channels(settings.notify_timeout_s)
        self.sent_total = Counter(
            "noc_notifications_total",
            "Notification sends by channel and outcome (sent, retry, failed, skipped).",
            tag_keys=("channel", "outcome"),
        )
        self.outcomes: dict[str, int] = {}
        self.pipeline = Pipeline(
            self.proc.engine, settings, self.channels, self.proc.clock.now, self._count
        )
        self.inflight: dict[str, asyncio.Task[str]] = {}
        self.slots = asyncio.Semaphore(CONCURRENCY)
        self.loop = PeriodicLoop(
            "notify",
            settings.notify_interval_s,
            self.look,
            first_delay_s=0.0,
            # it looks every second or less: three missed looks are a blip
            # (a database failover), not a late notifier
            late_after_s=LATE_AFTER_S,
        )
        self.loop.start()  # a restarted notifier picks up at once

    def __repr__(self) -> str:
        return "Notifier(noc:notifier)"

    def _count(self, channel: str, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.sent_total.inc(tags={"channel": channel, "outcome": outcome})

    async def ready(self) -> bool:
        self.loop.start()
        return True

    async def look(self) -> dict[str, int]:
        """Plan pending notices, start due deliveries; what it did."""
        planned = await self.pipeline.plan()
        room = CONCURRENCY - len(self.inflight)
        started = 0
        if room > 0:
            for delivery in await self.pipeline.claim_due(limit=room):
                if delivery["id"] in self.inflight:
                    continue
                task = asyncio.get_running_loop().create_task(self._deliver(delivery))
                self.inflight[delivery["id"]] = task
                started += 1
        return {"planned": planned, "started": started, "inflight": len(self.inflight)}

    async def _deliver(self, delivery: dict[str, Any]) -> str:
        try:
            async with self.slots:
                return await self.pipeline.deliver(delivery)
        except Exception as err:  # noqa: BLE001 - its lease runs out; the next look retries
            log.warning("delivery %s failed in the pipeline: %r", delivery["id"], err)
            return "error"
        finally:
            self.inflight.pop(delivery["id"], None)

    def status(self) -> dict[str, Any]:
        return {
            "kind": "notifier",
            "inflight": len(self.inflight),
            "outcomes": dict(self.outcomes),
            "jobs": [self.loop.status()],
        }

    async def stop(self) -> None:
        await self.loop.stop()
        await self.channels.close()
