from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from crm.models import Customer
from reminders.models import Reminder, ReminderAttempt
from reminders.services import DeliveryRetry, reminder_deliver, reminder_schedule
from scheduling.models import Appointment
from voice.models import Call

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
APPOINTMENT = datetime(2026, 3, 11, 10, tzinfo=CHICAGO)


@pytest.fixture
def reminder(shop, customer, make_appointment) -> Reminder:
    appointment = make_appointment(customer, APPOINTMENT)
    reminder = reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))
    assert reminder.due_at == TUESDAY_9
    return reminder


def deliver(reminder: Reminder, now: datetime = TUESDAY_9) -> str:
    with time_machine.travel(now, tick=False):
        return reminder_deliver(reminder_id=reminder.pk)


@pytest.mark.django_db
def test_it_places_the_call_with_machine_detection_and_callbacks(reminder, telephony):
    deliver(reminder)

    [request] = telephony.requests_to("/Calls.json")
    attempt = ReminderAttempt.objects.get(reminder=reminder)
    base = f"https://shop.example.com/voice/outbound/reminder/{reminder.appointment_id}"
    assert request.value("To") == "+13125550147"
    assert request.value("From") == "+13125550100"
    assert request.value("Url") == f"{base}/?attempt={attempt.pk}"
    assert request.value("StatusCallback") == f"{base}/status/?attempt={attempt.pk}"
    assert request.form["StatusCallbackEvent"] == ["answered", "completed"]
    assert request.value("MachineDetection") == "DetectMessageEnd"
    assert request.value("AsyncAmd") == "true"
    assert request.value("AsyncAmdStatusCallback") == f"{base}/amd/?attempt={attempt.pk}"

    reminder.refresh_from_db()
    assert (reminder.status, reminder.calls_placed) == (Reminder.Status.CALLING, 1)
    assert attempt.outcome == ReminderAttempt.Outcome.PLACED
    assert attempt.provider_sid.startswith("CA")
    assert attempt.customer_local_time == "2026-03-10 09:00 CDT (America/Chicago)"
    assert attempt.script_version == "reminder-call-v1"
    call = Call.objects.get(call_sid=attempt.provider_sid)
    assert (call.direction, call.to_number, call.customer_id) == (
        "outbound",
        "+13125550147",
        reminder.appointment.customer_id,
    )
    assert attempt.call == call


@pytest.mark.django_db
def test_a_reminder_is_delivered_once_however_often_it_is_asked(reminder, telephony):
    first = deliver(reminder)
    second = deliver(reminder)

    assert first.startswith("call placed")
    assert second == "not due, or taken by another worker"
    assert len(telephony.requests_to("/Calls.json")) == 1


@pytest.mark.django_db
def test_it_refuses_to_call_a_customer_who_opted_out_and_texts_instead(reminder, telephony):
    Customer.objects.filter(pk=reminder.appointment.customer_id).update(calls_opted_out_at=timezone.now())

    deliver(reminder)

    assert telephony.requests_to("/Calls.json") == []
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel) == (Reminder.Status.PENDING, Reminder.Channel.SMS)
    refusal = ReminderAttempt.objects.get(reminder=reminder)
    assert (refusal.outcome, refusal.detail) == ("refused", "The customer opted out of calls.")

    deliver(reminder)
    [text] = telephony.requests_to("/Messages.json")
    assert text.value("To") == "+13125550147"
    assert text.value("Body").startswith(
        "Lakeside Auto Service: reminder of your oil change appointment on Wednesday"
    )
    assert "Reply STOP to opt out" in text.value("Body")
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DELIVERED


@pytest.mark.django_db
def test_it_refuses_numbers_outside_the_outbound_allowlist(reminder, telephony, settings):
    settings.OUTBOUND_CALL_ALLOWLIST = ["+13125550999"]

    deliver(reminder)

    assert telephony.requests == []
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SKIPPED
    assert "OUTBOUND_CALL_ALLOWLIST" in reminder.status_reason


@pytest.mark.django_db
def test_it_calls_a_number_that_is_on_the_allowlist(reminder, telephony, settings):
    settings.OUTBOUND_CALL_ALLOWLIST = ["+13125550147"]

    deliver(reminder)

    assert len(telephony.requests_to("/Calls.json")) == 1


@pytest.mark.django_db
def test_it_does_not_call_about_a_cancelled_appointment(reminder, telephony):
    Appointment.objects.filter(pk=reminder.appointment_id).update(status=Appointment.Status.CANCELLED)

    deliver(reminder)

    assert telephony.requests == []
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.CANCELLED


@pytest.mark.django_db
def test_a_reminder_found_outside_the_window_waits_for_the_next_allowed_time(reminder, telephony):
    Reminder.objects.filter(pk=reminder.pk).update(due_at=TUESDAY_9 - timedelta(hours=3))

    deliver(reminder, now=TUESDAY_9 - timedelta(hours=2))  # 7:00, before the window opens

    assert telephony.requests == []
    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at) == (Reminder.Status.PENDING, TUESDAY_9)


@pytest.mark.django_db
def test_a_transient_provider_error_is_retried_later_and_a_permanent_one_falls_back_to_a_text(
    reminder, telephony
):
    telephony.fail_next(429, 20429, "Too Many Requests")  # refused: no call exists, none to look for
    with pytest.raises(DeliveryRetry) as retry:
        deliver(reminder)
    assert retry.value.retry_in == 60
    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at, reminder.provider_errors) == (
        "pending",
        TUESDAY_9 + timedelta(seconds=60),
        1,
    )

    telephony.fail_next(400, 21211, "The 'To' number is not a valid phone number.")
    deliver(reminder, now=TUESDAY_9 + timedelta(minutes=1))
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel) == (Reminder.Status.PENDING, Reminder.Channel.SMS)
    assert "not a valid phone number" in reminder.status_reason
    outcomes = list(ReminderAttempt.objects.filter(reminder=reminder).values_list("outcome", flat=True))
    assert outcomes == ["provider_error", "failed"]


@pytest.mark.django_db
def test_without_twilio_settings_the_reminder_waits_for_telephony_with_a_clear_reason(reminder, settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_PHONE_NUMBER = ""

    deliver(reminder)

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.WAITING  # held, not failed (test_waiting_for_telephony)
    assert reminder.status_reason.startswith("Waiting for telephony")


@pytest.mark.django_db
def test_a_spanish_speaker_gets_the_reminder_text_in_spanish(reminder, telephony):
    Customer.objects.filter(pk=reminder.appointment.customer_id).update(
        calls_opted_out_at=timezone.now(), preferred_language="es"
    )

    deliver(reminder)
    deliver(reminder)

    [text] = telephony.requests_to("/Messages.json")
    assert text.value("Body").startswith(
        "Lakeside Auto Service: recordatorio de su cita de oil change el miércoles"
    )
    assert text.value("Body").endswith("Responda ALTO para no recibir más mensajes.")
