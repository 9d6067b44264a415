"""A silent caller and a call that runs too long are ended politely, never left hanging (both engines)."""

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone
from voice.agent.flow import IDLE_GOODBYE, STILL_THERE
from voice.models import Call, CallbackRequest

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def test_a_silent_caller_is_asked_once_then_the_call_ends(settings, live, fake_twilio):
    settings.VOICE_IDLE_SECONDS = 0.4
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await live.greeted(phone)
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert live.lines()[1:] == [STILL_THERE, IDLE_GOODBYE]
    assert live.heard(phone, IDLE_GOODBYE)  # the goodbye played out before the hang-up
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"
    assert (await database_sync_to_async(Call.objects.get)(pk=call.pk)).outcome == Call.Outcome.ABANDONED
    if live.engine == "cascade":
        assert not live.openai.requests
    else:
        assert live.brain.detections[2]["interrupt_response"] is False  # the goodbye is not cut short
        assert not live.fake.session.function_outputs


async def test_the_time_limit_ends_the_call_with_a_callback_offer(settings, live, fake_twilio):
    settings.VOICE_MAX_CALL_SECONDS = 2
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=10)
    finally:
        await phone.hang_up()

    goodbye = live.lines()[-1]
    assert "time limit" in goodbye and "call you back" in goodbye
    if live.engine == "cascade":
        assert phone.heard(goodbye)
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"
    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert "time limit" in message.reason
