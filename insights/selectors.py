"""Every figure of the owner's dashboard (`/admin/dashboard/`), read in a fixed number of grouped queries
(none per row or day), with test calls and test bookings left out. Call figures of settled days come
from their rollup (insights/rollup.py); everything about appointments, reminders and callbacks is
counted live, as those change for weeks after the day.

Each figure carries the admin list that shows exactly the rows it counts (`url`), so the dashboard and
the lists agree, and the owner can click through from a number to the calls or appointments behind it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, QuerySet, Sum, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from insights.calls import Rang
from insights.latency import latency_by_bucket
from insights.periods import Period, period_for
from insights.rollup import DayFigures, call_days
from reminders.models import Reminder
from reminders.results import Result, reminded_q, reminders_with_result
from scheduling.models import Appointment
from scheduling.shop import shop_get
from voice.models import Call, CallbackRequest

Status = Appointment.Status
KEPT = (Status.SCHEDULED, Status.CONFIRMED, Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW)
CAME_OR_NOT = (Status.ARRIVED, Status.COMPLETED, Status.NO_SHOW)
OUTCOMES = [choice for choice in Call.Outcome if choice != Call.Outcome.NONE]


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any  # int, Decimal, float or None (nothing to measure yet)
    url: str = ""


@dataclass(frozen=True)
class Rate:
    """`part` of `whole` (e.g. booked of those who asked), with the lists of both."""

    label: str
    part: Figure
    whole: Figure

    @property
    def percent(self) -> float | None:
        return None if not self.whole.value else 100 * self.part.value / self.whole.value


@dataclass
class Dashboard:
    period: Period
    now: datetime
    calls: Figure
    calls_rang: list[Figure]  # by Rang
    calls_per_bucket: dict[str, list[int]]  # Rang value → one count per bucket
    calls_per_hour: dict[str, list[int]]  # Rang value → 24 counts (local hour)
    outcomes: list[Figure]
    booking_rate: Rate
    revenue_booked: Figure
    revenue_realised: Figure
    revenue_per_bucket: dict[str, list[Decimal]]  # "booked" / "realised"
    reminder_results: list[Figure]
    no_show_reminded: Rate
    no_show_not_reminded: Rate
    callbacks_open: Figure
    callbacks_oldest_wait: timedelta | None
    callbacks_received: Figure
    callbacks_median_wait: timedelta | None  # of those received in the period and handled
    callbacks_per_bucket: dict[str, list[int]]  # "handled" / "open"
    latency_p50: list[float | None]
    latency_p95: list[float | None]
    provider_errors: Figure
    errors_per_bucket: list[int] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [self.period.label(b) for b in self.period.buckets]


def _us_spelling(label: str) -> str:
    """The dashboard speaks US English; the stored choice values keep their spelling."""
    return label.replace("Cancelled", "Canceled").replace("cancelled", "canceled")


def _list_url(model: type, **query: Any) -> str:
    opts = model._meta
    return f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{urlencode(query)}"


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _per_bucket(period: Period, rows: QuerySet, key: str, value: str) -> dict[Any, list]:
    """{row[key]: [row[value] per bucket]} from rows grouped by ("bucket", key)."""
    index = {bucket: i for i, bucket in enumerate(period.buckets)}
    found: dict[Any, list] = defaultdict(lambda: [0] * len(period.buckets))
    for row in rows:
        if row["bucket"] in index:
            found[row[key]][index[row["bucket"]]] = row[value] or 0
    return found


def calls_url(period: Period, **more: Any) -> str:
    return _list_url(
        Call,
        direction__exact=Call.Direction.INBOUND,
        is_test__exact=0,
        started_at__gte=_instant(period.start),
        started_at__lt=_instant(period.end),
        **more,
    )


def _calls(period: Period, days: dict[date, DayFigures]) -> dict[str, Any]:
    # Every call figure summed from the days' counts (insights/rollup.py: settled days kept, the
    # others live).
    index = {bucket: i for i, bucket in enumerate(period.buckets)}
    per_bucket = {kind: [0] * len(period.buckets) for kind in Rang.values}
    hours: dict[str, list[int]] = {kind: [0] * 24 for kind in Rang.values}
    outcomes: Counter[str] = Counter()
    asked = booked_asked = 0
    for day, figures in days.items():
        slot = index[period.bucket_of_date(day)]
        for rang, n in figures["rang"].items():
            per_bucket[rang][slot] += n
        for rang_hour, n in figures["hours"].items():
            rang, hour = rang_hour.split(" ")
            hours[rang][int(hour)] += n
        outcomes.update(figures["outcomes"])
        asked += figures["asked"]
        booked_asked += figures["booked_asked"]
    total = sum(outcomes.values())
    return {
        "calls": Figure("Calls answered by the AI", total, calls_url(period)),
        "calls_rang": [
            Figure(label, sum(per_bucket[kind]), calls_url(period, rang=kind)) for kind, label in Rang.choices
        ],
        "calls_per_bucket": {kind: per_bucket[kind] for kind in Rang.values},
        "calls_per_hour": hours,
        "outcomes": [
            Figure(
                _us_spelling(str(o.label).capitalize()),
                outcomes.get(o.value, 0),
                calls_url(period, outcome__exact=o.value),
            )
            for o in OUTCOMES
        ],
        "booking_rate": Rate(
            "Booking rate of callers who asked for an appointment",
            Figure(
                "booked", booked_asked, calls_url(period, asked="yes", outcome__exact=Call.Outcome.BOOKED)
            ),
            Figure("asked", asked, calls_url(period, asked="yes")),
        ),
    }


def _series(period: Period, rows: QuerySet) -> list:
    """One value per bucket from rows grouped by "bucket" with a "v" (missing buckets are 0)."""
    return _per_bucket(period, rows.annotate(key=Value(0)), "key", "v")[0]


def _revenue(period: Period) -> dict[str, Any]:
    real = Appointment.objects.real().filter(channel=Appointment.Channel.AI_PHONE)
    booked = real.filter(created_at__gte=period.start, created_at__lt=period.end, status__in=KEPT)
    realised = real.filter(
        status=Status.COMPLETED, local_date__gte=period.first_day, local_date__lt=period.end_day
    )
    by_booking = booked.annotate(bucket=period.bucket_of("created_at")).values("bucket")
    by_visit = realised.annotate(bucket=period.bucket_of_day("local_date")).values("bucket")
    series = {
        "booked": _series(period, by_booking.annotate(v=Sum("price_quoted"))),
        "realised": _series(period, by_visit.annotate(v=Sum("invoice_total"))),
    }
    common = {"channel__exact": Appointment.Channel.AI_PHONE, "is_test__exact": 0}
    return {
        "revenue_booked": Figure(
            "Revenue booked by the AI (catalog prices)",
            sum(series["booked"], Decimal(0)),
            _list_url(
                Appointment,
                **common,
                created_at__gte=_instant(period.start),
                created_at__lt=_instant(period.end),
                status__in=",".join(KEPT),
            ),
        ),
        "revenue_realised": Figure(
            "Revenue realized (invoices of completed AI bookings)",
            sum(series["realised"], Decimal(0)),
            _list_url(
                Appointment,
                **common,
                status__exact=Status.COMPLETED,
                local_date__gte=period.first_day.isoformat(),
                local_date__lt=period.end_day.isoformat(),
            ),
        ),
        "revenue_per_bucket": series,
    }


def _count_by_result(reminders: QuerySet[Reminder]) -> Counter[str]:
    """{result: reminders}. A reminder's result is computed over grouped joins, so it cannot be grouped
    again in the same query: the query becomes a subquery grouped by result (6 rows back, not one per
    reminder)."""
    sql, params = reminders.values("result").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT result, COUNT(*) FROM ({sql}) AS reminders GROUP BY result", params)
        return Counter(dict(cursor.fetchall()))


def _reminders(period: Period) -> dict[str, Any]:
    days = {"appointment__local_date__gte": period.first_day, "appointment__local_date__lt": period.end_day}
    results = _count_by_result(
        reminders_with_result(
            Reminder.objects.filter(**days).exclude(appointment__in=Appointment.objects.test())
        )
    )
    query = {key: day.isoformat() for key, day in days.items()}
    visits = Appointment.objects.real().filter(
        status__in=CAME_OR_NOT, local_date__gte=period.first_day, local_date__lt=period.end_day
    )
    counts = {
        (row["reminded"], row["status"]): row["n"]
        for row in visits.annotate(reminded=reminded_q()).values("reminded", "status").annotate(n=Count("pk"))
    }
    visit_query = {
        "is_test__exact": 0,
        "local_date__gte": period.first_day.isoformat(),
        "local_date__lt": period.end_day.isoformat(),
    }

    def no_shows(reminded: bool) -> Rate:
        flag = "yes" if reminded else "no"
        whole = sum(n for (was, _status), n in counts.items() if was == reminded)
        return Rate(
            "Reminded" if reminded else "Not reminded",
            Figure(
                "no-shows",
                counts.get((reminded, Status.NO_SHOW), 0),
                _list_url(Appointment, **visit_query, status__exact=Status.NO_SHOW, reminded=flag),
            ),
            Figure(
                "due",
                whole,
                _list_url(Appointment, **visit_query, status__in=",".join(CAME_OR_NOT), reminded=flag),
            ),
        )

    return {
        "reminder_results": [
            Figure(
                _us_spelling(str(label).capitalize()),
                results.get(value, 0),
                _list_url(Reminder, **query, result=value),
            )
            for value, label in Result.choices
        ],
        "no_show_reminded": no_shows(True),
        "no_show_not_reminded": no_shows(False),
    }


def real_callbacks() -> QuerySet[CallbackRequest]:
    """Messages for advisors, those taken on test calls left out."""
    # By id (an anti-join on the few test calls), not by joining every message to its call.
    return CallbackRequest.objects.exclude(call_id__in=Call.objects.test().values("pk"))


def _median_wait(handled: QuerySet[CallbackRequest]) -> timedelta | None:
    """Median of handled_at − created_at. On PostgreSQL in the query (a year holds thousands of handled
    callbacks: two timestamps each to parse here cost more than the query); the demo's SQLite here."""
    if connection.vendor == "postgresql":
        return handled.aggregate(
            wait=Aggregate(
                F("handled_at") - F("created_at"),
                function="PERCENTILE_CONT",
                template="%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
                output_field=DurationField(),
            )
        )["wait"]
    waits = [done - made for made, done in handled.values_list("created_at", "handled_at")]
    return median(waits) if waits else None


