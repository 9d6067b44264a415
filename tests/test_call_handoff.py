"""Ending a live call: transfer and hang-up once the last sentence is heard, messages for advisors."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from tests.calls import (
    FakePhone,
    caller_says,
    caller_starts_talking,
    greeted,
    last_message,
    last_tool_result,
)
from tests.fakes.fake_openai import TextReply, ToolCall, ToolCallReply, tool_reply
from voice.agent.lines import line
from voice.models import Call, CallbackRequest

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live", "open_around_the_clock"),
]

ADVISOR = "+13125550199"


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


def transfer_brain(request):
    result = last_tool_result(request)
    if result is None and "person" in last_message(request)["content"]:
        return tool_reply("transfer_to_human", {"reason": "asked for a person"})
    if result is None and "never mind" in last_message(request)["content"]:
        return TextReply("No problem.")
    return TextReply("Sure, I'll transfer you now.")


async def outcome(call) -> str:
    return (await database_sync_to_async(Call.objects.get)(pk=call.pk)).outcome


async def test_a_transfer_dials_the_advisor_after_the_last_sentence_is_heard(
    settings, call, fake_deepgram, fake_openai, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_openai.script = transfer_brain
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        await caller_says(fake_deepgram, "Can I talk to a real person please?")
        await phone.wait_for(lambda: phone.heard("Sure, I'll transfer you now."))
        await asyncio.sleep(0.3)
        assert not call_updates(fake_twilio, call)  # not while the sentence is still playing

        await phone.release_marks()
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    twiml = call_updates(fake_twilio, call)[0].value("Twiml")
    assert "<Dial" in twiml and f"<Number>{ADVISOR}</Number>" in twiml
    assert await outcome(call) == Call.Outcome.TRANSFERRED
    note = fake_openai.requests[0]["messages"][-1]
    assert note == {
        "role": "system",
        "content": "The caller asked for a person or sounds upset: offer to transfer them.",
    }


@pytest.mark.parametrize("cut_after", ["Sure,", "Sure, I'll transfer you now."])
async def test_no_transfer_when_the_caller_interrupts_the_last_sentence(
    settings, cut_after, call, fake_deepgram, fake_openai, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_openai.script = transfer_brain
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        await caller_says(fake_deepgram, "Can I talk to a real person please?")
        await phone.wait_for(lambda: phone.heard(cut_after))  # mid-sentence, or all of it sent

        await caller_starts_talking(fake_deepgram, "oh no wait")
        await phone.wait_for(lambda: phone.events("clear"))
        phone.echo_marks = True
        await caller_says(fake_deepgram, "Actually never mind, I can wait.")
        await phone.wait_for(lambda: phone.heard("No problem.") and phone.all_heard)
        await asyncio.sleep(0.3)
    finally:
        await phone.hang_up()

    assert not call_updates(fake_twilio, call)
    assert await outcome(call) != Call.Outcome.TRANSFERRED


async def test_end_call_hangs_up_after_the_goodbye_is_heard(call, fake_deepgram, fake_openai, fake_twilio):
    fake_openai.script = [tool_reply("end_call"), TextReply("Thanks for calling, goodbye!")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        await caller_says(fake_deepgram, "That's everything, thanks.")
        await phone.wait_for(lambda: phone.heard("Thanks for calling, goodbye!"))
        await asyncio.sleep(0.3)
        assert not call_updates(fake_twilio, call)

        await phone.release_marks()
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"


async def test_without_a_transfer_number_a_message_is_taken_for_an_advisor(
    call, customer, fake_deepgram, fake_openai, fake_twilio
):
    def brain(request):
        result = last_tool_result(request)
        if result is None and "someone" in last_message(request)["content"]:
            return tool_reply("transfer_to_human", {"reason": "wants a quote"})
        if result is None:
            return tool_reply("transfer_to_human", {"reason": "Sam Jones: call back about a brake quote"})
        if result[1].get("action") == "take_message":
            return TextReply("Nobody is free right now. Can I take your name and a message?")
        if result[1].get("action") == "message_taken":
            goodbye = "Thanks Sam, an advisor will call you back. Goodbye!"
            return ToolCallReply([ToolCall("end_call", {})], text=goodbye)
        return TextReply("")

    fake_openai.script = brain
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "Can I speak to someone about a quote?")
        await phone.played_out("Nobody is free right now. Can I take your name and a message?")
        await caller_says(fake_deepgram, "It's Sam Jones, please call me about a brake quote.")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert (message.name, message.reason) == ("Sam Jones", "call back about a brake quote")
    assert message.phone == customer.phone and message.call_id == call.pk and not message.handled
    assert await outcome(call) == Call.Outcome.MESSAGE_TAKEN
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"
    offer = [m for m in fake_openai.requests[1]["messages"] if m["role"] == "tool"][-1]
    assert "name and a short message" in offer["content"]
    assert fake_openai.requests[0]["messages"][-1]["content"].endswith(
        "offer to take a message for an advisor."
    )


async def test_a_message_is_left_even_if_the_caller_hangs_up_before_giving_it(
    call, fake_deepgram, fake_openai
):
    fake_openai.script = [
        tool_reply("transfer_to_human", {"reason": "billing question"}),
        TextReply("Nobody is free right now. Can I take a message?"),
    ]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "I have a question about my bill.")
        await phone.wait_for(lambda: phone.heard("Can I take a message?"))
    finally:
        await phone.hang_up()

    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert message.call_id == call.pk
    assert "billing question" in message.reason


async def test_words_said_while_being_handed_over_are_kept_and_an_objection_there_still_counts(
    settings, call, fake_deepgram, fake_openai, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_openai.script = []  # the model fails: an apology, then the transfer (hand-off mode)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        phone.echo_marks = False
        await caller_says(fake_deepgram, "I need an oil change.")
        await phone.wait_for(lambda: phone.heard(line("apology")), what="the apology playing")
        await caller_says(fake_deepgram, "Fine, but don't record me.")
        await asyncio.sleep(0.3)
    finally:
        await phone.hang_up()

    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert record.recording_consent == Call.RecordingConsent.DECLINED
    said = await database_sync_to_async(
        lambda: list(record.turns.filter(role="caller").values_list("text", flat=True))
    )()
    assert said == ["I need an oil change.", "Fine, but don't record me."]
