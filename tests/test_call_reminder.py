"""An answered reminder call: who is calling and why first, and "stop calling me" honoured at once."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async

from crm.models import Customer
from reminders.models import ConsentEvent
from scheduling.services import appointment_book
from tests.calls import SHOP_NUMBER, FakePhone, caller_says, eventually, greeted
from tests.fakes.fake_openai import TextReply
from voice.agent.ear import for_the_ear
from voice.models import Call

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]
CHICAGO = ZoneInfo("America/Chicago")


def reminder_call(customer: Customer) -> tuple[Call, dict[str, str]]:
    today = datetime.now(CHICAGO).date()
    day = today + timedelta(days=1 if today.weekday() < 4 else 7 - today.weekday())
    appointment = appointment_book(
        customer=customer,
        service_code="oil_change",
        start=datetime.combine(day, time(10), tzinfo=CHICAGO),
        channel="staff",
    )
    call = Call.objects.create(
        call_sid="CA" + "9" * 32,
        direction=Call.Direction.OUTBOUND,
        from_number=SHOP_NUMBER,
        to_number=customer.phone,
        customer=customer,
        engine="cascade",
    )
    return call, {"purpose": "reminder", "appointment_id": str(appointment.pk)}


async def opted_out(customer: Customer) -> bool:
    fresh = await database_sync_to_async(Customer.objects.get)(pk=customer.pk)
    return fresh.calls_opted_out_at is not None


async def test_it_opens_with_who_is_calling_and_why(customer, fake_deepgram, fake_openai):
    call, parameters = await database_sync_to_async(reminder_call)(customer)
    fake_openai.script = [TextReply("Great, see you then.")]
    phone = await FakePhone.dial(call, parameters=parameters)
    try:
        greeting = await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "Yes I'll be there.")
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()

    assert greeting.startswith(for_the_ear("Hi, this is the automated assistant for Lakeside Auto Service"))
    assert "remind you about your oil change appointment" in greeting
    assert "press 9" in greeting
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert "OUTBOUND appointment reminder call" in system
    tools = {tool["function"]["name"] for tool in fake_openai.requests[0]["tools"]}
    assert {"confirm_appointment", "record_opt_out", "reschedule_appointment"} <= tools


@pytest.mark.parametrize(
    ("say", "press", "source"),
    [
        ("Please stop calling me.", None, "voice_phrase"),
        ("Por favor, no me llamen más.", None, "voice_phrase"),
        (None, "9", "voice_keypad"),
    ],
)
async def test_it_records_an_opt_out_at_once_whatever_the_model_does(
    customer, fake_deepgram, fake_openai, say, press, source
):
    call, parameters = await database_sync_to_async(reminder_call)(customer)
    fake_openai.script = [TextReply("Okay.")]  # the model does not even call record_opt_out
    phone = await FakePhone.dial(call, parameters=parameters)
    try:
        await greeted(phone, fake_deepgram)
        if say:
            await caller_says(fake_deepgram, say)
        else:
            await phone.press(press)
        await eventually(lambda: bool(fake_openai.requests), within=10, what="the model heard the caller")
    finally:
        await phone.hang_up()

    assert await opted_out(customer)
    event = await database_sync_to_async(ConsentEvent.objects.get)(customer=customer)
    assert event.source == source and event.call_id == call.pk


async def test_an_inbound_caller_saying_stop_is_not_opted_out(customer, fake_deepgram, fake_openai):
    from tests.calls import inbound_call

    call = await database_sync_to_async(inbound_call)(from_number=customer.phone)
    fake_openai.script = [TextReply("Sure.")]
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "Stop calling me about the recall, I want to book an oil change.")
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()
    assert not await opted_out(customer)


async def test_a_known_spanish_speakers_reminder_call_starts_in_spanish(customer, fake_deepgram, fake_openai):
    customer.preferred_language = "es"
    await database_sync_to_async(customer.save)()
    call, parameters = await database_sync_to_async(reminder_call)(customer)
    fake_openai.script = [TextReply("Perfecto, lo esperamos.")]
    phone = await FakePhone.dial(call, parameters=parameters)
    try:
        greeting = await greeted(phone, fake_deepgram)
        await caller_says(fake_deepgram, "Sí, ahí estaré.", language="es")
        await fake_openai.await_for(lambda: fake_openai.requests)
    finally:
        await phone.hang_up()

    assert greeting.startswith("Hola, le habla el asistente automático de Lakeside Auto Service")
    assert "recordarle su cita de oil change" in greeting and "marque 9" in greeting
    spanish = [s for s in fake_deepgram.speak_sessions if s.query["model"] == "aura-2-celeste-es"]
    assert spanish and greeting in spanish[0].texts
    system = fake_openai.requests[0]["messages"][0]["content"]
    assert "The customer's preferred language is Spanish" in system
