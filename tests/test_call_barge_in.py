"""Barge-in on a live call: the caller talks over the agent; a backchannel does not count."""

import asyncio
import json
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from prometheus_client import REGISTRY

from scheduling.models import Appointment
from tests.calls import (
    FakePhone,
    agent_lines,
    caller_says,
    caller_starts_talking,
    day_locked,
    greeted,
    spoken,
)
from tests.fakes.fake_openai import HangReply, TextReply, ToolCall, ToolCallReply
from voice.models import ToolCall as ToolCallRecord
from voice.models import Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]

FIRST = "Sentence one is here."  # 4 words = 3200 bytes of fake audio = 4 marks
SECOND = "Sentence two is longer than the first one."  # 8 words = 8 marks


async def agent_turns(call) -> list[Turn]:
    return await database_sync_to_async(lambda: list(Turn.objects.filter(call=call, role="agent")))()


async def test_caller_speech_stops_the_agent_and_only_what_was_heard_is_kept(
    call, fake_deepgram, fake_openai
):
    # The model is still writing (the stream hangs after two sentences) when the caller cuts in.
    fake_openai.script = [HangReply(f"{FIRST} {SECOND} And"), TextReply("Sure, go ahead.")]
    barge_ins = REGISTRY.get_sample_value("dealership_barge_in_seconds_count") or 0
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False  # from here on the agent's audio is still "playing"
        await caller_says(fake_deepgram, "Tell me about your hours.")
        await phone.wait_for(lambda: phone.heard(FIRST) and phone.heard(SECOND), what="both sentences sent")
        await phone.wait_for(lambda: len(phone.held_marks) == 12, what="their marks")
        await phone.release_marks(6)  # all of the first sentence and a quarter of the second played

        await caller_starts_talking(fake_deepgram, "wait, hold on")
        await phone.wait_for(lambda: phone.events("clear"), what="clear")
        cleared_at = len(phone.frames)
        assert REGISTRY.get_sample_value("dealership_barge_in_seconds_count") == barge_ins + 1  # /metrics
        await fake_openai.await_for(lambda: fake_openai.abandoned_streams == 1)
        await asyncio.sleep(0.3)
        assert not [f for f in phone.frames[cleared_at:] if f["event"] == "media"]

        phone.echo_marks = True
        await caller_says(fake_deepgram, "Wait, hold on, what time do you close on Saturday?")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 2)
        await phone.played_out("Sure, go ahead.")
    finally:
        await phone.hang_up()

    heard = f"{FIRST} Sentence two—"
    assert agent_lines(fake_openai.requests[1])[-1] == heard  # the model is told only what was heard
    assert all("longer" not in line for line in agent_lines(fake_openai.requests[1]))
    _greeting, cut, answer = await agent_turns(call)
    assert cut.interrupted and cut.heard_text == heard
    assert SECOND in cut.text
    assert not answer.interrupted and answer.text == "Sure, go ahead."


async def test_a_backchannel_does_not_interrupt_the_agent(call, fake_deepgram, fake_openai):
    fake_openai.script = [TextReply(f"{FIRST} {SECOND}")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        await caller_says(fake_deepgram, "Tell me about your hours.")
        await phone.wait_for(lambda: phone.heard(SECOND), what="the reply sent")

        await caller_says(fake_deepgram, "uh-huh")
        await asyncio.sleep(0.3)
        assert not phone.events("clear")
        await phone.release_marks()
        await phone.played_out(SECOND)
    finally:
        await phone.hang_up()

    assert not phone.events("clear")
    assert len(fake_openai.requests) == 1  # "uh-huh" to a statement needs no answer
    assert spoken(fake_deepgram)[1:] == [FIRST, SECOND]
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [(t.role, t.text, t.interrupted) for t in turns[1:]] == [
        ("caller", "Tell me about your hours.", False),
        ("agent", f"{FIRST} {SECOND}", False),
        ("caller", "uh-huh", False),
    ]


async def test_a_yes_said_as_the_agent_finishes_a_question_is_answered(call, fake_deepgram, fake_openai):
    fake_openai.script = [TextReply("Would Monday work for you?"), TextReply("Great.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        await caller_says(fake_deepgram, "I need an oil change.")
        await phone.wait_for(lambda: phone.heard("Would Monday work for you?"))

        await caller_says(fake_deepgram, "yeah")
        await asyncio.sleep(0.2)
        assert len(fake_openai.requests) == 1 and not phone.events("clear")
        await phone.release_marks()
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 2)
    finally:
        await phone.hang_up()

    assert fake_openai.requests[1]["messages"][-1] == {"role": "user", "content": "yeah"}


async def test_a_booking_the_caller_talks_over_still_completes(
    call, customer, slot, fake_deepgram, fake_openai
):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}
    fake_openai.script = [
        ToolCallReply([ToolCall("schedule_appointment", booking)], text="Okay, booking that now."),
        TextReply("You're booked for the oil change."),
    ]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        with day_locked(slot["date"]) as release:
            await caller_says(fake_deepgram, "Please book the first slot.")
            await phone.wait_for(lambda: phone.heard("Okay, booking that now."))
            await caller_starts_talking(fake_deepgram, "actually hang on")  # while the booking waits
            await phone.wait_for(lambda: phone.events("clear"))
            phone.echo_marks = True
            await caller_says(fake_deepgram, "Actually, is that in the morning?")
            await asyncio.sleep(0.3)
            assert len(fake_openai.requests) == 1  # the next request waits for the booking's result
            release.set()
            await fake_openai.await_for(lambda: len(fake_openai.requests) == 2, within=10)
        await phone.wait_for(lambda: phone.heard("You're booked for the oil change."))
    finally:
        await phone.hang_up()

    appointment = await database_sync_to_async(Appointment.objects.get)()
    assert appointment.start == datetime.fromisoformat(slot["start"])
    messages = fake_openai.requests[1]["messages"]
    calls = [m for m in messages if m.get("tool_calls")]
    assert calls[-1]["tool_calls"][0]["function"]["name"] == "schedule_appointment"
    result = next(m for m in messages if m["role"] == "tool")
    assert json.loads(result["content"])["appointment_id"] == appointment.pk
    assert messages[-1] == {"role": "user", "content": "Actually, is that in the morning?"}
    tools = await database_sync_to_async(
        lambda: list(ToolCallRecord.objects.values_list("name", "success"))
    )()
    assert tools == [("schedule_appointment", True)]
