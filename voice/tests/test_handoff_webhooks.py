"""The warm hand-off's webhooks on their own: Twilio's signature, hostile or stale requests, who gets a
text, and urgent callbacks. (Each Dial outcome on a live call: tests/test_call_warm_handoff.py.)"""

import pytest
from django.utils import timezone

from tests.dial import TwilioDial, post_as_twilio
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.agent.lines import line
from voice.handoffs import handoff_start, warm_dial_twiml
from voice.models import Call, CallbackRequest, Handoff
from voice.services import call_mark_urgent, callback_request_create

pytestmark = pytest.mark.django_db(transaction=True)  # the text is queued on commit

ADVISOR = "+13125550199"
PUBLIC = "https://shop.example.com"


@pytest.fixture
def warm(settings, fake_twilio, shop, eager_celery):  # noqa: F811
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_VALIDATE_SIGNATURES = True
    settings.DEBUG = False


def dial_for(call: Call, *, reason: str = "billing question") -> TwilioDial:
    handoff = handoff_start(call_id=call.pk, number=ADVISOR, reason=reason, customer_id=call.customer_id)
    return TwilioDial.from_twiml(call.call_sid, warm_dial_twiml(number=ADVISOR, token=handoff.token))


@pytest.fixture
def call(customer) -> Call:
    return Call.objects.create(
        call_sid="CA" + "3" * 32, from_number=customer.phone, to_number="+13125550100", customer=customer
    )


def texts(twilio_server) -> list[str]:
    return [r.value("Body") for r in twilio_server.requests_to("/Messages.json")]


def test_unsigned_or_forged_requests_are_refused(warm, call):
    dial = dial_for(call)

    assert post_as_twilio(dial.whisper_url, {"CallSid": "CA1"}, signed=False)[0] == 403
    assert post_as_twilio(dial.action, {"DialCallStatus": "no-answer"}, signed=False)[0] == 403
    assert Handoff.objects.get().result == ""
    assert not CallbackRequest.objects.exists()


def test_a_request_without_a_hand_off_is_a_clear_400(warm):
    assert post_as_twilio(f"{PUBLIC}/voice/transfer/whisper/", {"CallSid": "CA1"})[0] == 400
    assert post_as_twilio(f"{PUBLIC}/voice/transfer/result/", {"DialCallStatus": "busy"})[0] == 400


def test_an_unknown_hand_off_hangs_up_the_advisor_and_still_tells_the_caller(warm):
    status, whisper = post_as_twilio(f"{PUBLIC}/voice/transfer/whisper/?handoff=nope", {"CallSid": "CA1"})
    assert status == 200 and "<Hangup/>" in whisper and "<Gather" not in whisper

    status, result = post_as_twilio(f"{PUBLIC}/voice/transfer/result/?handoff=nope", {"DialCallStatus": "x"})
    assert status == 200 and line("transfer_nobody_free") in result


def test_a_key_pressed_after_the_dial_ended_accepts_nothing(warm, call):
    dial = dial_for(call)
    dial.result("no-answer")

    assert dial.whisper().find("Gather") is None  # the whisper of an ended dial only hangs up
    status, body = post_as_twilio(dial.whisper_url, {"CallSid": "CA9", "Digits": "1"})
    assert status == 200 and "<Hangup/>" in body
    assert Handoff.objects.get().accepted_at is None


def test_an_unknown_dial_status_counts_as_failed(warm, call):
    dial = dial_for(call)

    after = dial.result("<script>")

    assert [say.text for say in after.iter("Say")] == [line("transfer_nobody_free")]
    assert Handoff.objects.get().result == Handoff.Result.FAILED


def test_a_customer_who_opted_out_of_texts_gets_the_callback_but_no_text(warm, call, customer, fake_twilio):  # noqa: F811
    customer.sms_opted_out_at = timezone.now()
    customer.save()

    dial_for(call).result("busy")

    assert CallbackRequest.objects.count() == 1
    assert texts(fake_twilio) == []


def test_a_withheld_number_gets_a_callback_request_and_no_text(warm, fake_twilio):  # noqa: F811
    call = Call.objects.create(call_sid="CA" + "8" * 32, from_number="anonymous", to_number="+13125550100")

    dial = dial_for(call, reason="")
    assert dial.whisper().find("Gather").find("Say").text == (
        "A caller with a withheld number: wants to speak with someone. Press 1 to take the call."
    )
    dial.result("no-answer")

    assert CallbackRequest.objects.get().phone == "anonymous"
    assert texts(fake_twilio) == []


def test_an_unknown_caller_is_named_by_their_number_in_national_format(warm):
    call = Call.objects.create(call_sid="CA" + "7" * 32, from_number="+13125550123", to_number="+13125550100")

    whisper = dial_for(call, reason="tire quote").whisper()

    assert whisper.find("Gather").find("Say").text.startswith("A caller from (312) 555-0123: tire quote.")


def test_a_safety_call_is_whispered_as_urgent_and_its_callback_is_urgent(warm, call):
    call_mark_urgent(call_id=call.pk, reason="brakes failing")
    dial = dial_for(call, reason="brake pedal goes to the floor")

    gather = dial.whisper().find("Gather")
    assert gather.find("Say").text.startswith("Urgent, an unsafe car. Dana Whitfield: brake pedal goes")
    dial.result("no-answer")

    assert CallbackRequest.objects.get().urgent is True


def test_marking_a_call_urgent_makes_its_messages_urgent_and_happens_once(shop, call):
    earlier = callback_request_create(phone=call.from_number, reason="call me", call_id=call.pk)
    assert earlier.urgent is False

    assert call_mark_urgent(call_id=call.pk, reason="smoke") is True
    assert call_mark_urgent(call_id=call.pk, reason="smoke again") is False

    assert Call.objects.get(pk=call.pk).urgency == Call.Urgency.SAFETY
    assert CallbackRequest.objects.get(pk=earlier.pk).urgent is True
    later = callback_request_create(phone=call.from_number, reason="and again", call_id=call.pk)
    assert later.urgent is True


def test_the_call_page_shows_each_warm_transfer_and_how_it_ended(warm, call, admin_client):
    dial_for(call, reason="brake quote").result("busy")
    request = CallbackRequest.objects.get()

    page = admin_client.get(f"/admin/voice/call/{call.pk}/change/").content.decode()

    assert "Warm transfers" in page
    assert "to (312) 555-0199: Busy. Whisper: &quot;Dana Whitfield: brake quote.&quot;" in page
    assert f"Callback request #{request.pk}." in page
