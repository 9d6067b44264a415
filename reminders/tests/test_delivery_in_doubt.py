"""A worker killed while dialling leaves a reminder in review with no call SID, although the call may
have gone out. Before any redial — an advisor's Send now or an automatic one — Twilio's Calls list is
asked, as for a `calls.create` whose answer was lost (the real SDK against the fake Twilio server)."""

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.models import Reminder, ReminderAttempt
from reminders.services import (
    DeliveryRetry,
    reminder_claim,
    reminder_deliver,
    reminder_release_stale,
    reminder_schedule,
    reminder_send_now,
)
from reminders.tests.test_tasks import ROOT, worker_env

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
RELEASED = TUESDAY_9 + timedelta(minutes=12)  # past REMINDER_CLAIM_STALE_SECONDS
SEND_NOW = TUESDAY_9 + timedelta(minutes=20)
DELIVER = (
    "import django; django.setup(); from reminders.services import reminder_deliver; "
    "reminder_deliver(reminder_id={})"
)


@pytest.fixture
def reminder(shop, customer, make_appointment) -> Reminder:
    appointment = make_appointment(customer, TUESDAY_9 + timedelta(days=1, hours=1))
    return reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))


def kill_worker_while_dialling(reminder: Reminder, fake) -> None:
    """A real worker process dials; Twilio places the call but its answer is slow, and the worker is
    SIGKILLed before it arrives (as on an OOM kill or a deploy without a warm shutdown)."""
    fake.lose_next_create_response(stall=30)
    env = worker_env(fake, minutes_after=0, REDIS_URL=None)
    worker = subprocess.Popen([sys.executable, "-c", DELIVER.format(reminder.pk)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not fake.calls:
            assert worker.poll() is None, "the worker ended before dialling"
            assert time.monotonic() < deadline, "the worker never dialled"
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()


def died_before_twilio_answered(reminder: Reminder) -> None:
    """What the killed worker leaves when its request may or may not have reached Twilio."""
    token = reminder_claim(reminder_id=reminder.pk, now=TUESDAY_9)
    ReminderAttempt.objects.create(
        reminder=reminder, kind="call", started_at=TUESDAY_9, outcome="sending", claim_token=token
    )


def release_and_send_now(reminder: Reminder, capture) -> None:
    with time_machine.travel(RELEASED, tick=False):
        reminder_release_stale()
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.REVIEW
    assert reminder.attempts.get().provider_sid == ""
    with time_machine.travel(SEND_NOW, tick=False), capture(execute=True):
        reminder_send_now(reminder_id=reminder.pk)


@pytest.mark.django_db(transaction=True)
def test_send_now_after_a_worker_died_dialling_adopts_the_call_instead_of_ringing_again(
    reminder, telephony, eager_celery, django_capture_on_commit_callbacks
):
    with time_machine.travel(TUESDAY_9, tick=True):
        kill_worker_while_dialling(reminder, telephony)
    [placed] = telephony.calls

    release_and_send_now(reminder, django_capture_on_commit_callbacks)

    assert len(telephony.requests_to("/Calls.json")) == 1  # the customer's phone rang once
    assert len(telephony.requests_to("/Calls.json", method="GET")) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.calls_placed) == (Reminder.Status.CALLING, 1)
    [attempt] = reminder.attempts.all()
    assert (attempt.provider_sid, attempt.outcome) == (placed.sid, ReminderAttempt.Outcome.PLACED)
    assert attempt.claim_token == reminder.claim_token  # its status callbacks now drive the reminder


@pytest.mark.django_db
def test_send_now_dials_once_twilio_confirms_the_dead_workers_call_never_existed(
    reminder, telephony, eager_celery, django_capture_on_commit_callbacks
):
    died_before_twilio_answered(reminder)

    release_and_send_now(reminder, django_capture_on_commit_callbacks)

    assert len(telephony.requests_to("/Calls.json", method="GET")) == 1  # asked first
    assert len(telephony.requests_to("/Calls.json")) == 1
    first, second = reminder.attempts.all()
    assert first.outcome == ReminderAttempt.Outcome.PROVIDER_ERROR
    assert first.detail.startswith("Twilio has no such call")
    assert second.provider_sid == telephony.calls[0].sid


@pytest.mark.django_db
def test_an_automatic_redial_of_a_reminder_in_doubt_waits_until_twilio_can_be_asked(reminder, telephony):
    died_before_twilio_answered(reminder)
    with time_machine.travel(RELEASED, tick=False):
        reminder_release_stale()
    # Moving the appointment re-times the reminder: the dispatcher would dial it by itself.
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.PENDING, due_at=SEND_NOW)
    telephony.fail_next(503)  # the Calls list fails

    with time_machine.travel(SEND_NOW, tick=False), pytest.raises(DeliveryRetry):
        reminder_deliver(reminder_id=reminder.pk)

    assert telephony.requests_to("/Calls.json") == []
    reminder.refresh_from_db()
    assert reminder.status_reason.startswith("Checking with Twilio whether the last call went out failed")
