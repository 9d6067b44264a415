"""What came of each reminder that reached the customer: confirmed, rescheduled, cancelled, no answer,
opted out (or answered with nothing changed). One SQL expression, so the dashboard's counts and the
reminder list's "Result" filter are the same query."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    TextChoices,
    Value,
    When,
)

from reminders.models import ConsentEvent, Reminder, ReminderAttempt
from scheduling.models import Appointment, AppointmentChange

ANSWERED = (ReminderAttempt.Outcome.HUMAN, ReminderAttempt.Outcome.COMPLETED)


class Result(TextChoices):
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    NO_ANSWER = "no_answer", "no answer"
    OPTED_OUT = "opted_out", "opted out"
    ANSWERED = "answered", "answered, nothing changed"


def reminders_with_result(queryset: QuerySet[Reminder] | None = None) -> QuerySet[Reminder]:
    """Reminders with at least one call or text sent, annotated `result` (a Result value).

    The first matching rule wins: an opt-out heard on one of its calls; the appointment cancelled; moved
    after an attempt; confirmed after one (a call's confirm tool or a texted "C"); no attempt answered
    by a person; otherwise answered with nothing changed. One grouped query (joins, no subquery per
    row): "after an attempt" is "at or after any attempt", the same as after the first one."""
    queryset = Reminder.objects.all() if queryset is None else queryset
    after_an_attempt = Q(appointment__changes__at__gte=F("attempts__started_at"))
    return (
        queryset.annotate(appointment_status=F("appointment__status"))
        .annotate(
            attempts_sent=Count("attempts"),
            attempts_answered=Count("attempts", filter=Q(attempts__outcome__in=ANSWERED)),
            opt_outs=Count(
                "attempts__call__consent_events",
                filter=Q(attempts__call__consent_events__action=ConsentEvent.Action.OPT_OUT),
            ),
            moves=Count(
                "appointment__changes",
                filter=after_an_attempt & Q(appointment__changes__kind=AppointmentChange.Kind.RESCHEDULED),
            ),
            confirmations=Count(
                "appointment__changes",
                filter=after_an_attempt
                & Q(
                    appointment__changes__kind=AppointmentChange.Kind.STATUS,
                    appointment__changes__detail__contains="→ confirmed",
                ),
            ),
        )
        .filter(attempts_sent__gt=0)
        .annotate(
            result=Case(
                When(opt_outs__gt=0, then=Value(Result.OPTED_OUT)),
                When(appointment_status=Appointment.Status.CANCELLED, then=Value(Result.CANCELLED)),
                When(moves__gt=0, then=Value(Result.RESCHEDULED)),
                When(confirmations__gt=0, then=Value(Result.CONFIRMED)),
                When(attempts_answered=0, then=Value(Result.NO_ANSWER)),
                default=Value(Result.ANSWERED),
                output_field=CharField(),
            )
        )
    )


def reminded_q() -> Q:
    """Appointments a reminder reached (delivered by a call, a voicemail or a text)."""
    delivered = Reminder.objects.filter(status=Reminder.Status.DELIVERED).values("appointment_id")
    return Q(pk__in=delivered)  # one hashed subquery, not a lookup per appointment
