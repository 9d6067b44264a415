"""The realtime provider failing mid-call never leaves the caller in silence: a dropped socket is
replaced once (seeded with the conversation so far), else Twilio apologises and transfers the call
or takes a message."""

import asyncio
import dataclasses
import json
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Appointment
from scheduling.selectors import availability_find
from tests.calls import FakePhone, day_locked
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import (
    Brain,
    caller_says,
    connected,
    finished,
    greeted,
)
from voice.engines.realtime import RealtimeEngine
from voice.engines.realtime.recovery import RESUME
from voice.models import Call, CallbackRequest, ToolCall, Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_live"),
]

ADVISOR = "+13125550199"


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def saved(call) -> Call:
    return await database_sync_to_async(Call.objects.get)(pk=call.pk)


def lookup_brain() -> Brain:
    caller_turns = []

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            caller_turns.append(event)
        if len(caller_turns) == 1 and event["type"] == "input_audio_buffer.committed":
            return [Say("Let me check."), CallFunction("check_availability", {"service_type": "oil_change"})]
        if event["type"] == "response.create" and session.function_outputs:
            slot = json.loads(session.function_outputs[-1]["output"])["slots"][0]
            return Say(f"The earliest opening is {slot['spoken']}. Does that work?")
        return Say("Great, I'll note that.")

    return Brain(answer)


async def test_a_dropped_socket_is_replaced_and_the_conversation_goes_on(call, fake_realtime):
    brain = fake_realtime.on_response_create = lookup_brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await caller_says(fake_realtime, "I need an oil change.")
        await finished(fake_realtime, 3)
        await phone.wait_for(lambda: phone.all_heard)
        before_drop = len(phone.frames)

        fake_realtime.drop()
        await connected(fake_realtime, sessions=2)
        await finished(fake_realtime, 1)  # the new session apologises...
        await phone.wait_for(
            lambda: phone.all_heard and phone.events("media")[-1] in phone.frames[before_drop:]
        )

        await greeted_again(fake_realtime)
        await caller_says(fake_realtime, "Yes, that works.")  # ...and the call goes on
        await finished(fake_realtime, 2)
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    old, new = fake_realtime.sessions
    instructions = new.session_config["instructions"]
    assert instructions.startswith(old.session_config["instructions"])  # the same agent...
    summary = instructions[len(old.session_config["instructions"]) :]  # ...told what happened so far
    assert "Do not greet the caller again" in summary
    assert "Caller: I need an oil change." in summary
    assert "You used check_availability" in summary
    assert "You: The earliest opening is" in summary
    assert brain.lines[-1] == RESUME
    assert new.session_config["tools"] == old.session_config["tools"]
    assert "dropped" in (await saved(call)).last_error
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [(t.role, t.text) for t in turns][-3:] == [
        ("agent", RESUME),
        ("caller", "Yes, that works."),
        ("agent", "Great, I'll note that."),
    ]


async def greeted_again(fake_realtime) -> None:
    """The replacement session's apology is done and the server may answer the caller again."""
    session = fake_realtime.session
    await fake_realtime.await_for(lambda: (session.turn_detection or {}).get("create_response") is True)


async def test_a_drop_during_the_greeting_says_the_greeting_again(call, fake_realtime):
    brain = fake_realtime.on_response_create = Brain(ms_per_word=200)
    fake_realtime.chunk_interval = 0.01
    phone = await FakePhone.dial(call, echo_marks=False)
    try:
        await connected(fake_realtime)
        await phone.wait_for(lambda: phone.media_bytes >= 1600, what="the greeting under way")
        fake_realtime.drop()
        await connected(fake_realtime, sessions=2)
        phone.echo_marks = True
        await phone.release_marks()
        await finished(fake_realtime, 1, within=10)
        await phone.wait_for(lambda: phone.all_heard)
        await asyncio.sleep(0.2)
    finally:
        await phone.hang_up()

    assert len(brain.lines) == 2 and brain.lines[0] == brain.lines[1]
    assert brain.detections[-1]["interrupt_response"] is False  # still protected the second time
    assert (await saved(call)).recording_consent == Call.RecordingConsent.DISCLOSED


