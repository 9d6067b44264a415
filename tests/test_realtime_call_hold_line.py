"""The hold line on the realtime engine: a tool still running after `filler_after`, in a reply that
said nothing yet, gets "One moment while I check." (once), then the one answer after the result."""

import asyncio
import dataclasses
import json
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Appointment
from tests.calls import FakePhone, day_locked
from tests.fakes.fake_realtime import BYTES_PER_MS, CallFunction, Say
from tests.realtime_calls import (
    Brain,
    caller_says,
    finished,
    greeted,
    said,
)
from voice.agent.tooling import FILLER
from voice.engines.realtime import RealtimeEngine
from voice.models import ToolCall, Turn

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

BOOKED = "You're booked for the oil change."


@pytest.fixture(autouse=True)
def live(realtime_live, monkeypatch):
    monkeypatch.setattr(
        RealtimeEngine, "timings", dataclasses.replace(RealtimeEngine.timings, filler_after=0.3)
    )


def silent_call_then(call: CallFunction, after: str, answers: list[list]) -> Brain:
    """The model calls `call` on the caller's turn without a word, then says `after`; `answers`
    gets the function outputs the model had when it was asked to go on."""

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            return call
        answers.append(list(session.function_outputs))
        return Say(after)

    return Brain(answer)


def outputs_sent_while(fake_realtime, monkeypatch) -> list[list[bool]]:
    """For each function output the fake receives: which of its responses had finished then."""
    seen: list[list[bool]] = []
    handle = fake_realtime._handle

    async def recording(session, event):
        if (event.get("item") or {}).get("type") == "function_call_output":
            seen.append([response.finished for response in session.responses])
        await handle(session, event)

    monkeypatch.setattr(fake_realtime, "_handle", recording)
    return seen


async def agent_turns(call) -> list[tuple[str, bool]]:
    return await database_sync_to_async(
        lambda: list(Turn.objects.filter(call=call, role="agent").values_list("text", "interrupted"))
    )()


async def test_a_slow_booking_gets_the_hold_line_then_one_answer_after_the_result(
    monkeypatch, call, customer, slot, fake_realtime
):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}
    answers: list[list] = []
    brain = fake_realtime.on_response_create = silent_call_then(
        CallFunction("schedule_appointment", booking), BOOKED, answers
    )
    outputs_at = outputs_sent_while(fake_realtime, monkeypatch)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        session = fake_realtime.session
        fake_realtime.chunk_interval = 0.01  # the hold line takes a while to generate
        with day_locked(slot["date"]) as release:
            await caller_says(fake_realtime, "Please book the first slot.")
            await fake_realtime.await_for(lambda: FILLER in brain.lines, within=5)
            release.set()  # the booking finishes while the hold line is still being generated
            await finished(fake_realtime, 4, within=10)
        await phone.wait_for(lambda: phone.all_heard)
        await asyncio.sleep(0.5)  # time for a second hold line or answer, if there were one
    finally:
        await phone.hang_up()

    _greeting, _silent, hold, answer = session.responses
    assert [part.text for part in hold.parts] == [FILLER] and hold.status == "completed"
    assert brain.lines == [brain.lines[0], FILLER]  # the greeting, then the hold line once
    # The caller got every byte of the greeting, the hold line and the confirmation, and heard them.
    items = [item for response in session.responses for item in response.item_ids]
    assert phone.media_bytes == sum(session.items_audio_ms.get(item, 0) for item in items) * BYTES_PER_MS
    assert [part.text for part in answer.parts] == [BOOKED] and answer.status == "completed"
    appointment = await database_sync_to_async(Appointment.objects.get)()
    assert appointment.start == datetime.fromisoformat(slot["start"])
    [output] = session.function_outputs
    assert json.loads(output["output"])["appointment_id"] == appointment.pk
    assert outputs_at == [[True, True, True]]  # the result went back after the hold line was done
    assert answers == [[output]]  # exactly one answer, and it had the result
    assert not session.errors_sent
    assert await agent_turns(call) == [(brain.lines[0], False), (FILLER, False), (BOOKED, False)]
    latency = await database_sync_to_async(
        lambda: list(Turn.objects.filter(call=call, role="agent").values_list("response_ms", flat=True))
    )()
    assert latency[1] is not None and latency[2] is None  # the hold line answered the caller first


