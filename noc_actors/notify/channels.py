"""Senders, one per channel, behind one interface: ``send(contact, message,
delivery_id)`` returns a ``Sent`` — whether it worked, whether a failure is
worth another try (the channel knows: HTTP 4xx but 408/429 is not, SMTP 5xx
is not), the status code and the error. A send never raises; a send that
takes longer than the timeout is a retryable failure.

Every HTTP send carries ``Idempotency-Key: <delivery id>`` (the same on every
try of one delivery), so a receiver sees a retried delivery as one."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from noc_actors.domain.notify import render
from noc_actors.domain.notify.contacts import ContactPoint
from noc_actors.domain.notify.retry import http_retryable
from noc_actors.domain.notify.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
USER_AGENT = "NOC-notifier/1"


@dataclass(frozen=True, slots=True)
class Sent:
    ok: bool
    retryable: bool
    status_code: int | None = None
    error: str | None = None


class Sender(Protocol):
    async def send(
        self, contact: ContactPoint, message: render.Message, delivery_id: str
    ) -> Sent: ...


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpSender:
    """Webhook, Slack and PagerDuty: one JSON POST each."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def request(
        self, contact: ContactPoint, message: render.Message, delivery_id: str
    ) -> tuple[str, bytes, dict[str, str]]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: delivery_id,
        }
        body: dict[str, Any]
        if contact.channel == "webhook":
            url = str(contact.config["url"])
            body = render.webhook_body(message) | {"delivery_id": delivery_id}
        elif contact.channel == "slack":
            url = contact.secrets["url"]
            body = render.slack_body(message)
        else:
            url = str(contact.config.get("url") or PAGERDUTY_URL)
            body = render.pagerduty_body(message, contact.secrets["routing_key"])
        data = json.dumps(body, separators=(",", ":"), default=str).encode()
        if contact.channel == "webhook" and contact.secrets.get("secret"):
            now = int(time.time())
            headers[TIMESTAMP_HEADER] = str(now)
            headers[SIGNATURE_HEADER] = signature(contact.secrets["secret"], now, data)
        return url, data, headers

    async def send(self, contact: ContactPoint, message: render.Message, delivery_id: str) -> Sent:
        url, data, headers = self.request(contact, message, delivery_id)
        try:
            answer = await self.client.post(url, content=data, headers=headers)
        except httpx.TimeoutException:
            return Sent(False, True, None, "timed out")
        except httpx.HTTPError as err:
            return Sent(False, True, None, _short(f"{type(err).__name__}: {err}"))
        if answer.is_success:
            return Sent(True, False, answer.status_code)
        return Sent(
            False,
            http_retryable(answer.status_code),
            answer.status_code,
            _short(f"HTTP {answer.status_code}: {answer.text}"),
        )


class EmailSender:
    """SMTP: plain text and HTML alternatives; STARTTLS and login as the
    contact point says."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def build(
        self, contact: ContactPoint, message: render.Message, delivery_id: str
    ) -> EmailMessage:
        text, html = render.email_bodies(message)
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = str(contact.config["from"])
        mail["To"] = str(contact.config["to"])
        mail["Message-ID"] = f"<{delivery_id}@noc>"
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
        return mail

    async def send(self, contact: ContactPoint, message: render.Message, delivery_id: str) -> Sent:
        import aiosmtplib

        cfg = contact.config
        try:
            await aiosmtplib.send(
                self.build(contact, message, delivery_id),
                hostname=str(cfg["host"]),
                port=int(cfg.get("port") or 587),
                start_tls=bool(cfg.get("starttls", False)),
                username=cfg.get("username") or None,
                password=contact.secrets.get("password"),
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPResponseException as err:
            return Sent(
                False, 400 <= err.code < 500, err.code, _short(f"SMTP {err.code}: {err.message}")
            )
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as err:
            return Sent(False, True, None, _short(f"{type(err).__name__}: {err}"))
        return Sent(True, False, 250)


class Channels:
    """The sender of each channel, and the timeout around every send."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.http = HttpSender(
            httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False)
        )
        self.email = EmailSender(timeout_s)

    async def send(self, contact: ContactPoint, message: render.Message, delivery_id: str) -> Sent:
        sender: Sender = self.email if contact.channel == "email" else self.http
        try:
            return await asyncio.wait_for(
                sender.send(contact, message, delivery_id), self.timeout_s + 1
            )
        except TimeoutError:
            return Sent(False, True, None, "timed out")
        except KeyError as err:
            return Sent(False, False, None, f"contact point lacks the setting {err}")
        except Exception as err:  # noqa: BLE001 - a send that cannot be made is not retried
            return Sent(False, False, None, _short(f"{type(err).__name__}: {err}"))

    async def close(self) -> None:
        await self.http.client.aclose()
