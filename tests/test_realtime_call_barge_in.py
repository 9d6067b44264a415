"""Barge-in on the realtime engine: Twilio `clear`, the response cancelled, the model's item truncated
to what the caller heard; a booking the caller talks over still completes."""

import asyncio
import json
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Appointment
from tests.calls import FakePhone, day_locked
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import (
    Brain,
    caller_says,
    finished,
    greeted,
)
from voice.models import ToolCall, Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_live"),
]

WORDS = "Monday through Friday we open at seven and close at six, Saturdays eight to noon."
WORD_BYTES = 1600  # 200 ms of µ-law per word


def media_after(phone, index: int) -> list:
    return [f for f in phone.frames[index:] if f["event"] == "media"]


async def test_caller_speech_clears_twilio_and_truncates_the_item_to_what_was_heard(call, fake_realtime):
    answers = [Say(WORDS, ms_per_word=200), Say("We close at noon on Saturday.")]
    fake_realtime.on_response_create = Brain(lambda session, event: answers.pop(0))
    fake_realtime.chunk_interval = 0.01  # twice real time: the caller can cut in mid-stream
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        session = fake_realtime.session
        phone.echo_marks = False  # from here on the agent's audio is still "playing"
        greeting = phone.media_bytes
        await caller_says(fake_realtime, "What are your hours?")
        await phone.wait_for(lambda: phone.media_bytes - greeting >= 3 * WORD_BYTES, what="three words sent")
        await phone.release_marks(2)  # 200 ms of the answer was heard
        answer = session.responses[-1]

        caller_item = await asyncio.to_thread(fake_realtime.speech_started, session.audio_bytes // 8)
        await phone.wait_for(lambda: phone.events("clear"), what="clear")
        cleared_at = next(i for i, f in enumerate(phone.frames) if f["event"] == "clear")
        await fake_realtime.await_for(lambda: session.truncates and answer.finished)
        await asyncio.sleep(0.3)
        assert not media_after(phone, cleared_at)  # nothing of the cut answer plays after the clear

        phone.echo_marks = True
        await asyncio.to_thread(fake_realtime.speech_stopped, session.audio_bytes // 8, item_id=caller_item)
        await asyncio.to_thread(
            fake_realtime.caller_transcript, "When do you close Saturday?", item_id=caller_item
        )
        await finished(fake_realtime, 3)
        await phone.wait_for(lambda: phone.all_heard and media_after(phone, cleared_at))
    finally:
        await phone.hang_up()

    item_id = answer.item_ids[0]
    assert (answer.status, answer.reason) == ("cancelled", "turn_detected")
    [truncate] = session.truncates
    assert truncate["item_id"] == item_id
    assert truncate["audio_end_ms"] == 200  # what the marks said was heard...
    assert truncate["audio_end_ms"] <= session.items_audio_ms[item_id]  # ...within what was generated
    assert not session.errors_sent
    # The server's turn detection cancelled its own response: no redundant cancel was sent.
    assert "response.cancel" not in session.event_types

    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [(t.role, t.interrupted) for t in turns] == [
        ("agent", False),
        ("caller", False),
        ("agent", True),
        ("caller", False),
        ("agent", False),
    ]
    cut = turns[2]
    assert WORDS.startswith(cut.text) and cut.text != WORDS  # the generated part
    assert cut.heard_text == "Monday—"  # 200 ms heard of ≥ 3 words: one word
    assert turns[3].text == "When do you close Saturday?"
    assert turns[4].text == "We close at noon on Saturday."


async def test_a_greeting_is_not_cut_by_the_caller(call, fake_realtime):
    brain = fake_realtime.on_response_create = Brain(lambda session, event: Say("How can I help?"))
    brain.ms_per_word = 200
    fake_realtime.chunk_interval = 0.01
    phone = await FakePhone.dial(call, echo_marks=False)
    try:
        await fake_realtime.await_for(lambda: fake_realtime.sessions and fake_realtime.session.responses)
        session = fake_realtime.session
        await phone.wait_for(lambda: phone.media_bytes >= 2 * 1600, what="the greeting under way")
        caller_item = await asyncio.to_thread(fake_realtime.speech_started, 0)
        await asyncio.to_thread(fake_realtime.speech_stopped, 900, item_id=caller_item)
        await asyncio.to_thread(fake_realtime.caller_transcript, "Hello? Hi!", item_id=caller_item)
        await fake_realtime.await_for(lambda: session.responses[0].finished)
        await asyncio.sleep(0.2)
        assert not phone.events("clear")

        await phone.release_marks()
        phone.echo_marks = True
        await finished(fake_realtime, 2)  # the engine answers what the caller said
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    greeting, _answer = session.responses
    assert greeting.status == "completed"  # all of the disclosure was said...
    assert phone.media_bytes == sum(session.items_audio_ms.values()) * 8  # ...and sent, then the answer
    assert not session.truncates and "response.cancel" not in session.event_types
    assert brain.triggers[1]["type"] == "response.create"  # the server did not answer over it
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [(t.role, t.text, t.interrupted) for t in turns] == [
        ("agent", brain.lines[0], False),
        ("caller", "Hello? Hi!", False),
        ("agent", "How can I help?", False),
    ]


async def test_a_booking_the_caller_talks_over_still_completes(call, customer, slot, fake_realtime):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}
    seen_results: list[list] = []

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            return [
                CallFunction("schedule_appointment", booking),
                Say("Okay, booking that now.", ms_per_word=300),
            ]
        seen_results.append(list(session.function_outputs))
        return Say("You're booked for the oil change, and yes, that's in the morning.")

    fake_realtime.on_response_create = Brain(answer)
    fake_realtime.chunk_interval = 0.01
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        session = fake_realtime.session
        phone.echo_marks = False
        greeting = phone.media_bytes
        with day_locked(slot["date"]) as release:
            await caller_says(fake_realtime, "Please book the first slot.")
            await phone.wait_for(lambda: phone.media_bytes - greeting >= 3200, what="'okay, booking' playing")
            caller_item = await asyncio.to_thread(fake_realtime.speech_started, session.audio_bytes // 8)
            await phone.wait_for(lambda: phone.events("clear"))
            phone.echo_marks = True
            await asyncio.to_thread(
                fake_realtime.speech_stopped, session.audio_bytes // 8, item_id=caller_item
            )
            await asyncio.to_thread(
                fake_realtime.caller_transcript, "Actually, is that in the morning?", item_id=caller_item
            )
            await asyncio.sleep(0.4)
            assert len(session.responses) == 2  # nobody answers before the booking's result is in
            release.set()
            await finished(fake_realtime, 3, within=10)
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    appointment = await database_sync_to_async(Appointment.objects.get)()
    assert appointment.start == datetime.fromisoformat(slot["start"])
    assert session.responses[1].status == "cancelled"  # the barge-in cut the response...
    [output] = session.function_outputs  # ...but not the booking, whose result went back
    assert json.loads(output["output"])["appointment_id"] == appointment.pk
    assert seen_results == [[output]]  # the one answer came after the result
    assert not session.errors_sent
    tools = await database_sync_to_async(lambda: list(ToolCall.objects.values_list("name", "success")))()
    assert tools == [("schedule_appointment", True)]
