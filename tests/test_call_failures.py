"""A provider failing mid-call never leaves the caller in silence."""

import dataclasses

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone, caller_says, greeted, listening, spoken
from tests.fakes.fake_openai import ErrorReply, HangReply, TextReply
from voice.agent.ear import for_the_ear
from voice.engines.cascade import CascadeEngine
from voice.models import Call, CallbackRequest, Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]

ADVISOR = "+13125550199"
APOLOGY_AND_TRANSFER = "Sorry, I'm having trouble right now. Let me connect you with someone at the shop."


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def saved(call) -> Call:
    return await database_sync_to_async(Call.objects.get)(pk=call.pk)


async def test_a_failing_model_gets_an_apology_then_a_transfer(
    settings, call, fake_deepgram, fake_openai, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_openai.script = [ErrorReply(500)]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "I'd like to book a tire rotation.")
        await phone.wait_for(lambda: phone.heard(APOLOGY_AND_TRANSFER), what="the apology")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    assert f"<Number>{ADVISOR}</Number>" in call_updates(fake_twilio, call)[0].value("Twiml")
    record = await saved(call)
    assert record.outcome == Call.Outcome.TRANSFERRED
    assert "language model failed" in record.last_error


async def test_a_model_that_stops_answering_times_out_into_the_apology(
    settings, monkeypatch, call, fake_deepgram, fake_openai, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    monkeypatch.setattr(
        CascadeEngine, "timings", dataclasses.replace(CascadeEngine.timings, llm_chunk_timeout=0.5)
    )
    fake_openai.script = [HangReply()]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "Are you open on Saturday?")
        await phone.wait_for(lambda: phone.heard(APOLOGY_AND_TRANSFER), what="the apology")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    assert "timed out" in (await saved(call)).last_error


async def test_without_a_transfer_number_the_apology_takes_a_message(
    call, fake_deepgram, fake_openai, fake_twilio
):
    fake_openai.script = [ErrorReply(503)]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "I need to move my appointment.")
        prompt = "If you tell me your name and a short message, an advisor will call you back."
        await phone.played_out(prompt)
        await caller_says(fake_deepgram, "This is Dana, please call me about Tuesday.")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert message.reason == "This is Dana, please call me about Tuesday."
    assert "Sorry, I'm having trouble right now." in spoken(fake_deepgram)
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"
    assert (await saved(call)).outcome == Call.Outcome.MESSAGE_TAKEN


async def test_a_dropped_speech_recognition_socket_is_replaced_and_the_call_goes_on(
    call, fake_deepgram, fake_openai
):
    fake_openai.script = [TextReply("Sure, which day?")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        fake_deepgram.drop_listen()
        await listening(fake_deepgram, sessions=2)
        await fake_deepgram.await_for(lambda: fake_deepgram.listen.audio_bytes > 0)  # audio flows again

        await caller_says(fake_deepgram, "I want to book an inspection.")
        await phone.wait_for(lambda: phone.heard("Sure, which day?"), what="the answer")
    finally:
        await phone.hang_up()

    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call, role="caller")))()
    assert [t.text for t in turns] == ["I want to book an inspection."]


async def test_when_listening_cannot_be_restored_the_caller_is_transferred(
    settings, call, fake_deepgram, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        fake_deepgram.api_key = "revoked"  # reconnecting is refused
        fake_deepgram.drop_listen()
        trouble = for_the_ear(
            "Sorry, I'm having trouble hearing you. Let me connect you with someone at the shop."
        )
        await phone.wait_for(lambda: phone.heard(trouble), what="the apology")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    assert "<Dial" in call_updates(fake_twilio, call)[0].value("Twiml")
    assert "Speech recognition failed" in (await saved(call)).last_error


async def test_a_dropped_speech_synthesis_socket_is_replaced(call, fake_deepgram, fake_openai):
    fake_openai.script = [TextReply("We close at six today.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        fake_deepgram.drop_speak()
        await caller_says(fake_deepgram, "When do you close?")
        await phone.wait_for(lambda: phone.heard(for_the_ear("We close at six today.")), what="the answer")
    finally:
        await phone.hang_up()

    assert len(fake_deepgram.speak_sessions) == 2


async def test_when_speech_synthesis_is_gone_twilio_says_the_apology(
    call, customer, fake_deepgram, fake_twilio
):
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        fake_deepgram.api_key = "revoked"
        fake_deepgram.drop_speak()
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    twiml = call_updates(fake_twilio, call)[0].value("Twiml")
    assert "<Say>Sorry, I'm having trouble on this line." in twiml and "<Hangup/>" in twiml
    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert message.phone == customer.phone and "voice failed" in message.reason
    assert "Speech synthesis failed" in (await saved(call)).last_error
