"""Speculative replies on the cascade: the model starts when the caller has probably finished (their
words so far, then silence), and its reply is heard only once the final transcript confirms the turn.
"""

import asyncio
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Appointment
from tests.calls import (
    FakePhone,
    caller_goes_on,
    caller_lines,
    caller_pauses_after,
    caller_starts_talking,
    final_transcript,
    greeted,
    last_message,
    last_tool_result,
    spoken,
)
from tests.fakes.deepgram_messages import results_message, speech_started_message
from tests.fakes.fake_openai import TextReply, ToolCall, ToolCallReply
from voice.models import ToolCall as ToolCallRecord
from voice.models import Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]


async def turns(call) -> list[tuple[str, str]]:
    return await database_sync_to_async(
        lambda: [(t.role, t.text) for t in Turn.objects.filter(call=call)][1:]  # after the greeting
    )()


def answers(**by_words: str):
    """The model: answers the caller's last words (`by_words`: last words -> reply)."""

    def reply(request):
        said = last_message(request)["content"]
        return TextReply(by_words.get(said, f"You said: {said}"))

    return reply


async def test_a_confirmed_speculative_reply_is_heard_with_no_second_request(
    call, fake_deepgram, fake_openai
):
    fake_openai.script = [TextReply("Sure, I can help with that.")]
    phone = await FakePhone.dial(call)
    try:
        greeting = await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "I need an oil change.")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)  # asked before the final
        await asyncio.sleep(0.3)
        assert spoken(fake_deepgram) == [greeting]  # held: nothing said for an unconfirmed turn

        await final_transcript(fake_deepgram, "I need an oil change.")
        await phone.played_out("Sure, I can help with that.")
    finally:
        await phone.hang_up()

    assert len(fake_openai.requests) == 1
    assert caller_lines(fake_openai.requests[0]) == ["I need an oil change."]
    assert spoken(fake_deepgram)[1:] == ["Sure,", "I can help with that."]  # first clause first
    assert await turns(call) == [
        ("caller", "I need an oil change."),
        ("agent", "Sure, I can help with that."),
    ]


async def test_a_speculation_the_final_contradicts_is_never_heard(call, fake_deepgram, fake_openai):
    fake_openai.script = answers(
        **{"I need an oil": "Wrong guess.", "I need an oil change.": "Right answer."}
    )
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "I need an oil")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await final_transcript(fake_deepgram, "I need an oil change.")
        await phone.played_out("Right answer.")
    finally:
        await phone.hang_up()

    assert not phone.heard("Wrong guess.")
    assert "Wrong guess." not in spoken(fake_deepgram)
    assert len(fake_openai.requests) == 2
    assert caller_lines(fake_openai.requests[1]) == ["I need an oil change."]  # the guess left no trace
    assert await turns(call) == [("caller", "I need an oil change."), ("agent", "Right answer.")]


async def test_a_caller_who_keeps_talking_discards_the_speculation(call, fake_deepgram, fake_openai):
    full = "I need an oil change for my truck."
    fake_openai.script = answers(**{"I need an oil change": "Wrong guess.", full: "For the truck, sure."})
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "I need an oil change")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await caller_goes_on(phone, fake_deepgram, full)  # speaks again before any final
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 2)  # asked again on the new words
        await final_transcript(fake_deepgram, full)
        await phone.played_out("For the truck, sure.")
    finally:
        await phone.hang_up()

    assert not phone.heard("Wrong guess.")
    assert [caller_lines(r) for r in fake_openai.requests] == [["I need an oil change"], [full]]
    assert await turns(call) == [("caller", full), ("agent", "For the truck, sure.")]


