"""Ray metrics of the NOC actors (exported by Ray's metrics agent in
Prometheus format; the Serve app re-exports them at ``/metrics``).

Built inside each actor's constructor (metrics objects must be created in the
process that records them), never at import time — once per process: a host
passes its ``AggregatorMetrics`` to every runtime it runs.

A host's runtimes record on every commit; ``AggregatorMetrics`` sums those
in memory and hands them to Ray once per ``FLUSH_S`` (a counter's increments
as one, a gauge's last value), so a pool of hundreds of clients does not pay
Ray's per-call tag handling for each of their commits (it was ~7 % of a
pool host's time under spread ingest)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from ray.util.metrics import Counter, Gauge, Histogram

from noc_actors.runtime.ports import CounterName, Tags

FLUSH_S = 5.0
"""How long recorded figures wait before they reach Ray (at most). Ray's
metrics agent exports every 10 s (``metrics_report_interval_ms``), so a
shorter wait only multiplies the calls: a pool of 200 busy clients sets
five open-alert gauges and a few counters per client per flush."""


class AggregatorMetrics:
    """The ``MetricsSink`` of one host's client runtimes: counters and
    gauges tagged tenant and client, commit times tagged with the host."""

    def __init__(self, host: str) -> None:
        tags = ("tenant", "client")
        self._host_tags = {"host": host}
        self.ingested = Counter(
            "noc_alerts_ingested_total",
            "Alert drafts ingested (new, folded or suppressed).",
            tag_keys=tags,
        )
        self.created = Counter("noc_alerts_created_total", "New open alerts.", tag_keys=tags)
        self.folded = Counter(
            "noc_alerts_folded_total", "Duplicates folded into an open alert.", tag_keys=tags
        )
        self.suppressed = Counter(
            "noc_alerts_suppressed_total",
            "Alerts stored as SUPPRESSED (maintenance or backpressure).",
            tag_keys=tags,
        )
        self.escalated = Counter("noc_alerts_escalated_total", "Escalations fired.", tag_keys=tags)
        self.open_alerts_gauge = Gauge(
            "noc_open_alerts", "Open alerts by severity.", tag_keys=(*tags, "severity")
        )
        # By host, one observation per commit: a pool's joint ingest of a
        # hundred clients is one commit, and a histogram per client (13
        # series each) would cost Ray a record per client operation and
        # Prometheus 13,000 series at 1,000 clients. Per client, the load
        # gauges below carry the p99.
        self.batch_seconds = Histogram(
            "noc_ingest_batch_seconds",
            "Time to apply and persist one commit of a client host (a client's "
            "operation, or the joint ingest of many clients' batches).",
            boundaries=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
            tag_keys=("host",),
        )
        placed = (*tags, "host")
        self.items_per_min = Gauge(
            "noc_client_items_per_minute",
            "Items a client ingested a minute (5-minute average), by host actor.",
            tag_keys=placed,
        )
        self.core_cpu = Gauge(
            "noc_client_core_cpu_seconds",
            "CPU time a client's core spent on its ingest since its host loaded it.",
            tag_keys=placed,
        )
        self.p99_batch = Gauge(
            "noc_client_p99_batch_seconds",
            "p99 of a client's last 1,024 commit times.",
            tag_keys=placed,
        )
        self._counters: dict[CounterName, Counter] = {
            "ingested": self.ingested,
            "created": self.created,
            "folded": self.folded,
            "suppressed": self.suppressed,
            "escalated": self.escalated,
        }

        self._counts: dict[tuple[CounterName, tuple[str, str]], int] = {}
        self._open: dict[tuple[str, str], Mapping[str, int]] = {}
        self._seconds: list[float] = []
        self._flush_at: asyncio.TimerHandle | None = None

    @staticmethod
    def _key(tags: Tags) -> tuple[str, str]:
        return tags["tenant"], tags["client"]

    def count(self, name: CounterName, n: int, tags: Tags) -> None:
        key = (name, self._key(tags))
        self._counts[key] = self._counts.get(key, 0) + n
        self._later()

    def open_alerts(self, by_severity: Mapping[str, int], tags: Tags) -> None:
        self._open[self._key(tags)] = by_severity
        self._later()

    def commit_seconds(self, seconds: float) -> None:
        self._seconds.append(seconds)
        self._later()

    def _later(self) -> None:
        """Flush within ``FLUSH_S`` (now, outside an event loop)."""
        if self._flush_at is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_at = loop.call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        """Hand what was recorded to Ray."""
        self._flush_at = None
        counts, self._counts = self._counts, {}
        gauges, self._open = self._open, {}
        seconds, self._seconds = self._seconds, []
        for (name, (tenant, client)), n in counts.items():
            self._counters[name].inc(n, tags={"tenant": tenant, "client": client})
        for (tenant, client), by_severity in gauges.items():
            for severity, n in by_severity.items():
                tags = {"tenant": tenant, "client": client, "severity": severity}
                self.open_alerts_gauge.set(n, tags=tags)
        for value in seconds:
            self.batch_seconds.observe(value, tags=self._host_tags)

    def client_load(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """The load rows of a host (``ClientHost.load``) as gauges."""
        for row in rows:
            tags = {"tenant": str(row["tenant_id"]), "client": str(row["client_id"])}
            tags["host"] = str(row["host"])
            self.items_per_min.set(float(row["items_per_min"]), tags=tags)
            self.core_cpu.set(float(row["cpu_s"]), tags=tags)
            if row["p99_batch_ms"] is not None:
                self.p99_batch.set(float(row["p99_batch_ms"]) / 1000, tags=tags)


class TimerMetrics:
    def __init__(self) -> None:
        self.lag = Gauge("noc_timer_lag_seconds", "How late the last escalation fired.")
        self.pending = Gauge("noc_timer_pending_deadlines", "Deadlines waiting in the heap.")
        self.fired = Counter("noc_timer_fired_total", "Deadlines handed to aggregators.")


class BackpressureMetrics:
    def __init__(self) -> None:
        self.level = Gauge(
            "noc_backpressure_level", "0 NORMAL, 1 ELEVATED, 2 CRITICAL.", tag_keys=("tenant",)
        )
        self.new_info_low = Gauge(
            "noc_new_info_low_alerts", "NEW INFO/LOW alerts per tenant.", tag_keys=("tenant",)
        )
        self.queue_depth = Gauge("noc_ingest_queue_depth", "Ingest queue depth (all replicas).")
        self.swept = Counter(
            "noc_backpressure_swept_total",
            "NEW INFO alerts moved to SUPPRESSED by the sweep.",
            tag_keys=("tenant",),
        )