def _callbacks(period: Period, now: datetime) -> dict[str, Any]:
    open_ = real_callbacks().filter(handled=False)
    oldest = open_.order_by("created_at").values_list("created_at", flat=True).first()
    received = real_callbacks().filter(created_at__gte=period.start, created_at__lt=period.end)
    rows = received.annotate(bucket=period.bucket_of("created_at")).values("bucket", "handled")
    per_bucket = _per_bucket(period, rows.annotate(n=Count("pk")), "handled", "n")
    handled = received.filter(handled=True, handled_at__isnull=False)
    return {
        "callbacks_open": Figure(
            "Callbacks open", open_.count(), _list_url(CallbackRequest, handled__exact=0, test_call="no")
        ),
        "callbacks_oldest_wait": now - oldest if oldest else None,
        "callbacks_received": Figure(
            "Callback requests received",
            received.count(),
            _list_url(
                CallbackRequest,
                created_at__gte=_instant(period.start),
                created_at__lt=_instant(period.end),
                test_call="no",
            ),
        ),
        "callbacks_median_wait": _median_wait(handled),
        "callbacks_per_bucket": {"handled": per_bucket[True], "open": per_bucket[False]},
    }


def _errors(period: Period, days: dict[date, DayFigures]) -> dict[str, Any]:
    index = {bucket: i for i, bucket in enumerate(period.buckets)}
    per_bucket = [0] * len(period.buckets)
    for day, figures in days.items():
        per_bucket[index[period.bucket_of_date(day)]] += figures["errors"]
    url = _list_url(
        Call,
        is_test__exact=0,
        started_at__gte=_instant(period.start),
        started_at__lt=_instant(period.end),
        last_error__gt="",
    )
    return {
        "provider_errors": Figure("Calls with a provider error", sum(per_bucket), url),
        "errors_per_bucket": per_bucket,
    }


def dashboard_figures(*, kind: str = "day", now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, for the period of `kind` ("day", "week", "month") ending now."""
    now = now or timezone.now()
    zone = shop_get().zone
    today = now.astimezone(zone).date()
    period = period_for(kind=kind, today=today, zone=zone)
    days = call_days(period.first_day, period.end_day, today=today, zone=zone)
    p50, p95 = latency_by_bucket(period, days)
    return Dashboard(
        period=period,
        now=now,
        **_calls(period, days),
        **_revenue(period),
        **_reminders(period),
        **_callbacks(period, now),
        latency_p50=p50,
        latency_p95=p95,
        **_errors(period, days),
    )