async def test_when_the_session_cannot_be_replaced_twilio_apologises_and_transfers(
    settings, call, fake_realtime, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        fake_realtime.api_key = "revoked"  # reconnecting is refused
        fake_realtime.drop()
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    twiml = call_updates(fake_twilio, call)[0].value("Twiml")
    assert "<Say>Sorry, I'm having trouble on this line." in twiml
    assert f"<Number>{ADVISOR}</Number>" in twiml
    record = await saved(call)
    assert record.outcome == Call.Outcome.TRANSFERRED
    assert "could not be reached again" in record.last_error
    assert fake_realtime.rejected_handshakes == 1


async def test_a_second_drop_gets_the_twilio_apology_and_a_message_for_advisors(
    call, customer, fake_realtime, fake_twilio
):
    fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        fake_realtime.drop()
        await connected(fake_realtime, sessions=2)
        await finished(fake_realtime, 1)
        await fake_realtime.await_for(lambda: fake_realtime.session.turn_detection["create_response"] is True)
        fake_realtime.expire()  # the server ends the new session too
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    twiml = call_updates(fake_twilio, call)[0].value("Twiml")
    assert "<Say>Sorry, I'm having trouble on this line." in twiml and "<Hangup/>" in twiml
    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert message.phone == customer.phone and "connection failed" in message.reason
    assert "maximum duration" in (await saved(call)).last_error
    assert len(fake_realtime.sessions) == 2


async def test_a_failed_response_gets_the_apology_and_a_transfer(settings, call, fake_realtime, fake_twilio):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        failed = {"type": "failed", "error": {"type": "server_error", "code": "internal_error"}}
        response = {"id": "resp_broken", "object": "realtime.response", "status": "failed", "output": []}
        await asyncio.to_thread(
            fake_realtime.emit,
            {"type": "response.created", "response": {**response, "status": "in_progress"}},
            {"type": "response.done", "response": {**response, "status_details": failed}},
        )
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert "<Dial" in call_updates(fake_twilio, call)[0].value("Twiml")
    assert "internal_error" in (await saved(call)).last_error


async def test_a_model_unreachable_at_the_start_gets_the_twilio_apology(
    settings, call, fake_realtime, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    fake_realtime.api_key = "revoked"
    phone = await FakePhone.dial(call)
    try:
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert "<Dial" in call_updates(fake_twilio, call)[0].value("Twiml")
    assert "could not be reached" in (await saved(call)).last_error


async def test_a_booking_running_when_the_line_drops_still_completes_and_the_new_session_learns_it(
    monkeypatch, call, customer, fake_realtime
):
    monkeypatch.setattr(
        RealtimeEngine, "timings", dataclasses.replace(RealtimeEngine.timings, resume_tool_wait=0.2)
    )
    slot = await database_sync_to_async(
        lambda: availability_find(service_code="oil_change", limit=1).as_dicts()[0]
    )()
    booking = {"customer_id": customer.pk, "service_type": "oil_change", "datetime": slot["start"]}

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            return CallFunction("schedule_appointment", booking)
        return None

    fake_realtime.on_response_create = Brain(answer)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        with day_locked(slot["date"]) as release:
            await caller_says(fake_realtime, "Book the first slot please.")
            await finished(fake_realtime, 2)  # the call is made; the booking waits for the lock
            fake_realtime.drop()
            await connected(fake_realtime, sessions=2)
            await finished(fake_realtime, 1)  # the apology on the new session
            release.set()
            new = fake_realtime.session
            await fake_realtime.await_for(lambda: new.of_type("conversation.item.create"), within=10)
    finally:
        await phone.hang_up()

    appointment = await database_sync_to_async(Appointment.objects.get)()
    assert appointment.start == datetime.fromisoformat(slot["start"])
    [note] = [e["item"] for e in new.of_type("conversation.item.create")]
    assert note["role"] == "system"
    text = note["content"][0]["text"]
    assert text.startswith("You used schedule_appointment:") and f'"appointment_id": {appointment.pk}' in text
    assert not fake_realtime.sessions[0].function_outputs  # never sent to the dead session
    tools = await database_sync_to_async(lambda: list(ToolCall.objects.values_list("name", "success")))()
    assert tools == [("schedule_appointment", True)]
    assert (await saved(call)).outcome == Call.Outcome.BOOKED