async def test_a_fast_tool_gets_no_hold_line(call, fake_realtime):
    lookup = CallFunction("check_availability", {"service_type": "oil_change"})
    answers: list[list] = []
    brain = fake_realtime.on_response_create = silent_call_then(lookup, "Monday morning is open.", answers)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await caller_says(fake_realtime, "When can you do an oil change?")
        await finished(fake_realtime, 3)
        await asyncio.sleep(0.6)  # past filler_after: a hold line would have been asked for by now
    finally:
        await phone.hang_up()

    session = fake_realtime.session
    assert len(session.responses) == 3
    assert brain.lines == [brain.lines[0]]  # only the greeting
    assert FILLER not in said(session)
    assert len(answers) == 1 and not session.errors_sent


async def test_a_slow_tool_after_words_gets_no_hold_line(call, customer, slot, fake_realtime):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}
    answers: list[list] = []
    speaking = [Say("Okay, booking that now."), CallFunction("schedule_appointment", booking)]
    brain = fake_realtime.on_response_create = silent_call_then(speaking, BOOKED, answers)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        with day_locked(slot["date"]) as release:
            await caller_says(fake_realtime, "Please book the first slot.")
            await finished(fake_realtime, 2)
            await asyncio.sleep(0.6)  # past filler_after, the booking still waiting
            release.set()
            await finished(fake_realtime, 3, within=10)
    finally:
        await phone.hang_up()

    assert brain.lines == [brain.lines[0]]
    assert len(fake_realtime.session.responses) == 3 and len(answers) == 1


async def test_talking_over_the_hold_line_cuts_it_but_not_the_booking(call, customer, slot, fake_realtime):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}
    answers: list[list] = []
    brain = fake_realtime.on_response_create = Brain()

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed" and not answers:
            answers.append([])
            return CallFunction("schedule_appointment", booking)
        answers.append(list(session.function_outputs))
        return Say("Yes, it's in the morning, and you're booked.")

    brain.answer = answer
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        session = fake_realtime.session
        fake_realtime.chunk_interval = 0.02  # the caller can cut in while the hold line streams
        phone.echo_marks = False
        with day_locked(slot["date"]) as release:
            await caller_says(fake_realtime, "Please book the first slot.")
            await fake_realtime.await_for(lambda: FILLER in brain.lines, within=5)
            greeting = len(phone.marks_sent())
            await phone.wait_for(lambda: len(phone.marks_sent()) - greeting >= 2, what="hold line playing")
            hold = session.responses[2]
            caller_item = await asyncio.to_thread(fake_realtime.speech_started, session.audio_bytes // 8)
            await phone.wait_for(lambda: phone.events("clear"))
            phone.echo_marks = True
            await asyncio.to_thread(
                fake_realtime.speech_stopped, session.audio_bytes // 8, item_id=caller_item
            )
            await asyncio.to_thread(
                fake_realtime.caller_transcript, "Is that in the morning?", item_id=caller_item
            )
            await asyncio.sleep(0.3)
            assert len(session.responses) == 3  # nobody answers before the booking's result is in
            release.set()
            await finished(fake_realtime, 4, within=10)
        await phone.wait_for(lambda: phone.all_heard)
        await asyncio.sleep(0.3)
    finally:
        await phone.hang_up()

    assert hold.status == "cancelled"
    assert [t["item_id"] for t in session.truncates] == hold.item_ids
    appointment = await database_sync_to_async(Appointment.objects.get)()
    assert appointment.start == datetime.fromisoformat(slot["start"])
    [output] = session.function_outputs
    assert answers[1:] == [[output]]  # one answer to both the booking and the question
    assert brain.lines.count(FILLER) == 1 and len(session.responses) == 4
    assert not session.errors_sent
    tools = await database_sync_to_async(lambda: list(ToolCall.objects.values_list("name", "success")))()
    assert tools == [("schedule_appointment", True)]
    turns = await agent_turns(call)
    text, interrupted = turns[1]
    assert text and FILLER.startswith(text) and interrupted  # recorded like any cut agent speech
