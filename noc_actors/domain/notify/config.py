"""The settings of each channel's contact points, checked the same way by
the API and the CLI; ``split`` parts a checked config into what is stored
plainly and the secrets (``contacts.SECRET_FIELDS``) stored encrypted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from noc_actors.domain.notify.contacts import SECRET_FIELDS
from noc_actors.domain.schema_rules import StrictModel

PORT = r"([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
URL = rf"^https?://[A-Za-z0-9.-]+(:{PORT})?([/?#][!-~]*)?$"
"""http(s), a host name or IPv4 address, an optional port, a printable-ASCII rest
(spelled without ``\\s``, whose meaning differs between regex engines)."""
EMAIL = r"^[!-?A-~]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
HOST = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$"


class WebhookConfig(StrictModel):
    url: str = Field(max_length=2000, pattern=URL, description="Where the JSON is POSTed.")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=256,
        description="Signs each body: X-NOC-Signature = sha256=HMAC(secret, timestamp + '.' "
        "+ body), X-NOC-Timestamp the Unix time. Write-only.",
    )


class SlackConfig(StrictModel):
    url: str = Field(
        max_length=2000, pattern=URL, description="The incoming-webhook URL. Write-only."
    )


class EmailConfig(StrictModel):
    model_config = ConfigDict(populate_by_name=True)

    to: str = Field(max_length=320, pattern=EMAIL)
    sender: str = Field(alias="from", max_length=320, pattern=EMAIL)
    host: str = Field(max_length=253, pattern=HOST, description="SMTP server.")
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    username: str | None = Field(default=None, min_length=1, max_length=320)
    password: str | None = Field(
        default=None, min_length=1, max_length=1000, description="Write-only."
    )


class PagerDutyConfig(StrictModel):
    routing_key: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Integration key. Write-only.",
    )
    url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=URL,
        description="Events API v2 endpoint (default: PagerDuty's).",
    )


CONFIGS: dict[str, type[BaseModel]] = {
    "webhook": WebhookConfig,
    "slack": SlackConfig,
    "email": EmailConfig,
    "pagerduty": PagerDutyConfig,
}


def split(channel: str, config: BaseModel) -> tuple[dict[str, Any], dict[str, str]]:
    """Plain settings and secrets of a checked config."""
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    secret_names = SECRET_FIELDS[channel]
    plain = {k: v for k, v in data.items() if k not in secret_names}
    secrets = {k: str(v) for k, v in data.items() if k in secret_names}
    return plain, secrets
