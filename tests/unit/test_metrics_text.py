"""``/metrics`` renders the health document in Prometheus text format: every
component's up gauge, whatever failed, and the figures of what did not."""

from __future__ import annotations

from typing import Any

from serve_app.metrics_text import prometheus_text


def body(**failed: str) -> Any:
    components: dict[str, Any] = {
        "database": {
            "ok": True,
            "latency_ms": 1.5,
            "queues": {"new_alerts": 3, "unacknowledged_critical": 1, "backlog_older_than_1h": 0},
        },
        "cache": {"ok": True, "kind": "redis"},
        "actors": {
            "ok": True,
            "jobs": [
                {"name": "snapshot-archive", "failures": 0, "late": False},
                {"name": "mall/snapshot", "failures": 4, "late": True},
            ],
            "actors": [
                {
                    "name": "noc:escalation-timer",
                    "kind": "timer",
                    "client_id": None,
                    "state": "ALIVE",
                    "restarts": 2,
                    "last_error": None,
                },
                {
                    "name": "noc:aggregator:mall",
                    "kind": "aggregator",
                    "client_id": "mall",
                    "state": "RESTARTING",
                    "restarts": 1,
                    "last_error": "x",
                },
            ],
        },  # fmt: skip
        "timer": {
            "ok": True,
            "pending": 4,
            "fired": 9,
            "failures": 0,
            "last_lag_s": 0.25,
            "max_lag_s": 0.5,
            "next_due_at": None,
        },  # fmt: skip
        "backpressure": {"ok": True, "levels": {"t1": "ELEVATED", "t2": "CRITICAL"}},
        "replica": {
            "ok": True,
            "replica": "r1",
            "pump": {
                "subscribed": True,
                "subscriptions": 1,
                "base_seq": 0,
                "batches": 3,
                "failures": 0,
            },  # fmt: skip
            "dispatcher": {"sockets": 2, "tenants": 1, "events": 5, "gaps": 1},
            "ingest_queue": {"depth": 7, "capacity": 20000, "refused": 1},
        },
    }
    for name, error in failed.items():
        components[name] = {"ok": False, "error": error}
    return {"status": "healthy", "failing": list(failed), "components": components, "at": "now"}


def test_every_figure_of_a_healthy_noc_is_a_sample() -> None:
    lines = prometheus_text(body()).splitlines()
    for expected in (
        'noc_component_up{component="database"} 1.0',
        'noc_queue_depth{queue="new_alerts"} 3.0',
        'noc_actor_up{actor="noc:escalation-timer"} 1.0',
        'noc_actor_up{actor="noc:aggregator:mall"} 0.0',
        'noc_actor_restarts{actor="noc:escalation-timer"} 2.0',
        "noc_escalations_pending 4.0",
        'noc_job_failures_total{job="mall/snapshot"} 4.0',
        'noc_job_late{job="mall/snapshot"} 1.0',
        'noc_job_late{job="snapshot-archive"} 0.0',
        "noc_escalation_lag_seconds 0.25",
        'noc_backpressure_level{tenant="t2"} 2.0',
        'noc_ingest_queue_items{kind="capacity"} 20000.0',
        "noc_ingest_refused_total 1.0",
        "noc_ws_sockets 2.0",
        "noc_ws_gaps_total 1.0",
    ):
        assert expected in lines, expected
    assert "# TYPE noc_actor_restarts counter" in lines


def test_a_failed_component_is_down_and_its_figures_are_left_out() -> None:
    text = prometheus_text(body(database="OperationalError: refused", timer="TimeoutError: "))
    lines = text.splitlines()
    assert 'noc_component_up{component="database"} 0.0' in lines
    assert 'noc_component_up{component="timer"} 0.0' in lines
    assert not any(line.startswith("noc_queue_depth{") for line in lines)
    assert not any(line.startswith("noc_escalations_pending") for line in lines)
    assert "OperationalError" not in text  # errors are for the health JSON, not metrics


def test_label_values_are_escaped() -> None:
    doc = body()
    doc["components"]["backpressure"]["levels"] = {'a"b\\c\nd': "ELEVATED"}
    assert 'noc_backpressure_level{tenant="a\\"b\\\\c d"} 1.0' in prometheus_text(doc).splitlines()


LOAD = [
    {"tenant_id": "t1", "client_id": "mall", "host": "noc:pool:0", "placement": "pooled",
     "open_alerts": 12, "items_per_min": 840.0, "cpu_s": 1.5, "p99_batch_ms": 25.0,
     "batches": 90, "suggestion": "dedicate"},
    {"tenant_id": "t1", "client_id": "bank", "host": "noc:pool:0", "placement": "pooled",
     "open_alerts": None, "items_per_min": 0.0, "cpu_s": 0.0, "p99_batch_ms": None,
     "batches": 0, "suggestion": ""},
]  # fmt: skip


def test_each_clients_load_is_a_sample() -> None:
    lines = prometheus_text(body(), LOAD).splitlines()
    mall = 'tenant="t1",client="mall",placement="pooled",host="noc:pool:0"'
    for expected in (
        f"noc_client_items_per_minute{{{mall}}} 840.0",
        f"noc_client_open_alerts{{{mall}}} 12.0",
        f"noc_client_core_cpu_seconds{{{mall}}} 1.5",
        f"noc_client_p99_batch_seconds{{{mall}}} 0.025",
        f'noc_client_suggestion{{{mall},suggestion="dedicate"}} 1.0',
        'noc_client_items_per_minute{tenant="t1",client="bank",placement="pooled",'
        'host="noc:pool:0"} 0.0',
    ):
        assert expected in lines, expected
    # not loaded, no commits yet, nothing to suggest: no sample rather than a made-up 0
    assert not any(line.startswith("noc_client_open_alerts") and "bank" in line for line in lines)
    assert not any("noc_client_p99_batch" in line and "bank" in line for line in lines)
    assert not any("noc_client_suggestion{" in line and "bank" in line for line in lines)
    assert "noc_client_" not in prometheus_text(body())  # no load: no such family
