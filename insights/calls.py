"""Call classifications the dashboard counts and the call list filters by (the same expressions):
when a call rang against the shop's weekly hours, and whether the caller asked for an appointment."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Q, QuerySet, TextChoices, Value, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncTime

from scheduling.models import BusinessHours
from voice.models import Call, ToolCall

# A caller who asked for a time or a booking asked for an appointment, whether or not one was made.
APPOINTMENT_TOOLS = ("check_availability", "schedule_appointment")


class Rang(TextChoices):
    OPEN = "open", "during opening hours"
    AFTER_HOURS = "after_hours", "after hours (weekdays)"
    WEEKEND = "weekend", "weekend"


def calls_with_rang(queryset: QuerySet[Call], *, zone: ZoneInfo) -> QuerySet[Call]:
    """Annotate `rang` (a Rang value) from `started_at` in the shop's zone: Saturday and Sunday are
    weekend; on other days, outside every BusinessHours row of that weekday is after hours. Closures
    (holidays) are not taken out: a holiday call counts by the weekly hours."""
    opening = Q(pk__in=[])  # matches nothing: a shop with no hours is after hours all week
    for hours in BusinessHours.objects.all():
        opening |= Q(
            local_weekday=hours.weekday + 1, local_time__gte=hours.opens, local_time__lt=hours.closes
        )
    return queryset.annotate(
        local_weekday=ExtractIsoWeekDay("started_at", tzinfo=zone),
        local_time=TruncTime("started_at", tzinfo=zone),
        local_hour=ExtractHour("started_at", tzinfo=zone),
    ).annotate(
        rang=Case(
            When(local_weekday__gte=6, then=Value(Rang.WEEKEND)),
            When(opening, then=Value(Rang.OPEN)),
            default=Value(Rang.AFTER_HOURS),
            output_field=CharField(),
        )
    )


def asked_for_appointment_q() -> Q:
    """Calls where the caller asked for an appointment: the agent looked for times or booked."""
    # IN (a subquery that does not depend on the row): PostgreSQL hashes it once for all calls.
    tools = ToolCall.objects.filter(name__in=APPOINTMENT_TOOLS).values("call_id")
    return Q(pk__in=tools) | Q(outcome=Call.Outcome.BOOKED)