async def test_a_speculative_booking_waits_for_the_confirmed_turn_and_books_once(
    call, customer, slot, fake_deepgram, fake_openai
):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}

    def model(request):
        if last_tool_result(request) is not None:
            return TextReply("You're booked.")
        return ToolCallReply([ToolCall("schedule_appointment", booking)])

    fake_openai.script = model
    count = database_sync_to_async(lambda: Appointment.objects.count())
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "Book the first slot.")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await asyncio.sleep(0.4)
        assert await count() == 0  # the model asked to book; nothing runs before the turn is confirmed

        await final_transcript(fake_deepgram, "Book the first slot.")
        await phone.played_out("You're booked.")
    finally:
        await phone.hang_up()

    appointment = await database_sync_to_async(Appointment.objects.get)()
    assert appointment.start == datetime.fromisoformat(slot["start"])
    assert len(fake_openai.requests) == 2  # the speculative request, then the one with the result
    tools = await database_sync_to_async(
        lambda: list(ToolCallRecord.objects.values_list("name", flat=True))
    )()
    assert tools == ["schedule_appointment"]


async def test_a_speculative_booking_for_words_the_caller_did_not_finish_never_runs(
    call, customer, slot, fake_deepgram, fake_openai
):
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}

    def model(request):
        if last_message(request)["content"] == "Book the first":
            return ToolCallReply([ToolCall("schedule_appointment", booking)])
        return TextReply("Which service would you like?")

    fake_openai.script = model
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "Book the first")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await final_transcript(fake_deepgram, "Book the first thing you can find, no wait, don't.")
        await phone.played_out("Which service would you like?")
    finally:
        await phone.hang_up()

    assert await database_sync_to_async(Appointment.objects.count)() == 0
    assert await database_sync_to_async(ToolCallRecord.objects.count)() == 0


async def test_barge_in_still_stops_a_reply_that_began_as_a_speculation(call, fake_deepgram, fake_openai):
    first, second = "Sentence one is here.", "Sentence two is longer than the first one."
    fake_openai.script = [TextReply(f"{first} {second}"), TextReply("Sure, go ahead.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False  # the agent's audio keeps "playing"
        await caller_pauses_after(phone, fake_deepgram, "Tell me about your hours.")
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await final_transcript(fake_deepgram, "Tell me about your hours.")
        await phone.wait_for(lambda: phone.heard(second) and len(phone.held_marks) == 12)
        await phone.release_marks(6)  # the first sentence and a quarter of the second played

        await caller_starts_talking(fake_deepgram, "wait, hold on")
        await phone.wait_for(lambda: phone.events("clear"), what="clear")
        phone.echo_marks = True
        await caller_pauses_after(phone, fake_deepgram, "What time do you close?")
        await final_transcript(fake_deepgram, "What time do you close?")
        await phone.played_out("Sure, go ahead.")
    finally:
        await phone.hang_up()

    assert len(fake_openai.requests) == 2
    agent = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call, role="agent")))()
    assert agent[1].interrupted and agent[1].heard_text == f"{first} Sentence two—"
    assert agent[2].text == "Sure, go ahead."


def finalizes(fake_deepgram) -> int:
    return sum(session.controls.count("Finalize") for session in list(fake_deepgram.listen_sessions))


async def test_going_quiet_asks_for_the_final_and_it_restarts_the_reply_before_endpointing(
    call, fake_deepgram, fake_openai
):
    final = "I need an oil change for the truck."
    fake_openai.script = answers(**{"I need an oil change": "Wrong guess.", final: "Right answer."})
    fake_deepgram.finalize_transcript = final  # what Deepgram makes final of the audio so far
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "I need an oil change")
        await fake_deepgram.await_for(lambda: finalizes(fake_deepgram) == 1)
        # The final words reach the model before any endpointing (no speech_final was sent).
        await fake_openai.await_for(lambda: [final] in [caller_lines(r) for r in fake_openai.requests])
        await asyncio.sleep(0.2)
        assert spoken(fake_deepgram)[1:] == []  # still held: the turn is not confirmed yet

        await asyncio.to_thread(fake_deepgram.emit, results_message(""))  # endpointing: nothing new
        await phone.played_out("Right answer.")
    finally:
        await phone.hang_up()

    assert not phone.heard("Wrong guess.")
    asked = [caller_lines(r) for r in fake_openai.requests]
    assert asked.count([final]) == 1  # confirmed as it was: no second request for the final words
    assert set(map(tuple, asked)) <= {("I need an oil change",), (final,)}
    assert finalizes(fake_deepgram) == 1  # once per pause, not per quiet audio batch
    assert await turns(call) == [("caller", final), ("agent", "Right answer.")]


