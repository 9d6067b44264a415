"""A whole call on the cascade engine: the caller books an oil change by voice.

Twilio is a fake phone on the real WebSocket (dealership.asgi), Deepgram and OpenAI are local fake
servers driven through the real adapters, the booking goes through the real tools and database.
"""

from datetime import datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Appointment
from scheduling.services import appointment_confirmation
from tests.calls import (
    FakePhone,
    caller_says,
    greeted,
    last_message,
    last_tool_result,
    spoken,
)
from tests.fakes.fake_openai import TextReply, tool_reply
from voice.agent.ear import for_the_ear
from voice.models import Call, ToolCall, Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]


def booking_brain(customer, vehicle, offered: dict):
    """The model: look for a slot, offer it, book it when the caller agrees, read the confirmation."""

    def reply(request):
        last = last_message(request)
        result = last_tool_result(request)
        if result is None and "oil change" in last["content"]:
            return tool_reply("check_availability", {"service_type": "oil_change"})
        if result and result[0] == "check_availability":
            offered.update(result[1]["slots"][0])
            return TextReply(f"The earliest opening is {offered['spoken']}. Shall I book that?")
        if result is None and "book it" in last["content"]:
            arguments = {
                "customer_id": customer.pk,
                "vehicle_id": vehicle.pk,
                "service_type": "oil_change",
                "datetime": offered["start"],
            }
            return tool_reply("schedule_appointment", arguments)
        if result and result[0] == "schedule_appointment":
            return TextReply(f"You're all set. {result[1]['confirmation']}")
        return TextReply("Sorry, could you say that again?")

    return reply


async def test_a_caller_books_an_appointment_by_voice(
    call, customer, vehicle, fake_deepgram, fake_openai, fake_twilio
):
    offered: dict = {}
    fake_openai.script = booking_brain(customer, vehicle, offered)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)

        await caller_says(fake_deepgram, "Hi, I need an oil change for my Civic.")
        await phone.wait_for(lambda: any("Shall I book" in t for t in spoken(fake_deepgram)), what="offer")
        offer = next(t for t in spoken(fake_deepgram) if "Shall I book" in t)
        await phone.played_out(offer)

        await caller_says(fake_deepgram, "Yes, please book it.")
        await phone.wait_for(lambda: any("confirmation number" in t for t in spoken(fake_deepgram)))
        read_back = next(t for t in spoken(fake_deepgram) if "confirmation number" in t)
        await phone.played_out(read_back)
        await fake_twilio.await_for(lambda: fake_twilio.requests_to("/Messages.json"), within=10)
    finally:
        await phone.hang_up()

    appointment = await database_sync_to_async(
        lambda: Appointment.objects.select_related("service_type", "vehicle").get()
    )()
    assert appointment.customer_id == customer.pk
    assert appointment.service_type.code == "oil_change"
    assert appointment.start == datetime.fromisoformat(offered["start"])
    assert appointment.call_id == call.pk
    assert appointment.channel == Appointment.Channel.AI_PHONE

    confirmation = await database_sync_to_async(appointment_confirmation)(appointment)
    ear = for_the_ear(confirmation)
    assert ear in spoken(fake_deepgram)  # the confirmation was spoken...
    assert phone.heard(ear)  # ...and its audio went out to Twilio
    sms = fake_twilio.requests_to("/Messages.json")
    assert [r.value("To") for r in sms] == [customer.phone]
    assert confirmation in sms[0].value("Body")

    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert record.outcome == Call.Outcome.BOOKED
    assert record.recording_consent == Call.RecordingConsent.DISCLOSED
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [t.role for t in turns] == ["agent", "caller", "agent", "caller", "agent"]
    assert turns[0].text.startswith("Hi Dana, thanks for calling Lakeside Auto Service.")
    assert turns[1].text == "Hi, I need an oil change for my Civic."
    assert turns[4].text == f"You're all set. {confirmation}"
    assert not any(t.interrupted for t in turns)
    for caller_turn in (turns[1], turns[3]):
        assert caller_turn.stt_ms is not None
    for agent_turn in (turns[2], turns[4]):
        assert agent_turn.llm_first_token_ms is not None
        assert agent_turn.tts_first_byte_ms is not None
        assert agent_turn.response_ms is not None
    tools = await database_sync_to_async(lambda: list(ToolCall.objects.filter(call=call)))()
    assert [(t.name, t.success) for t in tools] == [
        ("check_availability", True),
        ("schedule_appointment", True),
    ]
    assert tools[1].arguments["datetime"] == offered["start"]
    assert tools[1].result["appointment_id"] == appointment.pk
    assert all(t.duration_ms is not None for t in tools)


async def test_the_model_gets_the_callers_account_before_the_first_request(
    call, customer, vehicle, fake_deepgram, fake_openai
):
    fake_openai.script = [TextReply("Sure, what day works for you?")]
    phone = await FakePhone.dial(call)
    try:
        await caller_says(fake_deepgram, "I'd like to come in this week.")
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()

    system = fake_openai.requests[0]["messages"][0]["content"]
    assert f"customer_id {customer.pk}" in system
    assert f"vehicle_id {vehicle.pk}" in system
    assert customer.phone in system
    tools = {tool["function"]["name"] for tool in fake_openai.requests[0]["tools"]}
    assert {"schedule_appointment", "transfer_to_human", "end_call"} <= tools
