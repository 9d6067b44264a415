import asyncio

import pytest

from voice.agent.actions import CallActions
from voice.agent.flow import (
    CLOSING,
    IDLE_GOODBYE,
    NORMAL,
    STILL_THERE,
    TIME_LIMIT_GOODBYE,
    CallFlow,
    Keypad,
    escalation_note,
)
from voice.agent.records import CallRecorder
from voice.engines.base import CallContext
from voice.models import Call, CallbackRequest
from voice.session import CallSession

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call(transactional_db):
    return Call.objects.create(call_sid="CA" + "8" * 32, from_number="+13125550147", to_number="+13125550100")


class Stream:
    async def send_text(self, text: str) -> None:
        pass

    async def close(self) -> None:
        pass


def actions_for(call: Call) -> CallActions:
    stream = Stream()
    session = CallSession(send_text=stream.send_text, close=stream.close)
    context = CallContext(
        call_sid=call.call_sid,
        stream_sid="MZ" + "8" * 32,
        call_id=call.pk,
        direction="inbound",
        from_number=call.from_number,
        to_number=call.to_number,
        customer_id=None,
        engine="realtime",
    )
    recorder = CallRecorder(call_id=call.pk)
    return CallActions(
        session=session, call=context, recorder=recorder, shop_name="Lakeside", transfer_number=""
    )


async def test_it_asks_once_then_says_goodbye_and_hangs_up_a_silent_caller(call):
    flow, actions = CallFlow(), actions_for(call)

    first = flow.idle_line(actions)
    second = flow.idle_line(actions)

    assert first.sentences == (STILL_THERE,) and not first.uninterruptible and first.then is None
    assert second.sentences == (IDLE_GOODBYE,) and second.uninterruptible
    assert second.then == actions.hang_up
    assert flow.mode == CLOSING and actions.outcome == "abandoned"
    assert flow.idle_line(actions) is None  # nothing more once closing
    await actions.recorder.close()


async def test_speaking_starts_the_idle_count_again(call):
    flow, actions = CallFlow(), actions_for(call)
    flow.idle_line(actions)
    flow.caller_spoke()

    assert flow.idle_line(actions).sentences == (STILL_THERE,)
    assert flow.mode == NORMAL
    await actions.recorder.close()


async def test_the_time_limit_stops_the_agent_leaves_one_message_and_says_goodbye(call):
    flow, actions = CallFlow(), actions_for(call)
    stopped = []

    async def stop_talking() -> None:
        stopped.append(True)

    line = await flow.time_limit_line(actions, stop_talking=stop_talking)
    again = await flow.time_limit_line(actions, stop_talking=stop_talking)
    await actions.recorder.close()

    assert stopped == [True] and again is None
    assert line.sentences == (TIME_LIMIT_GOODBYE,) and line.uninterruptible and line.then == actions.hang_up
    message = await asyncio.to_thread(lambda: CallbackRequest.objects.get())
    assert "time limit" in message.reason


async def test_a_call_that_already_booked_gets_no_message_at_the_time_limit(call):
    flow, actions = CallFlow(), actions_for(call)
    actions.set_outcome("booked")

    async def nothing() -> None:
        pass

    await flow.time_limit_line(actions, stop_talking=nothing)
    await actions.recorder.close()

    assert not await asyncio.to_thread(lambda: CallbackRequest.objects.exists())


async def test_keys_pressed_close_together_make_one_turn():
    turns = []

    async def on_digits(text: str, at: float) -> None:
        turns.append(text)

    keypad = Keypad(on_digits)
    keypad.press("1", gather=0.05)
    keypad.press("2", gather=0.05)
    await asyncio.sleep(0.15)
    keypad.press("#", gather=0.05)
    await asyncio.sleep(0.15)
    keypad.press("9", gather=0.05)
    keypad.close()
    await asyncio.sleep(0.1)

    assert turns == ["[keypad: 1 2]", "[keypad: #]"]


async def test_a_caller_asking_for_a_person_gets_the_model_a_note():
    assert escalation_note("Can I talk to a real person?", transfer_available=True) == (
        "The caller asked for a person or sounds upset: offer to transfer them."
    )
    assert "take a message" in escalation_note("I want a human", transfer_available=False)
    assert escalation_note("I need an oil change", transfer_available=True) is None


async def test_a_spanish_caller_is_asked_and_released_in_spanish(call):
    flow, actions = CallFlow(), actions_for(call)
    actions.language = "es"

    first = flow.idle_line(actions)
    second = flow.idle_line(actions)

    assert first.sentences == ("¿Sigue ahí?",)
    assert second.sentences == ("Lo dejo por ahora. Gracias por llamar, adiós.",)
    await actions.recorder.close()


async def test_a_turn_in_spanish_switches_the_call_and_teaches_the_customer(call, customer):
    actions = actions_for(call)
    actions.customer_id = customer.pk

    assert actions.heard_language(reported=("es",), text="Sí.") is None  # too short to tell
    assert actions.heard_language(reported=("es",), text="Quiero cambiar mi cita") == "es"
    assert actions.heard_language(reported=("es",), text="para el martes por la mañana") is None  # no change
    await actions.recorder.close()

    await call.arefresh_from_db()
    await customer.arefresh_from_db()
    assert call.language == "es" and customer.preferred_language == "es"
