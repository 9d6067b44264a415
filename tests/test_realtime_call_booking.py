"""A whole call on the realtime engine: the caller books an oil change by voice.

Twilio is a fake phone on the real WebSocket (dealership.asgi); the model is FakeRealtime, reached
through the real openai SDK (RealtimeSession); the booking goes through the real tools and database.
"""

import json
from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Appointment
from scheduling.services import appointment_confirmation
from tests.calls import FakePhone
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import Brain, caller_says, finished, greeted
from voice.models import Call, ToolCall, Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_live"),
]


def booking_brain(customer, vehicle, offered: dict) -> Brain:
    """The model: look for a slot (saying so), offer it, book it when the caller agrees, read back
    the confirmation."""
    caller_turns: list[dict] = []

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":  # the server answers a caller turn
            caller_turns.append(event)
            if len(caller_turns) == 1:
                return [
                    Say("Let me check."),
                    CallFunction("check_availability", {"service_type": "oil_change"}),
                ]
            arguments = {
                "customer_id": customer.pk,
                "vehicle_id": vehicle.pk,
                "service_type": "oil_change",
                "datetime": offered["start"],
            }
            return CallFunction("schedule_appointment", arguments)
        result = json.loads(session.function_outputs[-1]["output"])  # asked to go on after a tool
        if "slots" in result:
            offered.update(result["slots"][0])
            return Say(f"The earliest opening is {offered['spoken']}. Shall I book that?")
        return Say(f"You're all set. {result['confirmation']}")

    return Brain(answer)


async def test_a_caller_books_an_appointment_by_voice(call, customer, vehicle, fake_realtime, fake_twilio):
    offered: dict = {}
    brain = fake_realtime.on_response_create = booking_brain(customer, vehicle, offered)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)

        await caller_says(fake_realtime, "Hi, I need an oil change for my Civic.")
        await finished(fake_realtime, 3)  # greeting, "let me check" + lookup, the offer
        await phone.wait_for(lambda: phone.all_heard)

        await caller_says(fake_realtime, "Yes, please book it.")
        await finished(fake_realtime, 5)  # the booking, the read-back
        await fake_twilio.await_for(lambda: fake_twilio.requests_to("/Messages.json"), within=10)
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    session = fake_realtime.session
    assert not session.errors_sent
    appointment = await database_sync_to_async(
        lambda: Appointment.objects.select_related("service_type", "vehicle").get()
    )()
    assert appointment.customer_id == customer.pk
    assert appointment.service_type.code == "oil_change"
    assert appointment.start == datetime.fromisoformat(offered["start"])
    assert appointment.call_id == call.pk
    assert appointment.channel == Appointment.Channel.AI_PHONE

    # The greeting was said word for word, then the confirmation, and all their audio reached Twilio.
    confirmation = await database_sync_to_async(appointment_confirmation)(appointment)
    assert brain.lines[0].startswith("Hi Dana, thanks for calling Lakeside Auto Service.")
    assert session.responses[-1].parts[0].text == f"You're all set. {confirmation}"
    generated = sum(session.items_audio_ms.values()) * 8
    assert phone.media_bytes == generated
    sms = fake_twilio.requests_to("/Messages.json")
    assert [r.value("To") for r in sms] == [customer.phone]
    assert confirmation in sms[0].value("Body")

    # Both tool results went back to the model, each followed by a request to go on.
    outputs = [json.loads(item["output"]) for item in session.function_outputs]
    assert outputs[0]["slots"][0]["start"] == offered["start"]
    assert outputs[1]["appointment_id"] == appointment.pk
    creates = session.of_type("response.create")
    assert len(creates) == 3  # the greeting and one answer after each tool

    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert record.outcome == Call.Outcome.BOOKED
    assert record.recording_consent == Call.RecordingConsent.DISCLOSED
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [(t.role, t.text) for t in turns] == [
        ("agent", brain.lines[0]),
        ("caller", "Hi, I need an oil change for my Civic."),
        ("agent", "Let me check."),
        ("agent", f"The earliest opening is {offered['spoken']}. Shall I book that?"),
        ("caller", "Yes, please book it."),
        ("agent", f"You're all set. {confirmation}"),
    ]
    assert not any(t.interrupted for t in turns)
    for caller_turn in (turns[1], turns[4]):
        assert caller_turn.stt_ms is not None
    for agent_turn in turns[2:4] + turns[5:]:
        assert agent_turn.llm_first_token_ms is not None
        assert agent_turn.tts_first_byte_ms is not None
    for answer in (turns[2], turns[5]):  # the first audio after each caller turn
        assert answer.response_ms is not None
    tools = await database_sync_to_async(lambda: list(ToolCall.objects.filter(call=call)))()
    assert [(t.name, t.success) for t in tools] == [
        ("check_availability", True),
        ("schedule_appointment", True),
    ]
    assert tools[1].arguments["datetime"] == offered["start"]
    assert tools[1].result["appointment_id"] == appointment.pk


async def test_the_session_is_set_up_like_the_cascade_with_mulaw_both_ways(
    settings, call, customer, vehicle, fake_realtime
):
    settings.OPENAI_VOICE = "cedar"
    settings.REALTIME_TURN_DETECTION = {"type": "server_vad", "silence_duration_ms": 650}
    brain = fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await fake_realtime.await_for(lambda: fake_realtime.session.audio_bytes > 0)
    finally:
        await phone.hang_up()

    session = fake_realtime.session
    config = session.session_config
    assert config["audio"]["input"]["format"]["type"] == "audio/pcmu"
    assert config["audio"]["output"]["format"]["type"] == "audio/pcmu"
    assert config["audio"]["output"]["voice"] == "cedar"
    assert config["audio"]["input"]["transcription"] == {"model": "gpt-4o-mini-transcribe"}
    assert f"customer_id {customer.pk}" in config["instructions"]
    assert f"vehicle_id {vehicle.pk}" in config["instructions"]
    assert {"schedule_appointment", "transfer_to_human", "end_call"} <= {t["name"] for t in config["tools"]}
    # The greeting's disclosure cannot be cut or answered over; afterwards the shop's settings apply.
    assert brain.detections[0] == {
        "type": "server_vad",
        "silence_duration_ms": 650,
        "create_response": False,
        "interrupt_response": False,
    }
    assert session.turn_detection == {
        "type": "server_vad",
        "silence_duration_ms": 650,
        "create_response": True,
        "interrupt_response": True,
    }
    # The greeting's own instructions keep the session's (they replace them for that response).
    greeting_request = session.of_type("response.create")[0]["response"]
    assert greeting_request["instructions"].startswith(config["instructions"])
    assert greeting_request["tool_choice"] == "none"  # a line is spoken, never a function call
    assert session.caller_audio.startswith(b"\xff" * 160)  # Twilio's µ-law, passed through
