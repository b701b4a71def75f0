"""A client's load meter (``noc_actors.runtime.load``): items a minute over
a five-minute window (a young meter divides by its age, a minute at least),
the p99 of its commit times, and the suggestion with its gap."""

from __future__ import annotations

import pytest

from noc_actors.runtime.load import LoadMeter, suggestion


def test_items_per_minute_is_a_five_minute_average() -> None:
    meter = LoadMeter(since=0.0)
    meter.record(10.0, 30, 0.01, 0.001)
    assert meter.items_per_min(10.0) == 30.0  # young: divided by one minute, not ten seconds
    meter.record(120.0, 90, 0.01, 0.001)
    assert meter.items_per_min(120.0) == pytest.approx(120 / 2)  # two minutes old
    assert meter.items_per_min(309.0) == pytest.approx(120 / 5)  # the window is full
    assert meter.items_per_min(311.0) == pytest.approx(90 / 5)  # the first batch left it
    assert meter.items_per_min(421.0) == 0.0


def test_p99_and_figures() -> None:
    meter = LoadMeter(since=0.0)
    assert meter.figures(1.0) == {
        "items_per_min": 0.0,
        "cpu_s": 0.0,
        "p99_batch_ms": None,
        "batches": 0,
    }
    for i in range(1, 101):
        meter.record(float(i), 1, i / 1000, 0.002)
    figures = meter.figures(101.0)
    assert figures["p99_batch_ms"] == 99.0 and figures["batches"] == 100
    assert figures["cpu_s"] == pytest.approx(0.2)


def test_figures_read_between_batches_follow_every_new_batch() -> None:
    """The p99 is kept between reads and the window's count is a running
    sum: both must move with each batch as a recount would."""
    meter = LoadMeter(since=0.0)
    sent: list[tuple[float, int]] = []
    for i in range(1, 2001):
        at, items = i * 0.5, i % 7
        meter.record(at, items, (i % 50) / 1000 + (0.5 if i > 1980 else 0.0), 0.0)
        sent.append((at, items))
        if i % 97 == 0 or i > 1975:
            recount = sum(n for t, n in sent if t > at - 300.0)
            span = min(300.0, max(at, 60.0))
            assert meter.items_per_min(at) == pytest.approx(recount * 60 / span)
            window = sorted(
                ((j % 50) / 1000 + (0.5 if j > 1980 else 0.0))
                for j in range(max(1, i - 1023), i + 1)
            )
            assert meter.p99_batch_s() == window[-(-99 * len(window) // 100) - 1]
    assert meter.p99_batch_s() == 0.539  # the twenty slow batches at the end count


@pytest.mark.parametrize(
    ("placement", "rate", "expected"),
    [
        ("pooled", 600.0, "dedicate"),
        ("pooled", 599.9, ""),
        ("dedicated", 600.0, ""),
        ("dedicated", 60.0, ""),  # the gap: not back to a pool until below a tenth
        ("dedicated", 59.9, "pool"),
        ("pooled", 0.0, ""),
    ],
)
def test_suggestions_keep_a_gap(placement: str, rate: float, expected: str) -> None:
    assert suggestion(placement, rate, 600.0) == expected
