"""A reminder call whose `calls.create` answer was lost is never dialled twice (fake Twilio server)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.models import Reminder, ReminderAttempt
from reminders.services import DeliveryRetry, reminder_deliver, reminder_schedule
from voice.models import Call

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
APPOINTMENT = datetime(2026, 3, 11, 10, tzinfo=CHICAGO)
RETRY = TUESDAY_9 + timedelta(minutes=1)


@pytest.fixture
def reminder(shop, customer, make_appointment) -> Reminder:
    appointment = make_appointment(customer, APPOINTMENT)
    return reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))


@pytest.fixture
def twilio(telephony, settings):
    settings.TWILIO_HTTP_TIMEOUT = 0.5  # the fake stalls past it
    return telephony


def deliver(reminder: Reminder, now: datetime) -> str:
    with time_machine.travel(now, tick=False):
        return reminder_deliver(reminder_id=reminder.pk)


def first_delivery_is_unconfirmed(reminder: Reminder) -> None:
    with pytest.raises(DeliveryRetry):
        deliver(reminder, TUESDAY_9)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.due_at) == (Reminder.Status.PENDING, RETRY)


@pytest.mark.django_db
@pytest.mark.parametrize("stall", [2.0, None], ids=["response-times-out", "connection-reset"])
def test_a_call_placed_whose_answer_was_lost_is_adopted_not_dialled_again(reminder, twilio, stall):
    twilio.lose_next_create_response(stall=stall)
    first_delivery_is_unconfirmed(reminder)
    [placed] = twilio.calls
    assert ReminderAttempt.objects.get(reminder=reminder).outcome == ReminderAttempt.Outcome.UNKNOWN

    result = deliver(reminder, RETRY)

    assert result == f"call adopted {placed.sid}"
    assert len(twilio.requests_to("/Calls.json")) == 1  # one create: the customer's phone rang once
    [listing] = twilio.requests_to("/Calls.json", method="GET")
    assert (listing.value("To"), listing.value("From")) == ("+13125550147", "+13125550100")
    assert len(twilio.calls) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.calls_placed) == (Reminder.Status.CALLING, 1)
    [attempt] = ReminderAttempt.objects.filter(reminder=reminder)
    assert (attempt.outcome, attempt.provider_sid) == (ReminderAttempt.Outcome.PLACED, placed.sid)
    assert attempt.claim_token == reminder.claim_token  # its status callbacks now drive the reminder
    assert Call.objects.get(call_sid=placed.sid).to_number == "+13125550147"


@pytest.mark.django_db
def test_a_failure_that_created_no_call_is_dialled_again(reminder, twilio):
    twilio.fail_next(503)
    first_delivery_is_unconfirmed(reminder)
    assert twilio.calls == []

    result = deliver(reminder, RETRY)

    assert result.startswith("call placed")
    assert len(twilio.requests_to("/Calls.json", method="GET")) == 1
    assert len(twilio.requests_to("/Calls.json")) == 2
    assert len(twilio.calls) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.calls_placed) == (Reminder.Status.CALLING, 1)
    first, second = ReminderAttempt.objects.filter(reminder=reminder)
    assert first.outcome == ReminderAttempt.Outcome.PROVIDER_ERROR
    assert first.detail.startswith("Twilio has no such call")
    assert second.provider_sid == twilio.calls[0].sid


@pytest.mark.django_db
def test_an_adopted_call_that_already_went_unanswered_gets_its_one_retry(reminder, twilio):
    twilio.lose_next_create_response(stall=None)
    first_delivery_is_unconfirmed(reminder)
    twilio.set_call_status(twilio.calls[0].sid, "no-answer")

    deliver(reminder, RETRY)

    assert len(twilio.requests_to("/Calls.json")) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel, reminder.calls_placed) == ("pending", "call", 1)
    assert reminder.due_at == RETRY + timedelta(hours=2)
    assert ReminderAttempt.objects.get(reminder=reminder).outcome == ReminderAttempt.Outcome.NO_ANSWER


@pytest.mark.django_db
def test_when_twilio_cannot_be_asked_it_does_not_dial_blindly(reminder, twilio):
    twilio.lose_next_create_response(stall=None)
    first_delivery_is_unconfirmed(reminder)
    twilio.fail_next(503)  # the Calls list fails

    with pytest.raises(DeliveryRetry):
        deliver(reminder, RETRY)

    assert len(twilio.requests_to("/Calls.json")) == 1
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.status_reason.startswith("Checking with Twilio whether the last call went out failed")

    assert deliver(reminder, RETRY + timedelta(minutes=2)).startswith("call adopted")
    assert len(twilio.requests_to("/Calls.json")) == 1


@pytest.mark.django_db
def test_a_call_to_the_same_number_owned_by_another_attempt_is_not_adopted(reminder, twilio):
    twilio.lose_next_create_response(stall=None)
    first_delivery_is_unconfirmed(reminder)
    # e.g. the reminder of another appointment of the same customer, placed at the same moment
    ReminderAttempt.objects.create(
        reminder=reminder, kind="call", started_at=TUESDAY_9, provider_sid=twilio.calls[0].sid
    )

    assert deliver(reminder, RETRY).startswith("call placed")
    assert len(twilio.calls) == 2


@pytest.mark.django_db
def test_a_call_given_up_for_a_text_is_not_adopted_by_a_later_send_now(reminder, twilio, settings):
    settings.REMINDER_MAX_PROVIDER_ERRORS = 1
    twilio.fail_next(503)

    deliver(reminder, TUESDAY_9)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel) == (Reminder.Status.PENDING, Reminder.Channel.SMS)
    attempt = ReminderAttempt.objects.get(reminder=reminder)
    # Twilio was asked before the text and had no such call: settled, so never adopted later.
    assert attempt.outcome == ReminderAttempt.Outcome.PROVIDER_ERROR
    assert attempt.detail.startswith("Twilio has no such call")


@pytest.mark.django_db
def test_a_call_placed_on_the_last_try_is_adopted_not_followed_by_a_text(reminder, twilio, settings):
    settings.REMINDER_MAX_PROVIDER_ERRORS = 1
    twilio.lose_next_create_response(stall=None)

    result = deliver(reminder, TUESDAY_9)

    [placed] = twilio.calls
    assert result == f"call adopted {placed.sid}"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel) == (Reminder.Status.CALLING, Reminder.Channel.CALL)
    assert not twilio.requests_to("/Messages.json")


@pytest.mark.django_db
def test_two_unconfirmed_calls_to_one_number_are_left_to_a_person_not_guessed(
    reminder, customer, make_appointment, twilio
):
    other = reminder_schedule(
        appointment_id=make_appointment(customer, APPOINTMENT + timedelta(hours=4)).pk,
        now=TUESDAY_9 - timedelta(days=1),
    )
    twilio.lose_next_create_response(stall=None)  # this one rang the phone
    first_delivery_is_unconfirmed(reminder)
    twilio.fail_next(503)  # this one may or may not have: Twilio never said
    with pytest.raises(DeliveryRetry):
        deliver(other, TUESDAY_9)

    result = deliver(other, RETRY)

    # Adopting the one call found would leave the first reminder to dial the customer again.
    assert "another reminder's call" in result
    other.refresh_from_db()
    assert other.status == Reminder.Status.REVIEW
    assert len(twilio.calls) == 1
