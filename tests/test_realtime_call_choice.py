"""A shop can compare engines: the stream's engine <Parameter> picks one for a call, and
VOICE_ENGINE_BY_NUMBER picks one by the number called."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from tests.calls import FakePhone, configure
from tests.realtime_calls import Brain, greeted, realtime_call
from voice.models import Call
from voice.services import call_record_inbound
from voice.tests.conftest import twilio_signature

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

PUBLIC_BASE_URL = "https://shop.example.com"
REALTIME_LINE = "+13125550100"
CASCADE_LINE = "+13125550101"


@pytest.fixture(autouse=True)
def live(settings, fake_twilio, fake_deepgram, fake_realtime, shop, catalog):
    configure(settings)  # VOICE_ENGINE = "cascade"
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.VOICE_ENGINE_BY_NUMBER = {"+1 (312) 555-0100": "realtime"}
    fake_realtime.on_response_create = Brain()


def answer_inbound(call_sid: str, to: str) -> str:
    """Twilio's voice webhook for a call to `to`; returns the engine the call was given."""
    params = {"CallSid": call_sid, "From": "+13125550147", "To": to, "CallStatus": "ringing"}
    signature = twilio_signature(
        PUBLIC_BASE_URL + "/voice/inbound/", params, token=settings.TWILIO_AUTH_TOKEN
    )
    response = Client().post("/voice/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200
    assert b'<Parameter name="engine"' in response.content
    return Call.objects.get(call_sid=call_sid).engine


async def test_the_number_called_picks_the_engine(customer, fake_realtime, fake_deepgram):
    assert await database_sync_to_async(answer_inbound)("CA" + "1" * 32, CASCADE_LINE) == "cascade"
    assert await database_sync_to_async(answer_inbound)("CA" + "2" * 32, REALTIME_LINE) == "realtime"

    call = await database_sync_to_async(Call.objects.get)(call_sid="CA" + "2" * 32)
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
    finally:
        await phone.hang_up()

    assert len(fake_realtime.sessions) == 1
    assert not fake_deepgram.listen_sessions


async def test_the_stream_parameter_picks_the_realtime_engine_for_one_call(
    customer, fake_realtime, fake_deepgram
):
    call = await database_sync_to_async(call_record_inbound)(
        call_sid="CA" + "3" * 32, from_number=customer.phone, to_number=CASCADE_LINE, engine="cascade"
    )
    phone = await FakePhone.dial(call, parameters={"engine": "realtime"})
    try:
        await greeted(phone, fake_realtime)
    finally:
        await phone.hang_up()

    assert not fake_deepgram.listen_sessions
    # The record says which engine ran the call, so the shop can compare them.
    assert (await database_sync_to_async(Call.objects.get)(pk=call.pk)).engine == "realtime"


async def test_the_stream_parameter_picks_the_cascade_for_one_call(customer, fake_realtime, fake_deepgram):
    call = await database_sync_to_async(realtime_call)(from_number=customer.phone)
    phone = await FakePhone.dial(call, parameters={"engine": "cascade"})
    try:
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions, within=5)
    finally:
        await phone.hang_up()

    assert not fake_realtime.sessions
    assert (await database_sync_to_async(Call.objects.get)(pk=call.pk)).engine == "cascade"
