"""The reminder call as Twilio drives it: answered by a machine or a person, machine detection arriving
later, and the status callbacks that lead to a retry and then a text."""

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from reminders.models import Reminder, ReminderAttempt
from reminders.services import reminder_deliver, reminder_schedule
from scheduling.models import Appointment
from tests.fakes.fake_twilio import FakeTwilio
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from tests.faults.broker import broker  # noqa: F401
from voice.models import Call

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
APPOINTMENT = datetime(2026, 3, 11, 10, tzinfo=CHICAGO)
BASE = "https://shop.example.com"


def signed_post(client, url: str, params: dict[str, str]):
    """POST as Twilio does: X-Twilio-Signature over the full URL (query included) and sorted params."""
    payload = BASE + url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(settings.TWILIO_AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=base64.b64encode(digest).decode())


@dataclass
class PlacedCall:
    reminder: Reminder
    attempt: ReminderAttempt
    fake: FakeTwilio

    @property
    def sid(self) -> str:
        return self.attempt.provider_sid

    def url(self, suffix: str = "") -> str:
        return f"/voice/outbound/reminder/{self.reminder.appointment_id}/{suffix}?attempt={self.attempt.pk}"


@pytest.fixture
def placed(settings, shop, catalog, customer, fake_twilio, time_machine) -> PlacedCall:  # noqa: F811
    settings.PUBLIC_BASE_URL = BASE
    settings.DEBUG = False
    settings.OUTBOUND_CALL_ALLOWLIST = []
    service = catalog["oil_change"]
    appointment = Appointment.objects.create(
        customer=customer,
        service_type=service,
        start=APPOINTMENT,
        end=APPOINTMENT + timedelta(minutes=30),
        local_date=APPOINTMENT.date(),
        duration_minutes=30,
        price_quoted=service.price,
    )
    reminder = reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))
    time_machine.move_to(TUESDAY_9, tick=False)
    reminder_deliver(reminder_id=reminder.pk)
    return PlacedCall(reminder, ReminderAttempt.objects.get(reminder=reminder), fake_twilio)


def answer(client, placed: PlacedCall, **extra: str):
    params = {"CallSid": placed.sid, "CallStatus": "in-progress", "To": "+13125550147", **extra}
    return signed_post(client, placed.url(), params)


def stream_parameters(response) -> dict[str, str]:
    stream = ET.fromstring(response.content).find("./Connect/Stream")
    assert stream is not None, response.content
    return {p.get("name"): p.get("value") for p in stream.findall("Parameter")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answered_by", ["machine_end_beep", "machine_end_silence", "machine_end_other", "fax"]
)
def test_a_machine_gets_a_short_voicemail_after_the_beep(client, placed, answered_by):
    response = answer(client, placed, AnsweredBy=answered_by)

    root = ET.fromstring(response.content)
    said = root.findtext("Say")
    assert "automated assistant for Lakeside Auto Service" in said
    assert "Wednesday, March 11 at 10 AM" in said
    assert "3 1 2, 5 5 5, 0 1 0 0" in said  # callback number, digit by digit
    assert "don't want these reminder calls" in said
    for private in ("Dana", "Whitfield", "Civic", "oil change", "49.99"):
        assert private not in said
    assert root.find("Hangup") is not None and root.find("Connect") is None
    placed.attempt.refresh_from_db()
    assert (placed.attempt.outcome, placed.attempt.answered_by) == ("voicemail", answered_by)


@pytest.mark.django_db
@pytest.mark.parametrize("answered_by", ["human", "unknown", ""])
def test_a_person_gets_the_live_agent_told_why_we_call(client, placed, answered_by):
    response = answer(client, placed, AnsweredBy=answered_by) if answered_by else answer(client, placed)

    params = stream_parameters(response)
    call = Call.objects.get(call_sid=placed.sid)
    assert params["purpose"] == "reminder"
    assert params["appointment_id"] == str(placed.reminder.appointment_id)
    assert params["reminder_attempt_id"] == str(placed.attempt.pk)
    assert params["script_version"] == "reminder-call-v1"
    assert (params["call_id"], params["token"], params["direction"]) == (
        str(call.pk),
        call.stream_token,
        "outbound",
    )


