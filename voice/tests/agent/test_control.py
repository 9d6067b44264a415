"""What a control message asks of a call, whatever the engine (voice.agent.control)."""

import pytest

from voice.agent.control import GOODBYE, TRANSFERRING, control_line
from voice.agent.flow import CLOSING, HANDOFF, NORMAL, CallFlow
from voice.models import Call
from voice.tests.agent.test_actions import call_actions

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call(customer) -> Call:
    return Call.objects.create(call_sid="CA" + "8" * 32, from_number=customer.phone, to_number="+13125550100")


async def test_end_call_cuts_in_with_a_goodbye_then_hangs_up(call):
    flow = CallFlow()
    async with call_actions(call) as (actions, _):
        step = control_line({"action": "end_call"}, flow=flow, actions=actions)

    assert step.interrupts and step.line.sentences == (GOODBYE,) and step.line.uninterruptible
    assert step.line.then == actions.hang_up and flow.mode == CLOSING


async def test_transfer_waits_for_the_current_words_and_dials_the_number_given(call, fake_twilio):
    flow = CallFlow()
    async with call_actions(call) as (actions, _):
        step = control_line({"action": "transfer", "number": "(312) 555-0199"}, flow=flow, actions=actions)
        assert not step.interrupts and step.line.sentences == (TRANSFERRING,) and flow.mode == HANDOFF
        await step.line.then()

    [update] = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")
    assert "<Number>+13125550199</Number>" in update.value("Twiml")


async def test_say_speaks_the_text_next_and_can_be_talked_over(call):
    flow = CallFlow()
    async with call_actions(call) as (actions, _):
        step = control_line({"action": "say", "text": "  One   moment please. "}, flow=flow, actions=actions)

    assert step.line.sentences == ("One moment please.",) and not step.line.uninterruptible
    assert not step.interrupts and step.line.then is None and flow.mode == NORMAL


@pytest.mark.parametrize(
    "message",
    [
        {"action": "transfer", "number": "call my manager"},
        {"action": "say", "text": "   "},
        {"action": "sing"},
        {},
    ],
)
async def test_nothing_happens_for_a_message_that_makes_no_sense(call, message):
    flow = CallFlow()
    async with call_actions(call) as (actions, _):
        assert control_line(message, flow=flow, actions=actions) is None

    assert flow.mode == NORMAL


async def test_a_call_that_is_ending_takes_no_more_control(call):
    flow = CallFlow()
    async with call_actions(call) as (actions, _):
        actions.session.tasks.begin_ending("hang-up")
        assert control_line({"action": "say", "text": "Hello?"}, flow=flow, actions=actions) is None


async def test_an_advisors_goodbye_and_transfer_line_are_said_in_the_callers_language(call):
    async with call_actions(call) as (actions, _):
        actions.language = "es"
        transfer = control_line(
            {"action": "transfer", "number": "+13125550199"}, flow=CallFlow(), actions=actions
        )
        goodbye = control_line({"action": "end_call"}, flow=CallFlow(), actions=actions)

    assert transfer.line.sentences == ("Le paso con un asesor ahora, espere en la línea por favor.",)
    assert goodbye.line.sentences == ("Voy a terminar la llamada aquí. Gracias por llamar, adiós.",)
