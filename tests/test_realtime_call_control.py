"""On the realtime engine too, control messages (sent from another thread through the Redis
channel layer, as a view or a Celery task would) make the agent say a line, end or transfer the call."""

import asyncio

import pytest

from tests.calls import FakePhone, eventually
from tests.realtime_calls import Brain, greeted
from voice.agent.control import GOODBYE, TRANSFERRING
from voice.control import call_control_send

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("realtime_live"),
]

ADVISOR = "+13125550199"
LINE = "An advisor will be with you in just a moment."


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def test_say_then_end_call(call, fake_realtime, fake_twilio):
    brain = fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await asyncio.to_thread(call_control_send, call.call_sid, "say", text=LINE)
        await eventually(lambda: LINE in brain.lines, what="the line asked for")
        assert not call_updates(fake_twilio, call)

        await asyncio.to_thread(call_control_send, call.call_sid, "end_call")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert brain.lines[1:] == [LINE, GOODBYE]
    assert phone.all_heard  # the goodbye played out before the hang-up
    assert call_updates(fake_twilio, call)[0].value("Status") == "completed"


async def test_transfer_to_a_given_number(call, fake_realtime, fake_twilio):
    brain = fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await asyncio.to_thread(call_control_send, call.call_sid, "transfer", number=ADVISOR)
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=8)
    finally:
        await phone.hang_up()

    assert brain.lines[-1] == TRANSFERRING
    assert f"<Number>{ADVISOR}</Number>" in call_updates(fake_twilio, call)[0].value("Twiml")


async def test_unknown_actions_and_bad_numbers_change_nothing(call, fake_realtime, fake_twilio):
    brain = fake_realtime.on_response_create = Brain()
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await asyncio.to_thread(call_control_send, call.call_sid, "transfer", number="not a number")
        await asyncio.to_thread(call_control_send, call.call_sid, "dance")
        await asyncio.to_thread(call_control_send, call.call_sid, "say", text="   ")
        await asyncio.sleep(0.5)
    finally:
        await phone.hang_up()

    assert len(brain.lines) == 1  # the greeting only
    assert not call_updates(fake_twilio, call)
