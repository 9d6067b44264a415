"""The dashboard's periods: the last 30 days by day, 12 weeks by week (Monday first) or 12 months by
month, in the shop's time zone, ending with the current one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import DateField, F, Func
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek

KINDS = {"day": 30, "week": 12, "month": 12}  # how many buckets each view shows


@dataclass(frozen=True)
class Period:
    kind: str  # "day" | "week" | "month"
    zone: ZoneInfo
    buckets: tuple[date, ...]  # the first local date of each bucket, oldest first
    end_day: date  # the local date after the last bucket

    @property
    def first_day(self) -> date:
        return self.buckets[0]

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.end_day, self.zone)

    def bucket_of(self, field: str) -> Func:
        """SQL: the bucket (first local date) of a datetime column."""
        if self.kind == "day":
            return TruncDate(field, tzinfo=self.zone)
        trunc = TruncWeek if self.kind == "week" else TruncMonth
        return trunc(field, tzinfo=self.zone, output_field=DateField())

    def bucket_of_day(self, field: str) -> Func | F:
        """SQL: the bucket of a date column (already a shop-local date)."""
        if self.kind == "day":
            return F(field)
        trunc = TruncWeek if self.kind == "week" else TruncMonth
        return trunc(field, output_field=DateField())

    def bucket_of_date(self, day: date) -> date:
        if self.kind == "day":
            return day
        if self.kind == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def bucket_end(self, bucket: date) -> date:
        index = self.buckets.index(bucket)
        return self.buckets[index + 1] if index + 1 < len(self.buckets) else self.end_day

    def label(self, bucket: date) -> str:
        if self.kind == "month":
            return bucket.strftime("%b %Y")
        return f"{bucket:%b} {bucket.day}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_for(*, kind: str, today: date, zone: ZoneInfo) -> Period:
    """The period of `kind` that ends with the bucket holding `today` (an unknown kind reads as day)."""
    kind = kind if kind in KINDS else "day"
    count = KINDS[kind]
    if kind == "day":
        buckets = [today - timedelta(days=count - 1 - i) for i in range(count)]
        end_day = today + timedelta(days=1)
    elif kind == "week":
        monday = today - timedelta(days=today.weekday())
        buckets = [monday - timedelta(weeks=count - 1 - i) for i in range(count)]
        end_day = monday + timedelta(weeks=1)
    else:
        first = today.replace(day=1)
        buckets = [_add_months(first, i - count + 1) for i in range(count)]
        end_day = _add_months(first, 1)
    return Period(kind=kind, zone=zone, buckets=tuple(buckets), end_day=end_day)
