"""Reports (SPEC section 9) as pure functions over alerts and incidents.

- MTTR: mean time from first_seen to resolution of alerts resolved in the
  window (30 days), overall and per severity.
- Frequency: alerts first seen in the window per type, with a daily trend
  (every day of the window present, zeros included).
- SLA compliance: incidents resolved in the window, and how many of them by
  their sla_target; open incidents already past it are counted apart.
- Noisy sites: the top sites (7 days) by alerts plus suppressed duplicates.
- Alert rate: alerts new and resolved per time bucket (5 minutes over 24
  hours by default), buckets aligned to the epoch, the last one holding now.

They define the numbers; the REST layer may compute the same in SQL at scale
and is tested against these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.incident import Incident

MTTR_WINDOW = timedelta(days=30)
NOISY_WINDOW = timedelta(days=7)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def mttr(alerts: Iterable[Alert], now: datetime, window: timedelta = MTTR_WINDOW) -> dict[str, Any]:
    """Mean seconds to resolve, over alerts resolved in ``(now - window, now]``."""
    since = now - window
    per: dict[Severity, list[float]] = {s: [] for s in Severity}
    for a in alerts:
        ttr, at = a.time_to_resolve, a.resolved_at
        if a.status is AlertStatus.RESOLVED and ttr is not None and at and since < at <= now:
            per[a.severity].append(ttr)
    everything = [v for values in per.values() for v in values]
    return {
        "window_days": window.days,
        "resolved": len(everything),
        "overall_s": _mean(everything),
        "by_severity": {s.value: _mean(per[s]) for s in Severity},
    }


def frequency(alerts: Iterable[Alert], now: datetime, days: int = 30) -> dict[str, Any]:
    """Alerts per type first seen in the last ``days`` days (today included),
    with a per-day trend for each type."""
    first_day = now.date() - timedelta(days=days - 1)
    all_days = [first_day + timedelta(days=i) for i in range(days)]
    by_type: Counter[str] = Counter()
    daily: dict[str, Counter[date]] = defaultdict(Counter)
    for a in alerts:
        day = a.first_seen.date()
        if first_day <= day <= now.date() and a.first_seen <= now:
            by_type[a.alert_type] += 1
            daily[a.alert_type][day] += 1
    return {
        "days": [d.isoformat() for d in all_days],
        "by_type": dict(by_type.most_common()),
        "daily": {t: [daily[t][d] for d in all_days] for t in sorted(daily)},
    }


def sla_compliance(
    incidents: Iterable[Incident], now: datetime, window: timedelta = MTTR_WINDOW
) -> dict[str, Any]:
    """Share of incidents resolved in the window that met their sla_target."""
    since = now - window
    resolved = met = open_breached = 0
    for i in incidents:
        if i.resolved_at is not None and since < i.resolved_at <= now:
            resolved += 1
            met += int(i.resolved_at <= i.sla_target)
        elif i.resolved_at is None and i.is_open and now > i.sla_target:
            open_breached += 1
    return {
        "window_days": window.days,
        "resolved": resolved,
        "within_sla": met,
        "compliance": met / resolved if resolved else None,
        "open_past_sla": open_breached,
    }


def noisy_sites(
    alerts: Iterable[Alert], now: datetime, top: int = 10, window: timedelta = NOISY_WINDOW
) -> list[dict[str, Any]]:
    """Sites ranked by alerts first seen in the window plus the duplicates
    folded into them (suppressed_count). Alerts without a site are skipped."""
    since = now - window
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for a in alerts:
        if a.site_id is None or not since < a.first_seen <= now:
            continue
        c = counts[(a.client_id, a.site_id)]
        c[0] += 1
        c[1] += a.suppressed_count
    ranked = sorted(counts.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), kv[0]))
    return [
        {
            "client_id": cid,
            "site_id": sid,
            "alerts": n,
            "suppressed_duplicates": dup,
            "noise": n + dup,
        }
        for (cid, sid), (n, dup) in ranked[:top]
    ]


def rate_buckets(now: datetime, hours: int, bucket_minutes: int) -> tuple[datetime, int]:
    """The start of the first bucket and how many buckets cover the last
    ``hours`` hours: buckets of ``bucket_minutes`` aligned to the epoch
    (UTC), so every reader puts a moment in the same bucket; the last one
    holds ``now`` (it is still filling)."""
    width = timedelta(minutes=bucket_minutes)
    count = -(-hours * 60 // bucket_minutes)  # ceil
    current = EPOCH + (now - EPOCH) // width * width
    return current - (count - 1) * width, count


def alert_rate(
    alerts: Iterable[Alert], now: datetime, hours: int = 24, bucket_minutes: int = 5
) -> list[dict[str, Any]]:
    """Alerts new and resolved per bucket (``rate_buckets``), oldest first.

    New: first seen in the bucket, unless stored SUPPRESSED (maintenance,
    backpressure, inhibition: never shown to an operator). Resolved:
    resolved in the bucket. Nothing after ``now`` is counted."""
    start, count = rate_buckets(now, hours, bucket_minutes)
    width = timedelta(minutes=bucket_minutes)
    new = [0] * count
    resolved = [0] * count

    def slot(at: datetime | None) -> int | None:
        if at is None or at < start or at > now:
            return None
        return (at - start) // width

    for a in alerts:
        i = slot(a.first_seen) if a.status is not AlertStatus.SUPPRESSED else None
        if i is not None:
            new[i] += 1
        j = slot(a.resolved_at)
        if j is not None:
            resolved[j] += 1
    return [
        {"start": (start + i * width).isoformat(), "new": new[i], "resolved": resolved[i]}
        for i in range(count)
    ]
