"""Urgent and safety callbacks, safety calls and the receptionist failing reach the shop's people by text
(fake Twilio) or email (locmem), once per incident, with a link, after quiet hours, retried a bounded
number of times; a test call alerts no one."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from dealership.core.alerts.delivery import MAX_ATTEMPTS
from dealership.core.alerts.tasks import alerts_send_due
from dealership.core.models import Alert
from scheduling.models import Shop
from tests.calls import inbound_call
from tests.fakes.fake_openai import JsonReply
from tests.fakes.fixtures import fake_openai, fake_twilio  # noqa: F401
from voice.models import Call
from voice.services import call_mark_urgent, call_record_error, callback_request_create, turn_record
from voice.tasks import call_summarise_task

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
OWNER_CELL = "+13125550188"


@pytest.fixture
def alerting(settings, shop, fake_twilio, eager_celery):  # noqa: F811
    """Texts to the owner's cell and email to the owner (a staff user) and the desk."""
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    owner = User.objects.create_user("owner", email="owner@example.com", is_staff=True)
    Shop.objects.update(alert_channel="both", alert_phones=OWNER_CELL, alert_emails="desk@example.com")
    Shop.objects.get().alert_users.add(owner)
    return fake_twilio


def texts(fake_twilio) -> list[tuple[str, str]]:  # noqa: F811
    return [(r.value("To"), r.value("Body")) for r in fake_twilio.requests_to("/Messages.json")]


def test_an_urgent_callback_reaches_everyone_once_with_a_link(alerting, mailoutbox):
    call = inbound_call()
    message = callback_request_create(
        phone="+13125550147", name="Dana Ruiz", reason="My brakes are grinding", call_id=call.pk, urgent=True
    )
    callback_request_create(phone="+13125550147", reason="Also, call soon", call_id=call.pk, urgent=True)

    assert alerts_send_due() == 1

    link = f"https://shop.example.com/admin/voice/callbackrequest/{message.pk}/change/"
    [(to, body)] = texts(alerting)
    assert to == OWNER_CELL and "Urgent callback: Dana Ruiz" in body and link in body
    assert sorted(m.to[0] for m in mailoutbox) == ["desk@example.com", "owner@example.com"]
    assert "My brakes are grinding" in mailoutbox[0].body and link in mailoutbox[0].body
    assert Alert.objects.get().status == Alert.Status.SENT
    assert alerts_send_due() == 0  # sent is sent


def test_an_ordinary_message_alerts_no_one(alerting, mailoutbox):
    callback_request_create(phone="+13125550147", reason="Call me about my invoice")

    assert alerts_send_due() == 0
    assert not Alert.objects.exists() and not mailoutbox


def test_a_message_on_a_safety_call_and_the_calls_summary_make_one_alert(alerting, mailoutbox, fake_openai):  # noqa: F811
    Shop.objects.update(alert_channel="email")
    call = inbound_call()
    turn_record(call_id=call.pk, role="caller", text="My brake pedal goes to the floor.")
    Call.objects.filter(pk=call.pk).update(urgency=Call.Urgency.SAFETY)
    callback_request_create(phone="+13125550147", reason="Brakes failing", call_id=call.pk)
    fake_openai.structured = [JsonReply({**_summary(), "urgency": "safety"})]
    assert call_summarise_task.apply(args=(call.pk,)).get() == "summarised"

    alerts_send_due()

    alert = Alert.objects.get()
    assert (alert.kind, alert.status) == (Alert.Kind.SAFETY_CALL, Alert.Status.SENT)
    assert len(mailoutbox) == 2 and mailoutbox[0].subject.startswith("Safety issue")


def test_a_summary_that_finds_a_safety_issue_alerts(alerting, mailoutbox, fake_openai):  # noqa: F811
    call = inbound_call()
    turn_record(call_id=call.pk, role="caller", text="Smoke is coming from under the hood.")
    fake_openai.structured = [JsonReply({**_summary(), "urgency": "safety"})]

    call_summarise_task.apply(args=(call.pk,)).get()
    alerts_send_due()

    assert f"/admin/voice/call/{call.pk}/change/" in texts(alerting)[0][1]


def test_a_test_call_alerts_no_one(alerting):
    call = inbound_call()
    Call.objects.filter(pk=call.pk).update(is_test=True)
    callback_request_create(phone="+13125550147", reason="Test", call_id=call.pk, urgent=True)

    assert not Alert.objects.exists()


def test_a_test_calls_failure_alerts_no_one(alerting):
    """A browser test call with a rejected key, or after real calls that failed, texts no one."""
    failed = [inbound_call(call_sid=f"CA{n:032d}") for n in range(3)]
    Call.objects.filter(pk__in=[c.pk for c in failed]).update(last_error="Deepgram dropped the connection")
    test = inbound_call(call_sid="CA" + "7" * 32)
    Call.objects.filter(pk=test.pk).update(is_test=True)

    call_record_error(call_id=test.pk, error="The model failed: OpenAI answered HTTP 401: Incorrect API key")
    call_record_error(call_id=test.pk, error="Deepgram dropped the connection")

    assert alerts_send_due() == 0
    assert not Alert.objects.exists() and texts(alerting) == []


def test_quiet_hours_hold_an_alert_until_they_end(alerting, mailoutbox):
    Shop.objects.update(alert_quiet_start=time(21, 0), alert_quiet_end=time(7, 0))
    with time_machine.travel(datetime(2026, 11, 24, 23, 30, tzinfo=CHICAGO), tick=False):
        callback_request_create(phone="+13125550147", reason="Car won't start", urgent=True)
        assert alerts_send_due() == 0
    with time_machine.travel(datetime(2026, 11, 25, 6, 59, tzinfo=CHICAGO), tick=False):
        assert alerts_send_due() == 0
    with time_machine.travel(datetime(2026, 11, 25, 7, 0, tzinfo=CHICAGO), tick=False):
        assert alerts_send_due() == 1

    assert len(texts(alerting)) == 1 and len(mailoutbox) == 2


