"""A captured, correctly signed Twilio request sent again changes nothing (Twilio's signature has no
timestamp, so only our record of what was handled can tell a replay). Twilio gets the answer it
expects: 200 and an empty TwiML document."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from crm.models import Customer
from reminders.models import ConsentEvent, Reminder, ReminderAttempt
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.models import Call, CallbackRequest
from voice.tests.conftest import PUBLIC_BASE_URL, twilio_signature
from voice.tests.test_webhooks import CALL_SID, INBOUND, INBOUND_URL, STATUS_URL
from voice.tests.test_webhooks_reminders import TUESDAY_9, answer, placed, signed_post  # noqa: F401
from voice.tests.test_webhooks_sms import text, twilio_settings  # noqa: F401

EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def post_signed(client, path: str, params: dict[str, str]):
    signature = twilio_signature(PUBLIC_BASE_URL + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def assert_empty_twiml(response) -> None:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert ET.fromstring(response.content).findall("*") == []


# --- texts (/voice/sms/) ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_replayed_start_does_not_opt_a_customer_back_in(client, shop, customer):
    text(client, "STOP", sid="SM" + "1" * 32)
    text(client, "START", sid="SM" + "2" * 32)
    text(client, "STOP", sid="SM" + "3" * 32)
    events = ConsentEvent.objects.count()

    replay = text(client, "START", sid="SM" + "2" * 32)

    assert_empty_twiml(replay)  # and no text goes back to the customer
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.sms_opted_out_at is not None
    assert customer.calls_opted_out_at is not None
    assert ConsentEvent.objects.count() == events


@pytest.mark.django_db
def test_a_replayed_message_is_not_kept_for_an_advisor_twice(client, shop, customer):
    first = text(client, "Is my car ready?", sid="SM" + "4" * 32)
    replay = text(client, "Is my car ready?", sid="SM" + "4" * 32)

    assert ET.fromstring(first.content).findtext("Message")
    assert_empty_twiml(replay)
    assert CallbackRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_text_without_a_message_sid_is_refused(client, shop, customer):
    response = text(client, "STOP", sid="")

    assert response.status_code == 400
    assert Customer.objects.get(pk=customer.pk).sms_opted_out_at is None


# --- inbound call status (/voice/status/) ----------------------------------------------------------


@pytest.mark.django_db
def test_an_earlier_status_replayed_does_not_move_a_live_call_back(client, twilio, engines):
    post_signed(client, INBOUND_URL, INBOUND)
    post_signed(client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "ringing"})
    post_signed(client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "in-progress"})

    replay = post_signed(client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "ringing"})

    assert_empty_twiml(replay)
    assert Call.objects.get(call_sid=CALL_SID).status == Call.Status.IN_PROGRESS


@pytest.mark.django_db
def test_a_replayed_final_status_changes_nothing(client, twilio, engines, time_machine):
    time_machine.move_to(TUESDAY_9, tick=False)
    post_signed(client, INBOUND_URL, INBOUND)
    ended = {"CallSid": CALL_SID, "CallStatus": "completed", "CallDuration": "42"}
    post_signed(client, STATUS_URL, ended)
    before = Call.objects.get(call_sid=CALL_SID)

    time_machine.move_to(before.updated_at + timedelta(hours=1), tick=False)
    replay = post_signed(client, STATUS_URL, ended)

    assert_empty_twiml(replay)
    after = Call.objects.get(call_sid=CALL_SID)
    assert (after.status, after.ended_at, after.updated_at) == (
        Call.Status.COMPLETED,
        before.ended_at,
        before.updated_at,
    )


# --- reminder calls (/voice/outbound/reminder/<id>/status/ and amd/) ----------------------------------


def reminder_status(client, placed, call_status: str):  # noqa: F811
    params = {"CallSid": placed.sid, "CallStatus": call_status}
    return signed_post(client, placed.url("status/"), params)


@pytest.mark.django_db
def test_a_replayed_reminder_status_changes_nothing(
    client,
    placed,  # noqa: F811
    time_machine,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        reminder_status(client, placed, "no-answer")
    attempt = ReminderAttempt.objects.get(pk=placed.attempt.pk)
    reminder = Reminder.objects.get(pk=placed.reminder.pk)
    assert reminder.status == Reminder.Status.PENDING

    time_machine.move_to(TUESDAY_9 + timedelta(hours=3), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        replay = reminder_status(client, placed, "no-answer")

    assert_empty_twiml(replay)
    assert queued == []  # no delivery is queued again
    assert ReminderAttempt.objects.get(pk=attempt.pk).ended_at == attempt.ended_at
    again = Reminder.objects.get(pk=reminder.pk)
    assert (again.status, again.due_at, again.calls_placed, again.updated_at) == (
        reminder.status,
        reminder.due_at,
        reminder.calls_placed,
        reminder.updated_at,
    )
    assert len(placed.fake.requests_to("/Calls.json")) == 1


@pytest.mark.django_db
def test_a_replayed_machine_detection_does_not_leave_the_voicemail_again(client, placed):  # noqa: F811
    answer(client, placed)
    detected = {"CallSid": placed.sid, "AnsweredBy": "machine_end_beep"}
    signed_post(client, placed.url("amd/"), detected)

    replay = signed_post(client, placed.url("amd/"), detected)

    assert_empty_twiml(replay)
    assert len(placed.fake.requests_to(f"/Calls/{placed.sid}.json")) == 1
