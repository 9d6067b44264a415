"""Spanish, end to end, on both engines: a caller who speaks Spanish is answered in Spanish (the
model is told, the cascade's voice switches to the Spanish one, fixed lines switch), texted in
Spanish, and remembered as a Spanish speaker, whose next call starts in Spanish.

The fake speech recognition reports the language as each provider documents it: Deepgram's
multilingual model (`language=multi`) with `languages` on the alternative and `language` on each
word; OpenAI's transcription event with `languages: [{"code": "es"}]`.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from channels.db import database_sync_to_async

from crm.models import Customer
from scheduling.models import Appointment
from tests.calls import FakePhone, caller_lines, caller_says, eventually, last_tool_result, spoken
from tests.fakes.fake_openai import TextReply, tool_reply
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import caller_says as realtime_caller_says
from tests.realtime_calls import finished
from voice.agent.lines import line
from voice.control import call_control_send
from voice.models import Call

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

SPANISH_VOICE = "aura-2-celeste-es"
ASKS = "Hola, necesito un cambio de aceite para mi carro, por favor."
BOOKED = "Listo, su cita está reservada."


def booking(customer, vehicle, slot) -> dict:
    return {
        "customer_id": customer.pk,
        "vehicle_id": vehicle.pk,
        "service_type": "oil_change",
        "datetime": slot["start"],
    }


def cascade_brain(arguments: dict):
    """The cascade's model: books when asked, then says it is booked in Spanish."""

    def reply(request):
        result = last_tool_result(request)
        if result is None and "aceite" in caller_lines(request)[-1]:
            return tool_reply("schedule_appointment", arguments)
        if result and result[0] == "schedule_appointment":
            return TextReply(BOOKED)
        return TextReply("¿Me lo puede repetir?")

    return reply


def realtime_answer(arguments: dict):
    """The realtime model: books on the caller's turn, then says it is booked in Spanish."""

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":
            return CallFunction("schedule_appointment", arguments)
        return Say(BOOKED)

    return answer


def speak_sessions_with(fake_deepgram, voice: str) -> list:
    return [s for s in fake_deepgram.speak_sessions if s.query.get("model") == voice]


async def test_a_spanish_caller_is_answered_in_spanish_and_texted_in_spanish(
    live, customer, vehicle, slot, fake_twilio
):
    arguments = booking(customer, vehicle, slot)
    if live.engine == "cascade":
        live.openai.script = cascade_brain(arguments)
    else:
        live.brain.answer = realtime_answer(arguments)
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        if live.engine == "cascade":
            await caller_says(live.fake, ASKS, language="es")
            # The first clause ("Listo,") goes to TTS on its own: look at everything sent.
            await phone.wait_for(lambda: BOOKED in " ".join(spoken(live.fake)), what="the Spanish answer")
            await phone.played_out(BOOKED)
        else:
            await realtime_caller_says(live.fake, ASKS, language="es")
            await finished(live.fake, 3)  # greeting, the booking, the answer
            await phone.wait_for(lambda: phone.all_heard)
        await fake_twilio.await_for(lambda: fake_twilio.requests_to("/Messages.json"), within=10)

        # A fixed line after the switch: an advisor ends the call from the live view.
        await asyncio.to_thread(call_control_send, live.call.call_sid, "end_call")
        calls = f"/Calls/{live.call.call_sid}.json"
        await fake_twilio.await_for(lambda: fake_twilio.requests_to(calls), within=8)
    finally:
        await phone.hang_up()

    goodbye = line("goodbye", "es")
    assert live.lines()[-1] == goodbye and live.heard(phone, goodbye)
    if live.engine == "cascade":
        # The greeting in the English voice; the answer and the goodbye in the Spanish one.
        assert live.fake.speak_sessions[0].query["model"] != SPANISH_VOICE
        spanish = [text for s in speak_sessions_with(live.fake, SPANISH_VOICE) for text in s.texts]
        assert BOOKED in " ".join(spanish) and goodbye in spanish
        assert phone.heard(BOOKED)
        notes = [m["content"] for m in live.openai.requests[0]["messages"] if m["role"] == "system"]
        assert "The caller is speaking Spanish. From now on answer only in Spanish." in notes
    else:
        notes = [
            event["item"]["content"][0]["text"]
            for event in live.fake.session.of_type("conversation.item.create")
            if event["item"].get("role") == "system"
        ]
        assert "The caller is speaking Spanish. From now on answer only in Spanish." in notes
        assert "Answer in the language the caller speaks" in live.fake.session.session_config["instructions"]

    appointment = await database_sync_to_async(Appointment.objects.get)()
    sms = fake_twilio.requests_to("/Messages.json")
    assert [r.value("To") for r in sms] == [customer.phone]
    body = sms[0].value("Body")
    assert body.startswith("Lakeside Auto Service: Su cita está reservada: oil change, ")
    assert f"número de confirmación {appointment.pk}." in body
    assert body.endswith("Responda ALTO para no recibir más mensajes.")
    # The date in Spanish: "lunes 7 de diciembre a las 7:30 AM".
    assert re.search(r"(lunes|martes|miércoles|jueves|viernes|sábado) \d+ de \w+ a las \d", body), body

    record = await database_sync_to_async(Call.objects.get)(pk=live.call.pk)
    assert record.language == "es"
    learnt = await database_sync_to_async(Customer.objects.get)(pk=customer.pk)
    assert learnt.preferred_language == "es"


async def test_a_known_spanish_speaker_is_greeted_in_spanish(live, customer):
    customer.preferred_language = "es"
    await database_sync_to_async(customer.save)()
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
    finally:
        await phone.hang_up()

    greeting = live.lines()[0]
    assert greeting == (
        "Hola Dana, gracias por llamar a Lakeside Auto Service. Soy el asistente automático del taller, y "
        "esta llamada puede ser grabada. ¿En qué le puedo ayudar hoy?"
    )
    if live.engine == "cascade":
        assert greeting in [text for s in speak_sessions_with(live.fake, SPANISH_VOICE) for text in s.texts]
        assert phone.heard(greeting)
    record = await database_sync_to_async(Call.objects.get)(pk=live.call.pk)
    assert record.language == "es"


async def test_a_short_or_english_turn_keeps_the_call_in_english(live, customer, fake_twilio):
    if live.engine == "cascade":
        live.openai.script = lambda request: TextReply("Sure, what day works for you?")
    else:
        live.brain.answer = lambda session, event: Say("Sure, what day works for you?")
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        if live.engine == "cascade":
            await caller_says(live.fake, "Sí.", language="es")  # one word: too short to switch on
            await caller_says(live.fake, "I need an oil change please.", language="en")
            await phone.wait_for(lambda: len(live.openai.requests) >= 1)
            await eventually(lambda: "Sure, what day works for you?" in " ".join(spoken(live.fake)))
        else:
            await realtime_caller_says(live.fake, "I need an oil change please.")  # no languages reported
            await finished(live.fake, 2)
    finally:
        await phone.hang_up()

    if live.engine == "cascade":
        assert not speak_sessions_with(live.fake, SPANISH_VOICE)
        system = [
            m["content"] for r in live.openai.requests for m in r["messages"][1:] if m["role"] == "system"
        ]
        assert not any("Spanish" in note for note in system)
    record = await database_sync_to_async(Call.objects.get)(pk=live.call.pk)
    assert record.language == ""