def test_a_rejected_key_alerts_at_once_and_once_per_hour(alerting, mailoutbox):
    first, second = inbound_call(), inbound_call(call_sid="CA" + "5" * 32)
    call_record_error(call_id=first.pk, error="The model failed: OpenAI answered HTTP 401: Incorrect API key")
    call_record_error(
        call_id=second.pk, error="The model failed: OpenAI answered HTTP 401: Incorrect API key"
    )

    alerts_send_due()

    alert = Alert.objects.get()
    assert alert.kind == Alert.Kind.RECEPTIONIST_FAILING and "rejected our key" in alert.subject
    assert len(texts(alerting)) == 1


def test_an_exhausted_quota_alerts(alerting):
    call = inbound_call()
    call_record_error(call_id=call.pk, error="OpenAI answered HTTP 429: insufficient_quota")

    assert "quota" in Alert.objects.get().subject


def test_errors_on_several_calls_in_a_row_alert_but_one_does_not(alerting):
    calls = [inbound_call(call_sid=f"CA{n:032d}") for n in range(3)]
    call_record_error(call_id=calls[0].pk, error="Deepgram dropped the connection")
    call_record_error(call_id=calls[1].pk, error="Deepgram dropped the connection")
    assert not Alert.objects.exists()

    call_record_error(call_id=calls[2].pk, error="Deepgram dropped the connection")

    assert "last 3 calls all had errors" in Alert.objects.get().subject


def test_a_text_twilio_refuses_is_logged_without_the_full_number(alerting, caplog):
    """Twilio's error names the number it refused; our log keeps only its last four digits."""
    Shop.objects.update(alert_channel="sms")
    alerting.fail_next(400, 21211, f"Invalid 'To' Phone Number: {OWNER_CELL}")
    callback_request_create(phone="+13125550147", reason="Tow truck needed", urgent=True)

    with caplog.at_level("INFO"):
        alerts_send_due()

    assert "21211" in caplog.text and OWNER_CELL[-4:] in caplog.text
    assert OWNER_CELL not in caplog.text and OWNER_CELL[1:] not in caplog.text


def test_a_text_that_fails_is_retried_a_bounded_number_of_times(alerting, mailoutbox):
    Shop.objects.update(alert_channel="sms")
    callback_request_create(phone="+13125550147", reason="Tow truck needed", urgent=True)
    for _ in range(MAX_ATTEMPTS + 2):
        alerting.fail_next(503)

    now = timezone.now()
    for minute in range(0, 60, 1):
        with time_machine.travel(now + timedelta(minutes=minute), tick=False):
            alerts_send_due()

    alert = Alert.objects.get()
    assert (alert.status, alert.attempts) == (Alert.Status.FAILED, MAX_ATTEMPTS)
    assert len(alerting.requests_to("/Messages.json")) == MAX_ATTEMPTS


def test_a_text_that_fails_once_is_sent_on_the_next_try(alerting, mailoutbox):
    Shop.objects.update(alert_channel="sms")
    callback_request_create(phone="+13125550147", reason="Tow truck needed", urgent=True)
    alerting.fail_next(503)

    alerts_send_due()
    assert Alert.objects.get().status == Alert.Status.PENDING
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        alerts_send_due()

    assert Alert.objects.get().status == Alert.Status.SENT


def _summary() -> dict:
    return {
        "summary": "The caller reported a safety problem.",
        "reason_for_calling": "Brakes failing",
        "vehicle_mentioned": "",
        "service_wanted": "brake inspection",
        "urgency": "routine",
        "sentiment": "negative",
        "follow_up_needed": True,
        "follow_up_reason": "Unsafe car",
    }


def test_an_alert_left_sending_by_a_dead_worker_is_sent_later_to_whom_it_missed(alerting, mailoutbox):
    callback_request_create(phone="+13125550147", reason="Stranded on the highway", urgent=True)
    Alert.objects.update(status=Alert.Status.SENDING, delivery={f"sms:{OWNER_CELL}": "sent"}, attempts=1)
    assert alerts_send_due() == 0  # it may still be on its way

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert alerts_send_due() == 1

    assert Alert.objects.get().status == Alert.Status.SENT
    assert texts(alerting) == [] and len(mailoutbox) == 2


def test_a_call_marked_unsafe_live_alerts_once_and_its_summary_adds_nothing(
    alerting,
    mailoutbox,
    fake_openai,  # noqa: F811
):
    """The live flag (the safety tool or the keyword backstop) alerts at once, not after the call."""
    Shop.objects.update(alert_channel="email")
    call = inbound_call()
    turn_record(call_id=call.pk, role="caller", text="There's smoke coming out of the hood.")

    call_mark_urgent(call_id=call.pk, reason="smoke")
    alerts_send_due()
    assert len(mailoutbox) == 2 and mailoutbox[0].subject.startswith("Safety issue")
    fake_openai.structured = [JsonReply({**_summary(), "urgency": "safety"})]
    call_summarise_task.apply(args=(call.pk,)).get()
    alerts_send_due()

    alert = Alert.objects.get()
    assert (alert.kind, alert.status) == (Alert.Kind.SAFETY_CALL, Alert.Status.SENT)
    assert len(mailoutbox) == 2
