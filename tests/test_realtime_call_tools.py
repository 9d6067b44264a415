"""Function calls on the realtime engine: the round trip through the tools registry, and the call-only
tools (transfer, end the call) carried out once the last words were heard."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from scheduling.selectors import availability_find
from tests.calls import FakePhone
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import Brain, caller_says, finished, greeted
from voice.models import Call, ToolCall, Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_live", "open_around_the_clock"),
]

ADVISOR = "+13125550199"


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


def tool_then(call: CallFunction, after) -> Brain:
    """The model calls `call` on the caller's turn, then says `after(result)`."""

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            return call
        return Say(after(json.loads(session.function_outputs[-1]["output"])))

    return Brain(answer)


async def test_a_function_call_runs_through_the_registry_and_its_result_goes_back(
    call, fake_realtime, shop, catalog
):
    lookup = CallFunction("check_availability", {"service_type": "oil_change"}, call_id="call_lookup1")
    brain = fake_realtime.on_response_create = tool_then(
        lookup, lambda r: f"I have {r['slots'][0]['spoken']}."
    )
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await caller_says(fake_realtime, "When can you do an oil change?")
        await finished(fake_realtime, 3)
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    session = fake_realtime.session
    [output] = session.function_outputs
    assert output["call_id"] == "call_lookup1"
    result = json.loads(output["output"])
    expected = await database_sync_to_async(
        lambda: availability_find(service_code="oil_change", limit=1).as_dicts()[0]
    )()
    assert result["available"] is True and result["slots"][0]["start"] == expected["start"]
    # The result first, then one request to go on; the model was asked while the server held back.
    types = session.event_types
    assert types.index("conversation.item.create") < len(types) - 1 - types[::-1].index("response.create")
    assert brain.triggers[-1]["type"] == "response.create"
    assert brain.detections[-1]["create_response"] is False  # held while the tool ran...
    assert session.turn_detection["create_response"] is True  # ...and released after
    assert not session.errors_sent
    [record] = await database_sync_to_async(lambda: list(ToolCall.objects.filter(call=call)))()
    assert record.name == "check_availability" and record.success and record.duration_ms is not None
    assert record.arguments == {"service_type": "oil_change"}
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call, role="agent")))()
    assert turns[-1].text == f"I have {expected['spoken']}."


async def test_bad_arguments_go_back_to_the_model_as_an_error_and_the_call_goes_on(call, fake_realtime):
    broken = CallFunction("check_availability", '{"service_type": ', call_id="call_bad")
    fake_realtime.on_response_create = tool_then(broken, lambda r: "Sorry, which service was that?")
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await caller_says(fake_realtime, "I need something.")
        await finished(fake_realtime, 3)
    finally:
        await phone.hang_up()

    [output] = fake_realtime.session.function_outputs
    result = json.loads(output["output"])
    assert result["success"] is False and result["error"]
    [record] = await database_sync_to_async(lambda: list(ToolCall.objects.filter(call=call)))()
    assert not record.success


async def test_a_transfer_dials_the_advisor_after_the_last_words_are_heard(
    settings, call, fake_realtime, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    transfer = CallFunction("transfer_to_human", {"reason": "asked for a person"})
    fake_realtime.on_response_create = tool_then(transfer, lambda r: "Sure, I'll transfer you now.")
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        phone.echo_marks = False
        await caller_says(fake_realtime, "Can I talk to a real person please?")
        await finished(fake_realtime, 3)
        await asyncio.sleep(0.3)
        assert not call_updates(fake_twilio, call)  # not while the last words are still playing

        await phone.release_marks()
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    twiml = call_updates(fake_twilio, call)[0].value("Twiml")
    assert "<Dial" in twiml and f"<Number>{ADVISOR}</Number>" in twiml
    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert record.outcome == Call.Outcome.TRANSFERRED
    # The caller's wish reached the model as a note too (the transcript arrived with the turn).
    notes = [
        e["item"]
        for e in fake_realtime.session.of_type("conversation.item.create")
        if e["item"]["type"] == "message"
    ]
    assert notes[0]["role"] == "system" and "offer to transfer them" in notes[0]["content"][0]["text"]


async def test_end_call_hangs_up_after_the_goodbye_is_heard(call, fake_realtime, fake_twilio):
    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            return [Say("Thanks for calling, goodbye."), CallFunction("end_call")]
        return None  # nothing more to say

    fake_realtime.on_response_create = Brain(answer)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        phone.echo_marks = False
        await caller_says(fake_realtime, "That's all, thanks.")
        await finished(fake_realtime, 3)
        await asyncio.sleep(0.3)
        assert not call_updates(fake_twilio, call)

        await phone.release_marks()
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call))
    finally:
        await phone.hang_up()

    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"


async def test_an_interrupted_goodbye_does_not_hang_up(call, fake_realtime, fake_twilio):
    caller_turns = []

    def answer(session, event):
        if event["type"] == "response.create":  # after end_call's result
            return Say("Thanks for calling, have a great day and drive safely out there.", ms_per_word=200)
        caller_turns.append(event)
        return CallFunction("end_call") if len(caller_turns) == 1 else Say("Of course, what else?")

    fake_realtime.on_response_create = Brain(answer)
    fake_realtime.chunk_interval = 0.01
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        phone.echo_marks = False
        await caller_says(fake_realtime, "That's all.")
        await phone.wait_for(lambda: len(phone.held_marks) >= 2, what="goodbye playing")
        await caller_says(fake_realtime, "Oh wait, one more thing.")
        await phone.wait_for(lambda: phone.events("clear"))
        phone.echo_marks = True
        await finished(fake_realtime, 4)
        await asyncio.sleep(0.3)
    finally:
        await phone.hang_up()

    assert not call_updates(fake_twilio, call)
