"""SPEC 9: MTTR, alert frequency with daily trend, incident SLA compliance,
noisy sites — and the CSV exports, masked unless the user may see PII."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from noc_actors.domain.alert import Alert
from noc_actors.domain.enums import AlertStatus, Severity
from noc_actors.domain.export import ALERT_COLUMNS, AUDIT_COLUMNS, csv_chunks
from noc_actors.domain.incident import create_incident
from noc_actors.domain.reports import (
    alert_rate,
    frequency,
    mttr,
    noisy_sites,
    rate_buckets,
    sla_compliance,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def alert(
    i: int,
    sev: Severity = Severity.HIGH,
    *,
    seen: datetime = NOW - H,
    resolved_after: timedelta | None = None,
    typ: str = "DEVICE_OFFLINE",
    site: str | None = "s1",
    dup: int = 0,
    client: str = "c1",
) -> Alert:
    a = Alert(
        id=f"a{i}",
        tenant_id="t1",
        client_id=client,
        alert_type=typ,
        severity=sev,
        message="m",
        dedup_key=f"k{i}",
        first_seen=seen,
        last_seen=seen,
        site_id=site,
        suppressed_count=dup,
        metadata={"person_name": "Ann Guard"},
    )
    if resolved_after is not None:
        a.resolve("u1", seen + resolved_after)
    return a


def test_mttr_is_the_mean_time_to_resolve_overall_and_per_severity() -> None:
    alerts = [
        alert(1, Severity.HIGH, resolved_after=timedelta(minutes=10)),
        alert(2, Severity.HIGH, resolved_after=timedelta(minutes=30)),
        alert(3, Severity.CRITICAL, resolved_after=timedelta(minutes=5)),
        alert(4, Severity.LOW),  # still open: not counted
        alert(5, Severity.LOW, seen=NOW - timedelta(days=40), resolved_after=H),  # too old
    ]
    report = mttr(alerts, NOW)
    assert report["resolved"] == 3
    assert report["overall_s"] == (600 + 1800 + 300) / 3
    assert report["by_severity"]["HIGH"] == 1200
    assert report["by_severity"]["CRITICAL"] == 300
    assert report["by_severity"]["LOW"] is None and report["by_severity"]["INFO"] is None


def test_frequency_counts_types_with_a_zero_filled_daily_trend() -> None:
    alerts = [
        alert(1),
        alert(2),
        alert(3, typ="SLA_BREACH", seen=NOW - timedelta(days=2)),
        alert(4, seen=NOW - timedelta(days=31)),
    ]
    report = frequency(alerts, NOW, days=3)
    assert report["days"] == ["2026-11-24", "2026-11-25", "2026-11-26"]
    assert report["by_type"] == {"DEVICE_OFFLINE": 2, "SLA_BREACH": 1}
    assert report["daily"] == {"DEVICE_OFFLINE": [0, 0, 2], "SLA_BREACH": [1, 0, 0]}


def test_sla_compliance_counts_incidents_resolved_by_their_target() -> None:
    crit = [alert(i, Severity.CRITICAL) for i in range(3)]
    fast = create_incident(crit[:1], "fast", NOW - 10 * H, incident_id="i1")
    slow = create_incident(crit[1:2], "slow", NOW - 10 * H, incident_id="i2")
    late_open = create_incident(crit[2:], "open", NOW - 10 * H, incident_id="i3")
    fast.resolve("u", NOW - 9 * H)  # within the 4 h CRITICAL target
    slow.resolve("u", NOW - H)  # 9 h after creation: missed
    report = sla_compliance([fast, slow, late_open], NOW)
    assert (report["resolved"], report["within_sla"], report["compliance"]) == (2, 1, 0.5)
    assert report["open_past_sla"] == 1
    assert sla_compliance([], NOW)["compliance"] is None


def test_noisy_sites_rank_by_alerts_plus_folded_duplicates_top_ten() -> None:
    alerts = [
        alert(1, site="quiet"),
        alert(2, site="loud", dup=50),
        alert(3, site="busy"),
        alert(4, site="busy"),
        alert(5, site=None, dup=999),
        alert(6, site="old", seen=NOW - timedelta(days=8), dup=500),
    ]
    alerts += [alert(100 + i, site=f"x{i}") for i in range(12)]
    top = noisy_sites(alerts, NOW)
    assert len(top) == 10
    assert [(s["site_id"], s["alerts"], s["suppressed_duplicates"]) for s in top[:2]] == [
        ("loud", 1, 50),
        ("busy", 2, 0),
    ]
    assert all(s["site_id"] not in ("old", None) for s in top)


def test_alert_rate_counts_new_and_resolved_per_epoch_aligned_bucket_ending_now() -> None:
    now = NOW + timedelta(minutes=12, seconds=30)  # 12:12:30: the last bucket is 12:10
    start, count = rate_buckets(now, 1, 5)
    assert (start, count) == (NOW - timedelta(minutes=45), 12)  # 11:15 .. 12:10
    suppressed = alert(4, seen=now - timedelta(minutes=1))
    suppressed.status = AlertStatus.SUPPRESSED
    alerts = [
        alert(1, seen=now - timedelta(minutes=1), resolved_after=timedelta(seconds=30)),
        alert(2, seen=start),  # the first moment of the first bucket
        alert(3, seen=start - timedelta(seconds=1), resolved_after=timedelta(minutes=6)),
        suppressed,  # never shown: not new
        alert(5, seen=now + timedelta(seconds=1)),  # after now: not yet
    ]
    buckets = alert_rate(alerts, now, hours=1, bucket_minutes=5)
    assert len(buckets) == 12 and buckets[-1]["start"] == "2026-11-26T12:10:00+00:00"
    assert {
        b["start"][11:16]: (b["new"], b["resolved"]) for b in buckets if b["new"] or b["resolved"]
    } == {
        "11:15": (1, 0),  # alert 2
        "11:20": (0, 1),  # alert 3, seen before the window, resolved at 11:20:59
        "12:10": (1, 1),  # alert 1
    }
    assert len(alert_rate([], now, hours=24, bucket_minutes=7)) == 206  # ceil(1440 / 7)


def _rows(chunks: list[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(chunks))))


def test_alert_export_masks_pii_unless_allowed_and_streams_in_chunks() -> None:
    alerts = [alert(i) for i in range(5)]
    for a in alerts:
        a.assign("Jane Roe", NOW, by="u1")
    dicts = [a.to_json() for a in alerts]
    masked = list(csv_chunks(dicts, ALERT_COLUMNS, may_see_pii=False, chunk_rows=2))
    assert len(masked) == 3  # header + 2 rows, 2 rows, 1 row
    text = "".join(masked)
    assert "Jane Roe" not in text and "Ann Guard" not in text
    rows = _rows(masked)
    assert len(rows) == 5 and rows[0]["assigned_to"] == "Ja***oe"
    assert '"person_name": "An***rd"' in rows[0]["metadata"]
    clear = _rows(list(csv_chunks(dicts, ALERT_COLUMNS, may_see_pii=True)))
    assert clear[0]["assigned_to"] == "Jane Roe"
    assert clear[0]["status"] == AlertStatus.ASSIGNED.value


def test_export_cells_never_start_a_spreadsheet_formula() -> None:
    rows = [{"id": 1, "action": '=HYPERLINK("http://x")', "entity_id": "-5", "metadata": {}}]
    (row,) = _rows(list(csv_chunks(rows, AUDIT_COLUMNS, may_see_pii=True)))
    assert row["action"].startswith("'=")
    assert row["entity_id"] == "-5"  # plain numbers stay numbers


@pytest.mark.parametrize("text", ["\t=1+1", "\r=1+1", "\t+1", "\r-1", "\t@SUM(A1)", "\tplain"])
def test_a_cell_starting_with_a_tab_or_return_is_escaped_too(text: str) -> None:
    rows = [{"id": 1, "action": text, "entity_id": "e", "metadata": {}}]
    (row,) = _rows(list(csv_chunks(rows, AUDIT_COLUMNS, may_see_pii=True)))
    assert row["action"] == "'" + text


def test_empty_export_is_just_the_header() -> None:
    assert "".join(csv_chunks([], AUDIT_COLUMNS, may_see_pii=False)).strip() == ",".join(
        AUDIT_COLUMNS
    )
