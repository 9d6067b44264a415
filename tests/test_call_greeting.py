"""The first seconds of a call: a prompt, personal, uninterruptible greeting with the disclosures."""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone, caller_says, greeted, inbound_call, spoken
from tests.fakes.fake_openai import TextReply
from voice.agent.ear import for_the_ear
from voice.models import Call

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]


async def test_a_known_caller_is_greeted_by_name_at_once(customer, fake_deepgram):
    call = await database_sync_to_async(inbound_call)(from_number=customer.phone)
    phone = await FakePhone.dial(call)
    try:
        await phone.wait_for(lambda: phone.events("media"), within=5, what="first agent audio")
        first_audio_after = time.monotonic() - phone.started_at
        greeting = await greeted(phone, fake_deepgram)
    finally:
        await phone.hang_up()

    assert greeting == for_the_ear(
        "Hi Dana, thanks for calling Lakeside Auto Service. "
        "I'm the shop's automated assistant, and this call may be recorded. How can I help you today?"
    )
    assert first_audio_after < 3  # ~1 s in practice; generous for slow test machines
    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert record.recording_consent == Call.RecordingConsent.DISCLOSED


async def test_an_unknown_caller_gets_the_plain_greeting_and_the_model_their_number(
    shop, fake_deepgram, fake_openai
):
    call = await database_sync_to_async(inbound_call)(from_number="+13125550123")
    fake_openai.script = [TextReply("Sure, I can help with that.")]
    phone = await FakePhone.dial(call)
    try:
        greeting = await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "I'd like to book a service.")
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()

    assert greeting.startswith("Thanks for calling Lakeside Auto Service.")
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert "+13125550123 and matches no customer" in system


async def test_the_greeting_is_not_interrupted_and_what_the_caller_said_is_answered_after(
    customer, fake_deepgram, fake_openai
):
    call = await database_sync_to_async(inbound_call)(from_number=customer.phone)
    fake_openai.script = [TextReply("Of course, let me look at brake appointments.")]
    phone = await FakePhone.dial(call, echo_marks=False)
    try:
        await phone.wait_for(lambda: spoken(fake_deepgram) and phone.heard(spoken(fake_deepgram)[0]))
        await caller_says(fake_deepgram, "Hi, my brakes are squeaking.")
        await asyncio.sleep(0.3)
        assert not phone.events("clear")
        assert not fake_openai.requests  # the disclosure plays to the end first

        await phone.release_marks()
        phone.echo_marks = True
        await fake_openai.await_for(lambda: fake_openai.requests)
        await phone.wait_for(lambda: phone.heard("Of course, let me look at brake appointments."))
    finally:
        await phone.hang_up()

    assert fake_openai.requests[0]["messages"][-1] == {
        "role": "user",
        "content": "Hi, my brakes are squeaking.",
    }
    assert fake_openai.requests[0]["messages"][1]["role"] == "assistant"  # the greeting came first
