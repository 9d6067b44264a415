"""What the caller gives us besides plain sentences: keypad digits, numbers read out in pieces; and
what the agent says while tools run."""

import asyncio
import dataclasses

import pytest

from tests.calls import FakePhone, caller_says, greeted, spoken
from tests.fakes.deepgram_messages import results_message, speech_started_message, utterance_end_message
from tests.fakes.fake_openai import TextReply, tool_reply
from voice.engines.cascade import CascadeEngine

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def live(cascade_live, monkeypatch):
    monkeypatch.setattr(CascadeEngine, "timings", dataclasses.replace(CascadeEngine.timings, dtmf_gather=0.3))


async def test_keypad_digits_reach_the_conversation(call, fake_deepgram, fake_openai):
    fake_openai.script = [TextReply("Thanks, option one.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await phone.press("1")
        await phone.press("2")
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()

    assert fake_openai.requests[0]["messages"][-1] == {"role": "user", "content": "[keypad: 1 2]"}


async def test_a_caller_reading_a_number_is_not_cut_off_between_digit_groups(
    call, fake_deepgram, fake_openai
):
    fake_openai.script = [TextReply("Thanks, I have that number.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        first = [speech_started_message(), results_message("My other number is 312 555", duration=0.5)]
        await asyncio.to_thread(fake_deepgram.emit, *first)  # endpointing fired after "555"
        await asyncio.sleep(0.4)
        assert not fake_openai.requests

        rest = [results_message("0199", start=0.5, duration=0.5, speech_final=False), utterance_end_message()]
        await asyncio.to_thread(fake_deepgram.emit, *rest)
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()

    assert fake_openai.requests[0]["messages"][-1]["content"] == "My other number is 312 555 0199"


async def test_a_slow_lookup_gets_one_filler_sentence(monkeypatch, call, fake_deepgram, fake_openai):
    monkeypatch.setattr(
        CascadeEngine, "timings", dataclasses.replace(CascadeEngine.timings, filler_after=0.0)
    )
    fake_openai.script = [
        tool_reply("list_services"),
        tool_reply("check_availability", {"service_type": "oil_change"}),
        TextReply("Monday morning is open."),
    ]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "When can you do an oil change?")
        await phone.wait_for(lambda: phone.heard("Monday morning is open."))
    finally:
        await phone.hang_up()

    assert spoken(fake_deepgram)[1:] == ["One moment while I check.", "Monday morning is open."]
