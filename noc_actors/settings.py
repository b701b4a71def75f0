"""Process settings, read from the environment (prefix ``NOC_``).

Built once in a constructor (an actor's, a deployment's, the CLI's) and passed
down — never at import time, because Ray imports modules in every worker.
Nested policy fields use a double underscore, e.g.
``NOC_POLICY__DEVICE_OFFLINE_MINUTES=10`` or
``NOC_POLICY__ESCALATION_MINUTES='{"CRITICAL": 0.05}'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from noc_actors.domain.policy import TenantPolicy

DEFAULT_WS_ORIGINS = (
    "http://localhost:*",
    "https://localhost:*",
    "http://127.0.0.1:*",
    "https://127.0.0.1:*",
    "http://[::1]:*",
)
"""Local development pages may open the dashboard socket on any port."""


def default_data_dir() -> Path:
    return Path(user_data_dir("noc", appauthor=False))


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{default_data_dir() / 'noc.db'}"


class Settings(BaseSettings):
    """Everything a NOC process needs to know about its environment."""

    model_config = SettingsConfigDict(
        env_prefix="NOC_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL; sqlite+aiosqlite:///path (default) or "
        "postgresql+asyncpg://user@host/db.",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db; unset = in-process cache."
    )
    policy: TenantPolicy = Field(
        default_factory=TenantPolicy, description="Default policy for tenants without overrides."
    )
    ray_namespace: str = "noc"
    snapshot_interval_s: float = Field(default=300, gt=0)
    clock_rules_interval_s: float = Field(default=30, gt=0)
    backpressure_sweep_interval_s: float = Field(default=60, gt=0)
    backpressure_check_interval_s: float = Field(default=2, gt=0)
    supervisor_watch_interval_s: float = Field(default=5, gt=0)
    placement: Literal["pooled", "dedicated"] = Field(
        default="pooled",
        description="Where a client's aggregate runs unless its own placement says "
        "otherwise: 'pooled' (many clients in one pool actor, noc:pool:<n>) or "
        "'dedicated' (its own actor, noc:aggregator:<client_id>).",
    )
    pool_size: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="Clients per pool actor at the most (a pool costs ~125 MiB however many "
        "clients it runs, each client ~0.1 MiB more: bench/clients.py).",
    )
    route_ttl_s: float = Field(
        default=5,
        gt=0,
        le=300,
        description="How long a gateway (a Serve replica) keeps a client's route before "
        "asking the supervisor again (after a move, routes go stale within this).",
    )
    host_retire_s: float = Field(
        default=30,
        gt=0,
        description="How long a dedicated host emptied by a move lives on (refusing, so "
        "stale routes are retried) before it is stopped; above NOC_ROUTE_TTL_S.",
    )
    dedicate_items_per_min: float = Field(
        default=600,
        gt=0,
        description="A pooled client ingesting this many items a minute (5-minute "
        "average) is suggested for a host of its own (noc status --load, noc rebalance); "
        "a dedicated one below a tenth of it, for a pool.",
    )
    head_resource: str | None = Field(
        default=None,
        description="Ray custom resource the supervisor, timer, backpressure controller and "
        "hub each ask one unit of (cluster.yaml: noc_head); unset: any node.",
    )
    pool_resource: str | None = Field(
        default=None,
        description="Ray custom resource each pool host asks one unit of (noc_pool); "
        "pools are spread over the nodes that offer it; unset: any node.",
    )
    dedicated_resource: str | None = Field(
        default=None,
        description="Ray custom resource each dedicated host asks one unit of "
        "(noc_dedicated); unset: any node.",
    )
    lost_host: Literal["anywhere", "wait"] = Field(
        default="anywhere",
        description="A host whose node is gone while no live node offers its resource "
        "(the last pool or dedicated node lost): 'anywhere' restarts it without the "
        "resource on a surviving node, so its clients answer again; 'wait' leaves it "
        "pending until a node offering the resource joins.",
    )
    snapshot_retention_days: int = Field(default=30, ge=1)
    archive_hour_utc: int = Field(default=2, ge=0, le=23)
    cache_ttl_overview_s: int = Field(default=300, ge=1)
    cache_ttl_dashboard_s: int = Field(default=180, ge=1)
    cache_ttl_alerts_s: int = Field(default=60, ge=1)
    cache_warm_interval_s: float = Field(default=300, gt=0)
    ingest_queue_size: int = Field(default=20_000, ge=1)
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="Largest request body any route reads (413 above it); read only "
        "after the caller is authenticated.",
    )
    operator_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Bearer key of the platform operator: every tenant's health details "
        "and /metrics (Prometheus). Unset: only tenant tokens with noc:configure see "
        "details, of their own tenant.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key that encrypts contact points' secrets in the database (any string of "
        "32+ characters; the same on every node). Unset: a key file next to a SQLite database, "
        "else in the data directory (one machine only).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Where operators reach this NOC: the base of the acknowledge links sent "
        "in notifications.",
    )
    notify_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="How often the notifier looks for work."
    )
    notify_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="Longest one send waits for its answer."
    )
    notify_max_attempts: int = Field(default=6, ge=1, le=50)
    notify_backoff_s: float = Field(
        default=2.0, gt=0, description="First retry's backoff ceiling (doubles per try)."
    )
    notify_backoff_cap_s: float = Field(default=300.0, gt=0)
    ack_link_ttl_s: int = Field(
        default=24 * 3600, ge=60, description="How long an acknowledge link works."
    )
    request_timeout_s: float = Field(
        default=30,
        gt=0,
        le=600,
        description="Longest a request waits for its answer to start (503 with Retry-After "
        "past it); a streamed export is bounded only until its first byte.",
    )
    hub_ring_size: int = Field(default=10_000, ge=100)
    ws_rate_limit_per_minute: int = Field(
        default=100, ge=1, description="Client messages per minute per user, across replicas."
    )
    ws_allowed_origins: tuple[str, ...] = Field(
        default=DEFAULT_WS_ORIGINS,
        description="Browser origins allowed to open the dashboard WebSocket besides the "
        "app's own: 'https://noc.example.com', 'http://localhost:*' (any port) or '*'.",
    )
    ws_max_sockets_per_replica: int = Field(
        default=500,
        ge=1,
        description="Dashboard sockets one Serve replica holds (close 1013 above it: another "
        "replica may have room); keep it below the replica's max_ongoing_requests (1000).",
    )
    ws_max_sockets_per_user: int = Field(
        default=20,
        ge=1,
        description="Dashboard sockets one user holds on one replica (close 4429 above it).",
    )
    ws_send_queue_size: int = Field(
        default=1000, ge=10, description="Messages queued for one socket before it is dropped."
    )
    ws_auth_timeout_s: float = Field(default=5, gt=0)
    ws_idle_timeout_s: float = Field(
        default=60,
        gt=0,
        description="A socket whose client sends no heartbeat for this long is closed (other "
        "messages do not count).",
    )
    ws_token_recheck_s: float = Field(
        default=15,
        gt=0,
        description="How often an open socket's token is checked again (revocation, expiry).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("NOC_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return v
