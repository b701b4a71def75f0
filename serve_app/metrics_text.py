"""``/metrics``: the health document in Prometheus text format (version
0.0.4), and each client's load as the supervisor gathers it for ``noc status
--load`` (``noc_client_*``: items a minute, open alerts, ingest CPU, p99
batch time, placement and the suggestion). The actors' own counters
(``noc_alerts_*``, ``noc_open_alerts``, ...) live in Ray's metrics endpoint,
tagged per tenant and client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from noc_actors.runtime.loops import LoopStatus
    from serve_app.health import Components, HealthBody, Part

LEVELS = {"NORMAL": 0, "ELEVATED": 1, "CRITICAL": 2}


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    help: str
    kind: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for labels, value in self.samples:
            tags = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            text = float(value)
            yield f"{self.name}{{{tags}}} {text}" if tags else f"{self.name} {text}"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _components(c: Components) -> Iterator[Metric]:
    up = {name: 1.0 if part["ok"] else 0.0 for name, part in _parts(c)}
    yield Metric(
        "noc_component_up",
        "1 when the component is healthy.",
        "gauge",
        [({"component": n}, v) for n, v in up.items()],
    )


def _parts(c: Components) -> Iterator[tuple[str, Part]]:
    yield "database", c["database"]
    yield "cache", c["cache"]
    yield "actors", c["actors"]
    yield "timer", c["timer"]
    yield "backpressure", c["backpressure"]
    yield "replica", c["replica"]


def _queues(c: Components) -> Iterator[Metric]:
    db = c["database"]
    samples: list[tuple[dict[str, str], float]] = []
    if "queues" in db:
        q = db["queues"]
        waiting = {
            "new_alerts": q["new_alerts"],
            "unacknowledged_critical": q["unacknowledged_critical"],
            "backlog_older_than_1h": q["backlog_older_than_1h"],
        }
        samples = [({"queue": name}, n) for name, n in waiting.items()]
    yield Metric(
        "noc_queue_depth",
        "Alerts waiting: new, unacknowledged critical, NEW older than 1 h.",
        "gauge",
        samples,
    )


def _actors(c: Components) -> Iterator[Metric]:
    part = c["actors"]
    actors = []
    if "actors" in part:
        actors = part["actors"]
    yield Metric(
        "noc_actor_up",
        "1 when the actor answered its last ping.",
        "gauge",
        [({"actor": a["name"]}, 1.0 if a["state"] == "ALIVE" else 0.0) for a in actors],
    )
    yield Metric(
        "noc_actor_restarts",
        "Restarts the supervisor has seen.",
        "counter",
        [({"actor": a["name"]}, float(a["restarts"])) for a in actors],
    )


def _jobs(c: Components) -> Iterator[Metric]:
    part = c["actors"]
    jobs: list[LoopStatus] = []
    if "jobs" in part:
        jobs = part["jobs"]
    yield Metric(
        "noc_job_failures_total",
        "Failed runs of a periodic job since its actor started (retries included).",
        "counter",
        [({"job": j["name"]}, float(j["failures"])) for j in jobs],
    )
    yield Metric(
        "noc_job_late",
        "1 when a periodic job has not succeeded for 3 intervals.",
        "gauge",
        [({"job": j["name"]}, 1.0 if j["late"] else 0.0) for j in jobs],
    )


def _timer(c: Components) -> Iterator[Metric]:
    timer = c["timer"]
    if "pending" not in timer:
        return
    yield Metric(
        "noc_escalations_pending",
        "Deadlines in the escalation timer.",
        "gauge",
        [({}, float(timer["pending"]))],
    )
    yield Metric(
        "noc_escalation_lag_seconds",
        "Lag of the last escalation.",
        "gauge",
        [({}, float(timer["last_lag_s"] or 0.0))],
    )


def _backpressure(c: Components) -> Iterator[Metric]:
    part = c["backpressure"]
    levels: dict[str, str] = {}
    if "levels" in part:
        levels = part["levels"]
    yield Metric(
        "noc_backpressure_level",
        "0 NORMAL, 1 ELEVATED, 2 CRITICAL (tenants above NORMAL).",
        "gauge",
        [({"tenant": t}, float(LEVELS.get(lv, 0))) for t, lv in levels.items()],
    )


def _replica(c: Components) -> Iterator[Metric]:
    replica = c["replica"]
    if "ingest_queue" not in replica:
        return
    queue, sockets = replica["ingest_queue"], replica["dispatcher"]
    yield Metric(
        "noc_ingest_queue_items",
        "Ingest items in flight on this replica, and its capacity.",
        "gauge",
        [({"kind": "depth"}, queue["depth"]), ({"kind": "capacity"}, queue["capacity"])],
    )
    yield Metric(
        "noc_ingest_refused_total",
        "Ingest batches this replica refused with 503 (queue full or CRITICAL).",
        "counter",
        [({}, float(queue["refused"]))],
    )
    yield Metric("noc_ws_sockets", "Dashboard sockets on this replica.", "gauge",
                 [({}, float(sockets["sockets"]))])  # fmt: skip
    yield Metric("noc_ws_events_total", "Hub events dispatched by this replica.", "counter",
                 [({}, float(sockets["events"]))])  # fmt: skip
    yield Metric("noc_ws_gaps_total", "Gaps in the hub stream (resync sent).", "counter",
                 [({}, float(sockets["gaps"]))])  # fmt: skip


SECTIONS = (_components, _queues, _actors, _jobs, _timer, _backpressure, _replica)


def client_load(rows: Sequence[Mapping[str, Any]]) -> Iterator[Metric]:
    """Per client (``Supervisor.load`` rows): labels tenant, client,
    placement and host actor (health's details name the hosts too)."""

    def labels(r: Mapping[str, Any]) -> dict[str, str]:
        return {
            "tenant": str(r["tenant_id"]),
            "client": str(r["client_id"]),
            "placement": str(r.get("placement", "")),
            "host": str(r.get("host", "")),
        }

    yield Metric(
        "noc_client_items_per_minute",
        "Alerts and events a client ingested a minute (last 5 minutes).",
        "gauge",
        [(labels(r), float(r["items_per_min"])) for r in rows],
    )
    yield Metric(
        "noc_client_open_alerts",
        "A client's open alerts (loaded clients).",
        "gauge",
        [(labels(r), float(r["open_alerts"])) for r in rows if r.get("open_alerts") is not None],
    )
    yield Metric(
        "noc_client_core_cpu_seconds",
        "CPU time a client's rules and book took on its host since it loaded there.",
        "gauge",
        [(labels(r), float(r["cpu_s"])) for r in rows],
    )
    yield Metric(
        "noc_client_p99_batch_seconds",
        "p99 time of a client's last 1,024 commits.",
        "gauge",
        [
            (labels(r), float(r["p99_batch_ms"]) / 1000)
            for r in rows
            if r.get("p99_batch_ms") is not None
        ],
    )
    moves = [r for r in rows if r.get("suggestion")]
    yield Metric(
        "noc_client_suggestion",
        "Clients noc rebalance would move now (suggestion: dedicate, or pool).",
        "gauge",
        [({**labels(r), "suggestion": str(r["suggestion"])}, 1.0) for r in moves],
    )


def prometheus_text(body: HealthBody, load: Sequence[Mapping[str, Any]] | None = None) -> str:
    """The health figures (and, given, each client's load) in Prometheus
    text format."""
    metrics = [m for section in SECTIONS for m in section(body["components"])]
    if load is not None:
        metrics.extend(client_load(load))
    return "\n".join(line for metric in metrics for line in metric.lines()) + "\n"
