"""Limits every ingest source shares."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

MAX_BATCH: Final = 5000
"""Items in one ingest request (events, alerts, Alertmanager alerts)."""

MAX_FUTURE: Final = timedelta(hours=1)
"""How far ahead of the NOC's clock an observation time may be (clock skew);
later ones are refused as a bad clock."""
