"""The receptionist's own speed per bucket: p50 and p95 of "end of caller speech → first agent audio
sent" (voice.Turn.response_ms), test calls left out. PostgreSQL computes the percentiles itself; the
embedded SQLite database (the demo) has no percentile function, so there they are computed here."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, FloatField

from insights.periods import Period
from voice.models import Call, Turn

QUANTILES = (0.5, 0.95)


class PercentilesCont(Aggregate):
    """PostgreSQL's PERCENTILE_CONT of several fractions at once: one sort per group, not one each."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(ARRAY[%(quantiles)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"


def _percentile(values: list[int], quantile: float) -> float:
    """Linear interpolation between closest ranks, as PERCENTILE_CONT does."""
    ordered = sorted(values)
    rank = quantile * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_by_bucket(period: Period) -> tuple[list[float | None], list[float | None]]:
    """(p50 per bucket, p95 per bucket) in milliseconds; None where no turn was measured."""
    # Test calls are few: leaving them out by id (an anti-join) spares joining every turn to its call.
    turns = (
        Turn.objects.filter(
            response_ms__isnull=False, started_at__gte=period.start, started_at__lt=period.end
        )
        .exclude(call_id__in=Call.objects.test().values("pk"))
        .annotate(bucket=period.bucket_of("started_at"))
    )
    index = {bucket: i for i, bucket in enumerate(period.buckets)}
    p50: list[float | None] = [None] * len(period.buckets)
    p95: list[float | None] = [None] * len(period.buckets)
    if connection.vendor == "postgresql":
        quantiles = ", ".join(str(q) for q in QUANTILES)
        rows = turns.values("bucket").annotate(
            both=PercentilesCont("response_ms", quantiles=quantiles, output_field=ArrayField(FloatField()))
        )
        for row in rows:
            if row["bucket"] in index:
                p50[index[row["bucket"]]], p95[index[row["bucket"]]] = row["both"]
        return p50, p95
    values: dict[object, list[int]] = defaultdict(list)
    for bucket, ms in turns.values_list("bucket", "response_ms"):
        values[bucket].append(ms)
    for bucket, found in values.items():
        if bucket in index:
            p50[index[bucket]] = _percentile(found, QUANTILES[0])
            p95[index[bucket]] = _percentile(found, QUANTILES[1])
    return p50, p95
