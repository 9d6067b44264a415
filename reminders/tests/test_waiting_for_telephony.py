"""With telephony off (a fresh install), a due reminder is held as "waiting for telephony", not failed;
it goes out once Twilio is configured if still in time; Send now refuses and says why."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client

from dealership.core.errors import ApplicationError
from reminders.models import Reminder, ReminderAttempt
from reminders.services import reminder_deliver, reminder_schedule, reminder_send_now
from reminders.tasks import reminders_dispatch

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
APPOINTMENT = datetime(2026, 3, 11, 10, tzinfo=CHICAGO)

pytestmark = pytest.mark.django_db


def telephony_off(settings) -> None:
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_PHONE_NUMBER = ""


@pytest.fixture
def waiting(settings, telephony, shop, customer, make_appointment) -> Reminder:
    """A reminder that fell due while Twilio was not configured (the fake stays up for later)."""
    configured = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_PHONE_NUMBER)
    appointment = make_appointment(customer, APPOINTMENT)
    reminder = reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))
    telephony_off(settings)
    with time_machine.travel(TUESDAY_9, tick=False):
        reminder_deliver(reminder_id=reminder.pk)
    reminder.refresh_from_db()
    reminder.configured = configured  # type: ignore[attr-defined]
    return reminder


def configure(settings, reminder: Reminder) -> None:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_PHONE_NUMBER = (
        reminder.configured
    )


def dispatch_and_deliver(reminder: Reminder, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        reminders_dispatch()
        reminder_deliver(reminder_id=reminder.pk)


def test_it_is_held_visibly_not_failed_and_nothing_is_attempted(waiting, telephony):
    assert waiting.status == Reminder.Status.WAITING
    assert waiting.get_status_display() == "waiting for telephony"
    assert "TWILIO_ACCOUNT_SID" in waiting.status_reason
    assert waiting.due_at == TUESDAY_9  # keeps its time
    assert not ReminderAttempt.objects.filter(reminder=waiting).exists()
    assert telephony.requests_to("/Calls.json") == []


def test_it_stays_held_while_telephony_is_still_off(waiting, telephony):
    dispatch_and_deliver(waiting, TUESDAY_9 + timedelta(minutes=5))

    waiting.refresh_from_db()
    assert waiting.status == Reminder.Status.WAITING
    assert telephony.requests_to("/Calls.json") == []


def test_it_goes_out_once_telephony_is_configured_if_still_in_time(waiting, telephony, settings):
    configure(settings, waiting)

    dispatch_and_deliver(waiting, TUESDAY_9 + timedelta(hours=2))

    waiting.refresh_from_db()
    assert waiting.status == Reminder.Status.CALLING
    assert len(telephony.requests_to("/Calls.json")) == 1


def test_it_does_not_go_out_once_the_appointment_has_passed(waiting, telephony, settings):
    configure(settings, waiting)

    dispatch_and_deliver(waiting, APPOINTMENT + timedelta(hours=1))

    waiting.refresh_from_db()
    assert waiting.status == Reminder.Status.SKIPPED
    assert telephony.requests_to("/Calls.json") == []


def test_send_now_refuses_with_the_reason_and_changes_nothing(waiting, telephony):
    with pytest.raises(ApplicationError, match="telephony is not configured"):
        reminder_send_now(reminder_id=waiting.pk)

    assert Reminder.objects.get(pk=waiting.pk).status == Reminder.Status.WAITING


def test_the_admins_send_now_says_why_nothing_was_sent(waiting, telephony, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-boss-12345"))

    response = client.post(
        "/admin/reminders/reminder/", {"action": "send_now", "_selected_action": [waiting.pk]}
    )

    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("telephony is not configured" in message for message in said), said
    assert not any("queued" in message for message in said)
    assert Reminder.objects.get(pk=waiting.pk).status == Reminder.Status.WAITING
