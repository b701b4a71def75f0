"""What each channel is sent for one notice and one recipient.

``message`` builds the channel-neutral parts from the alert as JSON (masked
unless the recipient holds ``noc:view_pii``: the alert's metadata, its
message and any email or phone number in its text); the ``*_body``
functions shape them per channel: the signed webhook's JSON, Slack's
incoming-webhook JSON with blocks, the email's plain text and HTML, and a
PagerDuty Events API v2 event (its dedup key the alert id, so an escalation
and the resolution land on one PagerDuty incident)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from noc_actors.domain.masking import mask_unless

FIELDS = ("alert_type", "severity", "status", "client_id", "site_id", "entity_type", "entity_id")
DETAILS = 20
DETAIL_CHARS = 300
PAGERDUTY_SEVERITY = {
    "CRITICAL": "critical",
    "HIGH": "error",
    "MEDIUM": "warning",
    "LOW": "info",
    "INFO": "info",
}


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    level: int
    alert: dict[str, Any]
    """The alert as JSON, masked for the recipient."""
    subject: str
    ack_url: str | None

    @property
    def lines(self) -> list[tuple[str, str]]:
        rows = [(f, str(self.alert.get(f))) for f in FIELDS if self.alert.get(f) is not None]
        rows.append(("seen", f"{int(self.alert.get('suppressed_count') or 0) + 1} times"))
        rows.append(("first seen", str(self.alert.get("first_seen"))))
        if self.kind == "escalation":
            rows.append(("escalation", f"level {self.level} to {self.alert.get('escalated_to')}"))
        return rows

    @property
    def details(self) -> list[tuple[str, str]]:
        """The alert's metadata (already masked for the recipient), the first
        ``DETAILS`` keys, each value cut to ``DETAIL_CHARS``."""
        meta = self.alert.get("metadata") or {}
        return [(str(k), _cut(str(v), DETAIL_CHARS)) for k, v in list(meta.items())[:DETAILS]]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(
    alert_json: dict[str, Any], kind: str, level: int, view_pii: bool, ack_url: str | None
) -> Message:
    alert = mask_unless(view_pii, alert_json)
    what = "RESOLVED" if kind == "resolved" else f"ESCALATED (level {level})"
    subject = f"[{alert['severity']}] {what}: {alert['alert_type']} — {alert['message']}"
    return Message(kind, level, alert, subject[:250], ack_url if kind == "escalation" else None)


def webhook_body(m: Message) -> dict[str, Any]:
    return {
        "version": "1",
        "kind": m.kind,
        "level": m.level,
        "subject": m.subject,
        "alert": m.alert,
        "ack_url": m.ack_url,
    }


def slack_body(m: Message) -> dict[str, Any]:
    fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in m.lines][:10]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": m.subject[:150]}},
        {"type": "section", "fields": fields},
    ]
    if m.details:
        text = "\n".join(f"*{k}*: {v}" for k, v in m.details)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
    if m.ack_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "url": m.ack_url,
                        "style": "primary",
                    }
                ],
            }
        )
    return {"text": m.subject, "blocks": blocks}


def email_bodies(m: Message) -> tuple[str, str]:
    """Plain text and HTML."""
    rows = "\n".join(f"{k}: {v}" for k, v in [*m.lines, *m.details])
    text = f"{m.subject}\n\n{m.alert.get('message')}\n\n{rows}\n"
    cells = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in [*m.lines, *m.details]
    )
    page = (
        f"<h2>{html.escape(m.subject)}</h2><p>{html.escape(str(m.alert.get('message')))}</p>"
        f"<table>{cells}</table>"
    )
    if m.ack_url:
        text += f"\nAcknowledge: {m.ack_url}\n"
        page += f"<p><a href='{html.escape(m.ack_url, quote=True)}'>Acknowledge</a></p>"
    return text, page


def pagerduty_body(m: Message, routing_key: str) -> dict[str, Any]:
    alert = m.alert
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "resolve" if m.kind == "resolved" else "trigger",
        "dedup_key": alert["id"],
    }
    if m.kind != "resolved":
        event["payload"] = {
            "summary": m.subject[:1024],
            "source": str(alert.get("site_id") or alert.get("client_id")),
            "severity": PAGERDUTY_SEVERITY.get(str(alert.get("severity")), "info"),
            "component": alert.get("entity_id"),
            "group": alert.get("client_id"),
            "class": alert.get("alert_type"),
            "custom_details": dict(m.lines) | {"metadata": dict(m.details)},
        }
        if m.ack_url:
            event["links"] = [{"href": m.ack_url, "text": "Acknowledge in the NOC"}]
    return event