@pytest.mark.django_db
def test_an_unsigned_request_is_refused(client, placed):
    response = client.post(placed.url(), {"CallSid": placed.sid, "AnsweredBy": "machine_end_beep"})

    assert response.status_code == 403
    placed.attempt.refresh_from_db()
    assert placed.attempt.outcome == "placed"


@pytest.mark.django_db
def test_a_call_answered_after_the_appointment_was_cancelled_just_apologises(client, placed):
    Appointment.objects.filter(pk=placed.reminder.appointment_id).update(status=Appointment.Status.CANCELLED)

    root = ET.fromstring(answer(client, placed, AnsweredBy="human").content)

    assert "no longer needed" in root.findtext("Say")
    assert root.find("Connect") is None


@pytest.mark.django_db
def test_asynchronous_machine_detection_replaces_the_conversation_with_the_voicemail(client, placed):
    answer(client, placed)  # answered: the agent starts talking while detection runs

    response = signed_post(
        client, placed.url("amd/"), {"CallSid": placed.sid, "AnsweredBy": "machine_end_beep"}
    )

    assert response.status_code == 200
    [update] = placed.fake.requests_to(f"/Calls/{placed.sid}.json")
    assert "automated assistant for Lakeside Auto Service" in update.value("Twiml")
    assert update.value("Twiml").endswith("<Hangup/></Response>")
    assert Call.objects.get(call_sid=placed.sid).answered_by == "machine_end_beep"


@pytest.mark.django_db
def test_asynchronous_detection_of_a_person_leaves_the_conversation_alone(client, placed):
    signed_post(client, placed.url("amd/"), {"CallSid": placed.sid, "AnsweredBy": "human"})

    assert placed.fake.requests_to(f"/Calls/{placed.sid}.json") == []
    placed.attempt.refresh_from_db()
    assert placed.attempt.outcome == "human"


def status(client, placed: PlacedCall, call_status: str, capture):
    with capture(execute=True):
        response = signed_post(
            client, placed.url("status/"), {"CallSid": placed.sid, "CallStatus": call_status}
        )
    assert response.status_code == 200
    placed.reminder.refresh_from_db()
    return placed.reminder


@pytest.mark.django_db
def test_an_answered_call_delivers_the_reminder(client, placed, django_capture_on_commit_callbacks):
    answer(client, placed, AnsweredBy="human")

    reminder = status(client, placed, "completed", django_capture_on_commit_callbacks)

    assert reminder.status == Reminder.Status.DELIVERED
    assert Call.objects.get(call_sid=placed.sid).status == Call.Status.COMPLETED


@pytest.mark.django_db
def test_no_answer_is_retried_once_later_in_the_window_then_a_text_goes_out(
    client, placed, time_machine, eager_celery, django_capture_on_commit_callbacks
):
    reminder = status(client, placed, "no-answer", django_capture_on_commit_callbacks)
    assert (reminder.status, reminder.channel) == (Reminder.Status.PENDING, Reminder.Channel.CALL)
    assert reminder.due_at == TUESDAY_9 + timedelta(hours=2)
    assert Call.objects.get(call_sid=placed.sid).status == Call.Status.NO_ANSWER

    time_machine.move_to(TUESDAY_9 + timedelta(hours=2), tick=False)
    reminder_deliver(reminder_id=reminder.pk)
    retry = PlacedCall(reminder, ReminderAttempt.objects.filter(reminder=reminder).latest("pk"), placed.fake)
    assert retry.sid != placed.sid
    reminder = status(client, retry, "busy", django_capture_on_commit_callbacks)  # the text goes out at once

    assert len(placed.fake.requests_to("/Calls.json")) == 2
    [text] = placed.fake.requests_to("/Messages.json")
    assert text.value("To") == "+13125550147"
    assert (reminder.status, reminder.channel) == (Reminder.Status.DELIVERED, Reminder.Channel.SMS)
    kinds = list(ReminderAttempt.objects.filter(reminder=reminder).values_list("kind", "outcome"))
    assert kinds == [("call", "no_answer"), ("call", "busy"), ("sms", "sms_sent")]


