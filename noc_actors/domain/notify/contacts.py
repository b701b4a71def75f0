"""Contact points and who a notice reaches.

A contact point belongs to a tenant and sends on one channel (``webhook``,
``slack``, ``email``, ``pagerduty``). A contact point with a ``user_id`` is
that user's (how the user wants to hear: e.g. CRITICAL by email and webhook
at once, HIGH by email after 5 minutes — one contact point per rule, with
``min_severity``, ``max_severity`` and ``delay_s``); one without is the tenant's (a team
channel), told of every escalation it wants by severity.

An escalation reaches the users of its target (a user id, or every tenant
admin for ``tenant_admins``) through their contact points, and the tenant's
contact points. A resolution reaches the contact points an escalation of the
alert was sent to, those that want resolutions (``send_resolved``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from noc_actors.domain.enums import Severity
from noc_actors.domain.escalation import TARGET_KINDS, TENANT_ADMINS

Channel = Literal["webhook", "slack", "email", "pagerduty"]
CHANNELS: tuple[str, ...] = get_args(Channel)

SECRET_FIELDS: Mapping[str, tuple[str, ...]] = {
    "webhook": ("secret",),
    "slack": ("url",),
    "email": ("password",),
    "pagerduty": ("routing_key",),
}
"""Per channel, the settings stored encrypted and never returned nor logged
(a Slack incoming-webhook URL is itself the credential)."""


@dataclass(frozen=True, slots=True)
class ContactPoint:
    id: str
    tenant_id: str
    name: str
    channel: Channel
    config: Mapping[str, Any]
    """The channel's settings without its secrets."""
    user_id: str | None = None
    min_severity: Severity = Severity.LOW
    max_severity: Severity | None = None
    """With ``min_severity``, a band: e.g. HIGH only (a rule of its own,
    while CRITICAL goes another way); None: no upper bound."""
    delay_s: int = 0
    send_resolved: bool = True
    enabled: bool = True
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Decrypted secrets, filled only where the pipeline sends."""

    def wants(self, severity: Severity) -> bool:
        top = self.max_severity
        return (
            self.enabled
            and severity.rank >= self.min_severity.rank
            and (top is None or severity.rank <= top.rank)
        )


def target_users(target: str | None, admins: Iterable[str]) -> list[str]:
    """The users an escalation target names: the user, or every admin; a
    step nobody answered (``site_oncall`` when no schedule had anyone on
    call): nobody — the tenant's own contact points still hear it."""
    if target is None:
        return []
    if target == TENANT_ADMINS:
        return sorted(set(admins))
    if target in TARGET_KINDS:
        return []
    return [target]


def escalation_contacts(
    contacts: Sequence[ContactPoint], users: Iterable[str], severity: Severity
) -> list[ContactPoint]:
    """The contact points an escalation to ``users`` reaches: theirs and the
    tenant's, each that wants this severity, by name."""
    wanted = set(users)
    return sorted(
        (c for c in contacts if (c.user_id is None or c.user_id in wanted) and c.wants(severity)),
        key=lambda c: (c.name, c.id),
    )


def resolution_contacts(
    contacts: Sequence[ContactPoint], notified: Iterable[str]
) -> list[ContactPoint]:
    """The contact points told of the alert's escalation that want to hear
    it resolved (still enabled)."""
    told = set(notified)
    return sorted(
        (c for c in contacts if c.id in told and c.enabled and c.send_resolved),
        key=lambda c: (c.name, c.id),
    )
