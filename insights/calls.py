"""Call classifications the dashboard counts and the call list filters by (the same expressions):
when a call rang against the shop's weekly hours, and whether the caller asked for an appointment."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, CharField, Func, Q, QuerySet, TextChoices, Value, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractMinute, TruncTime

from scheduling.models import BusinessHours
from voice.models import Call, ToolCall

# A caller who asked for a time or a booking asked for an appointment, whether or not one was made.
APPOINTMENT_TOOLS = ("check_availability", "schedule_appointment")


class Rang(TextChoices):
    OPEN = "open", "during opening hours"
    AFTER_HOURS = "after_hours", "after hours (weekdays)"
    WEEKEND = "weekend", "weekend"


def calls_with_rang(queryset: QuerySet[Call], *, zone: ZoneInfo) -> QuerySet[Call]:
    """Annotate `rang` (a Rang value) and `local_hour` from `started_at` in the shop's zone: Saturday and
    Sunday are weekend; on other days, outside every BusinessHours row of that weekday is after hours.
    Closures (holidays) are not taken out: a holiday call counts by the weekly hours."""
    queryset = queryset.annotate(local_hour=ExtractHour("started_at", tzinfo=zone))
    if connection.vendor == "postgresql":
        return queryset.annotate(rang=_rang_by_minute_of_week(zone))
    opening = Q(pk__in=[])  # matches nothing: a shop with no hours is after hours all week
    for hours in BusinessHours.objects.all():
        opening |= Q(
            local_weekday=hours.weekday + 1, local_time__gte=hours.opens, local_time__lt=hours.closes
        )
    return queryset.annotate(
        local_weekday=ExtractIsoWeekDay("started_at", tzinfo=zone),
        local_time=TruncTime("started_at", tzinfo=zone),
    ).annotate(
        rang=Case(
            When(local_weekday__gte=6, then=Value(Rang.WEEKEND)),
            When(opening, then=Value(Rang.OPEN)),
            default=Value(Rang.AFTER_HOURS),
            output_field=CharField(),
        )
    )


WEEKEND_STARTS = 5 * 24 * 60  # Saturday 00:00, in minutes from Monday 00:00


def _minute(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _rang_by_minute_of_week(zone: ZoneInfo) -> Func:
    """The same rule as the Case above, for PostgreSQL: the call's minute of the week (local time
    computed three times, not once per comparison) placed among the week's opening boundaries with
    width_bucket. Boundaries are whole minutes, as business hours are."""
    edges: list[tuple[int, int]] = []
    for hours in BusinessHours.objects.filter(weekday__lt=5).order_by("weekday", "opens"):
        start = hours.weekday * 1440 + _minute(hours.opens)
        end = hours.weekday * 1440 + _minute(hours.closes)
        if edges and start <= edges[-1][1]:
            edges[-1] = (edges[-1][0], max(end, edges[-1][1]))  # overlapping or touching shifts
        elif end > start:
            edges.append((start, end))
    thresholds = [minute for pair in edges for minute in pair] + [WEEKEND_STARTS]
    labels = [Rang.AFTER_HOURS, *([Rang.OPEN, Rang.AFTER_HOURS] * len(edges)), Rang.WEEKEND]
    minute_of_week = (
        (ExtractIsoWeekDay("started_at", tzinfo=zone) - 1) * 1440
        + ExtractHour("started_at", tzinfo=zone) * 60
        + ExtractMinute("started_at", tzinfo=zone)
    )
    # Inlined literals: integers we computed and our own label strings (no outside input).
    return Func(
        minute_of_week,
        template=(
            f"(ARRAY[{', '.join(repr(str(label)) for label in labels)}]::text[])"
            f"[width_bucket((%(expressions)s)::int, ARRAY[{', '.join(map(str, thresholds))}]::int[]) + 1]"
        ),
        output_field=CharField(),
    )


def asked_for_appointment_q() -> Q:
    """Calls where the caller asked for an appointment: the agent looked for times or booked."""
    # IN (a subquery that does not depend on the row): PostgreSQL hashes it once for all calls.
    tools = ToolCall.objects.filter(name__in=APPOINTMENT_TOOLS).values("call_id")
    return Q(pk__in=tools) | Q(outcome=Call.Outcome.BOOKED)
