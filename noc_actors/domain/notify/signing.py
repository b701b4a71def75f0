"""Webhook signatures and acknowledge-link tokens.

A webhook body is signed with the contact point's secret: HMAC-SHA256 over
``"<timestamp>." + body`` (the Unix time sent in ``X-NOC-Timestamp``), so a
receiver can check the sender and refuse an old request replayed (Stripe's
and Slack's scheme). An acknowledge link carries a random token; only its
SHA-256 is stored, with the alert, the recipient and an expiry, and it works
once."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-NOC-Signature"
TIMESTAMP_HEADER = "X-NOC-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str, timestamp: int, body: bytes, sent: str, now: float, tolerance_s: int = 300
) -> bool:
    """What a receiver checks: the signature, and a timestamp within
    ``tolerance_s`` of its clock."""
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), sent)


def new_token() -> str:
    """A fresh acknowledge-link token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
