"""A worker killed mid-dispatch: what it leaves behind is released or held for review, never redialled."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.models import Reminder, ReminderAttempt
from reminders.services import reminder_call_status, reminder_claim, reminder_deliver, reminder_schedule
from reminders.tasks import reminders_dispatch

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)


@pytest.fixture
def reminder(shop, customer, make_appointment) -> Reminder:
    appointment = make_appointment(customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO))
    return reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))


def died_while_dialling(reminder: Reminder) -> ReminderAttempt:
    """What a worker killed inside create_call leaves: a claim and an attempt still "sending"."""
    token = reminder_claim(reminder_id=reminder.pk, now=TUESDAY_9)
    return ReminderAttempt.objects.create(
        reminder=reminder, kind="call", started_at=TUESDAY_9, outcome="sending", claim_token=token
    )


@pytest.mark.django_db
def test_a_claim_abandoned_before_anything_was_sent_goes_out_once_later(
    reminder, telephony, eager_celery, django_capture_on_commit_callbacks
):
    assert reminder_claim(reminder_id=reminder.pk, now=TUESDAY_9) is not None  # then the worker died

    with (
        time_machine.travel(TUESDAY_9 + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reminders_dispatch()
    assert telephony.requests == []  # not stale yet: the worker might still be running

    with time_machine.travel(TUESDAY_9 + timedelta(minutes=6), tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                reminders_dispatch()

    assert len(telephony.requests_to("/Calls.json")) == 1
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.CALLING


@pytest.mark.django_db
def test_a_claim_abandoned_mid_call_is_held_for_review_not_redialled(
    reminder, telephony, eager_celery, django_capture_on_commit_callbacks
):
    attempt = died_while_dialling(reminder)

    with time_machine.travel(TUESDAY_9 + timedelta(minutes=6), tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                reminders_dispatch()
        assert reminder_deliver(reminder_id=reminder.pk).startswith("not due")

    assert telephony.requests == []
    reminder.refresh_from_db()
    attempt.refresh_from_db()
    assert reminder.status == Reminder.Status.REVIEW
    assert "may have gone out" in reminder.status_reason
    assert attempt.outcome == ReminderAttempt.Outcome.UNKNOWN


@pytest.mark.django_db
def test_a_call_in_doubt_resumes_when_twilio_says_it_never_connected(reminder, telephony, eager_celery):
    attempt = died_while_dialling(reminder)
    with time_machine.travel(TUESDAY_9 + timedelta(minutes=6), tick=False):
        reminders_dispatch()
        reminder_call_status(attempt_id=attempt.pk, call_sid="CA" + "7" * 32, twilio_status="no-answer")

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.calls_placed == 1  # the call the dead worker placed counts
    assert reminder.due_at == TUESDAY_9 + timedelta(minutes=6, hours=2)


@pytest.mark.django_db
def test_a_call_twilio_never_reports_on_is_held_for_review(reminder, telephony):
    with time_machine.travel(TUESDAY_9, tick=False):
        reminder_deliver(reminder_id=reminder.pk)
    with time_machine.travel(TUESDAY_9 + timedelta(minutes=61), tick=False):
        reminders_dispatch()

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.REVIEW
    assert len(telephony.requests_to("/Calls.json")) == 1
