"""A silent caller and a call that runs too long are ended politely, never left hanging."""

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone, greeted, spoken
from voice.models import Call, CallbackRequest

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def test_a_silent_caller_is_asked_once_then_the_call_ends(
    settings, call, fake_deepgram, fake_openai, fake_twilio
):
    settings.VOICE_IDLE_SECONDS = 0.4
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert spoken(fake_deepgram)[1:] == [
        "Are you still there?",
        "I'll let you go for now. Thanks for calling, goodbye.",
    ]
    assert phone.heard("I'll let you go for now. Thanks for calling, goodbye.")
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"
    assert (await database_sync_to_async(Call.objects.get)(pk=call.pk)).outcome == Call.Outcome.ABANDONED
    assert not fake_openai.requests


async def test_the_time_limit_ends_the_call_with_a_callback_offer(settings, call, fake_deepgram, fake_twilio):
    settings.VOICE_MAX_CALL_SECONDS = 2
    phone = await FakePhone.dial(call)
    try:
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=10)
    finally:
        await phone.hang_up()

    goodbye = spoken(fake_deepgram)[-1]
    assert "time limit" in goodbye and "call you back" in goodbye
    assert phone.heard(goodbye)
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"
    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert "time limit" in message.reason