@pytest.mark.django_db
def test_a_failed_call_goes_straight_to_a_text(client, placed, django_capture_on_commit_callbacks):
    reminder = status(client, placed, "failed", django_capture_on_commit_callbacks)

    assert (reminder.channel, reminder.calls_placed) == (Reminder.Channel.SMS, 1)
    assert reminder.status_reason.startswith("Call failed.")


@pytest.mark.django_db(transaction=True)
def test_a_failed_call_is_answered_without_a_task_queue_and_the_text_stays_due(client, placed, broker):  # noqa: F811
    broker.cut("refuse")

    response = signed_post(client, placed.url("status/"), {"CallSid": placed.sid, "CallStatus": "failed"})

    assert response.status_code == 200  # not a 500 after the commit
    reminder = Reminder.objects.get(pk=placed.reminder.pk)
    assert (reminder.status, reminder.channel) == (Reminder.Status.PENDING, Reminder.Channel.SMS)
    assert reminder.due_at <= TUESDAY_9  # the next dispatch sends the text
    assert placed.fake.requests_to("/Messages.json") == []


@pytest.mark.django_db
def test_a_status_callback_for_a_call_we_did_not_place_changes_nothing(client, placed):
    params = {"CallSid": "CA" + "9" * 32, "CallStatus": "no-answer"}
    response = signed_post(
        client, f"/voice/outbound/reminder/{placed.reminder.appointment_id}/status/", params
    )

    assert response.status_code == 200
    placed.reminder.refresh_from_db()
    assert placed.reminder.status == Reminder.Status.CALLING


@pytest.mark.django_db
@pytest.mark.parametrize("attempt", ["²", "9" * 5000, "9" * 30])
def test_an_unreadable_attempt_id_is_ignored_and_the_call_sid_finds_the_call(
    client, placed, django_capture_on_commit_callbacks, attempt
):
    url = (
        f"/voice/outbound/reminder/{placed.reminder.appointment_id}/status/?{urlencode({'attempt': attempt})}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, url, {"CallSid": placed.sid, "CallStatus": "no-answer"})

    assert response.status_code == 200
    placed.attempt.refresh_from_db()
    assert placed.attempt.outcome == "no_answer"


@pytest.mark.django_db
@pytest.mark.parametrize("duration", ["²", "9" * 5000])
def test_a_nonsense_call_duration_still_delivers_the_reminder(
    client, placed, django_capture_on_commit_callbacks, duration
):
    answer(client, placed, AnsweredBy="human")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(
            client,
            placed.url("status/"),
            {"CallSid": placed.sid, "CallStatus": "completed", "CallDuration": duration},
        )

    assert response.status_code == 200
    placed.reminder.refresh_from_db()
    assert placed.reminder.status == Reminder.Status.DELIVERED


@pytest.mark.django_db
def test_a_spanish_speakers_voicemail_is_in_spanish_and_read_in_a_spanish_voice(client, placed, customer):
    customer.preferred_language = "es"
    customer.save()

    root = ET.fromstring(answer(client, placed, AnsweredBy="machine_end_beep").content)

    say = root.find("Say")
    assert say.get("language") == "es-MX"
    assert say.text.startswith("Hola, le habla el asistente automático de Lakeside Auto Service")
    assert "miércoles 11 de marzo a las 10 AM" in say.text
    assert "llámenos al 3 1 2, 5 5 5, 0 1 0 0" in say.text
    for private in ("Dana", "Civic", "oil change"):
        assert private not in say.text
