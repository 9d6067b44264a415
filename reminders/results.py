"""What came of each reminder that reached the customer: confirmed, rescheduled, cancelled, no answer,
opted out (or answered with nothing changed). One SQL expression, so the dashboard's counts and the
reminder list's "Result" filter are the same query."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
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
    after the first attempt; confirmed after it (a call's confirm tool or a texted "C"); no attempt
    answered by a person; otherwise answered with nothing changed."""
    queryset = Reminder.objects.all() if queryset is None else queryset
    attempts = ReminderAttempt.objects.filter(reminder=OuterRef("pk"))
    first_at = Subquery(attempts.order_by("started_at", "pk").values("started_at")[:1])
    changes_after = AppointmentChange.objects.filter(
        appointment=OuterRef("appointment_id"), at__gte=OuterRef("first_attempt_at")
    )
    opted_out = ConsentEvent.objects.filter(
        action=ConsentEvent.Action.OPT_OUT, call__reminder_attempts__reminder=OuterRef("pk")
    )
    return (
        queryset.annotate(first_attempt_at=first_at)
        .filter(first_attempt_at__isnull=False)
        .annotate(
            result=Case(
                When(Exists(opted_out), then=Value(Result.OPTED_OUT)),
                When(appointment__status=Appointment.Status.CANCELLED, then=Value(Result.CANCELLED)),
                When(
                    Exists(changes_after.filter(kind=AppointmentChange.Kind.RESCHEDULED)),
                    then=Value(Result.RESCHEDULED),
                ),
                When(
                    Exists(
                        changes_after.filter(
                            kind=AppointmentChange.Kind.STATUS, detail__contains="→ confirmed"
                        )
                    ),
                    then=Value(Result.CONFIRMED),
                ),
                When(~Exists(attempts.filter(outcome__in=ANSWERED)), then=Value(Result.NO_ANSWER)),
                default=Value(Result.ANSWERED),
                output_field=CharField(),
            )
        )
    )


def reminded_q() -> Q:
    """Appointments a reminder reached (delivered by a call, a voicemail or a text)."""
    return Q(Exists(Reminder.objects.filter(appointment=OuterRef("pk"), status=Reminder.Status.DELIVERED)))
