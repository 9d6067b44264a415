"""The receptionist's own speed per bucket: p50 and p95 of "end of caller speech → first agent audio
sent" (voice.Turn.response_ms), test calls left out. Percentiles of a bucket cannot be summed from its
days', so each day carries its measured values, sorted (insights/rollup.py), and a bucket's percentiles
are computed here from all its values, interpolated as PostgreSQL's PERCENTILE_CONT does."""

from __future__ import annotations

from datetime import date
from itertools import chain

from insights.periods import Period
from insights.rollup import DayFigures

QUANTILES = (0.5, 0.95)


def _percentile(ordered: list[int], quantile: float) -> float:
    """Linear interpolation between closest ranks of sorted `ordered`, as PERCENTILE_CONT does."""
    rank = quantile * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_by_bucket(
    period: Period, days: dict[date, DayFigures]
) -> tuple[list[float | None], list[float | None]]:
    """(p50 per bucket, p95 per bucket) in milliseconds; None where no turn was measured."""
    index = {bucket: i for i, bucket in enumerate(period.buckets)}
    sorted_days: list[list[list[int]]] = [[] for _ in period.buckets]
    for day, figures in days.items():
        if figures["ms"]:
            sorted_days[index[period.bucket_of_date(day)]].append(figures["ms"])
    p50: list[float | None] = [None] * len(period.buckets)
    p95: list[float | None] = [None] * len(period.buckets)
    for i, lists in enumerate(sorted_days):
        if lists:
            ordered = sorted(chain.from_iterable(lists))  # sorted runs: one linear merge in C
            p50[i], p95[i] = (_percentile(ordered, q) for q in QUANTILES)
    return p50, p95