async def test_a_finalized_turn_deepgram_never_ends_is_answered_anyway(call, fake_deepgram, fake_openai):
    fake_openai.script = lambda request: TextReply("We close at six.")
    fake_deepgram.finalize_transcript = "What time do you close?"
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "What time do you close")
        # No speech_final and no UtteranceEnd ever come: the finalized turn ends after a short quiet.
        await phone.played_out("We close at six.")
    finally:
        await phone.hang_up()

    assert await turns(call) == [("caller", "What time do you close?"), ("agent", "We close at six.")]


async def test_a_caller_who_goes_on_after_the_final_is_not_cut_off(call, fake_deepgram, fake_openai):
    first, full = "I need an oil change.", "I need an oil change. And new wipers."
    fake_openai.script = answers(**{first: "Wrong guess.", full: "Both, sure."})
    fake_deepgram.finalize_transcript = first
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "I need an oil change")
        await fake_deepgram.await_for(lambda: finalizes(fake_deepgram) == 1)
        fake_deepgram.finalize_transcript = ""
        await caller_goes_on(phone, fake_deepgram, "And new wipers.")
        await asyncio.sleep(0.8)  # longer than a finalized turn waits for its endpointing
        assert spoken(fake_deepgram)[1:] == []
        await final_transcript(fake_deepgram, "And new wipers.")
        await phone.played_out("Both, sure.")
    finally:
        await phone.hang_up()

    assert not phone.heard("Wrong guess.")
    assert await turns(call) == [("caller", full), ("agent", "Both, sure.")]


async def test_a_caller_deepgram_still_hears_is_not_cut_off_after_a_final(call, fake_deepgram, fake_openai):
    """Soft speech (a speakerphone across the car) can look quiet to our loudness check while Deepgram's
    own voice detection hears it: its SpeechStarted keeps the finalized turn open."""
    full = "I need an oil change for my truck"
    fake_openai.script = answers(**{full: "For the truck, sure."})
    fake_deepgram.finalize_transcript = "I need an oil change"
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "I need an oil change")
        await fake_deepgram.await_for(lambda: finalizes(fake_deepgram) == 1)
        await asyncio.to_thread(fake_deepgram.emit, speech_started_message())  # audio still quiet to us
        await asyncio.sleep(0.8)  # longer than a finalized turn waits for its endpointing
        assert spoken(fake_deepgram)[1:] == []
        await final_transcript(fake_deepgram, "for my truck")
        await phone.played_out("For the truck, sure.")
    finally:
        await phone.hang_up()

    assert await turns(call) == [("caller", full), ("agent", "For the truck, sure.")]


async def test_a_finalized_turn_ending_in_digits_waits_like_a_number_then_is_answered(
    call, fake_deepgram, fake_openai
):
    fake_openai.script = lambda request: TextReply("Thanks, you're verified.")
    fake_deepgram.finalize_transcript = "It's 60614"
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_pauses_after(phone, fake_deepgram, "It's 60614")
        await fake_deepgram.await_for(lambda: finalizes(fake_deepgram) == 1)
        await asyncio.sleep(1.0)
        assert spoken(fake_deepgram)[1:] == []  # held: callers pause between digit groups
        # No speech_final and no UtteranceEnd: the hold ends it (digits_hold), never silence for good.
        await phone.played_out("Thanks, you're verified.")
    finally:
        await phone.hang_up()

    assert await turns(call) == [("caller", "It's 60614"), ("agent", "Thanks, you're verified.")]
