"""Safety first, on either engine: a car unsafe to drive gets the shop's own don't-drive line (said by
our code, not the model) and the call is marked urgent for advisors; the keyword backstop marks it
even when the model does not report it. Also: after hours the agent does not transfer at all."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from channels.db import database_sync_to_async

from scheduling.models import Closure
from tests.calls import FakePhone, caller_says, eventually, last_tool_result
from tests.fakes.fake_openai import TextReply, tool_reply
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import caller_says as realtime_caller_says
from tests.realtime_calls import said
from voice.agent.lines import line
from voice.models import Call, ToolCall

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

DONT_DRIVE = line("safety_dont_drive")
OFFER = "Would you like a tow, or the earliest appointment?"
ADVISOR = "+13125550199"


async def says(live, text: str) -> None:
    if live.engine == "cascade":
        await caller_says(live.fake, text)
    else:
        await realtime_caller_says(live.fake, text)


def script(live, *, first: dict | None, then: str) -> None:
    """On the caller's turn the model calls `first` ({"name", "arguments"}) or just says `then`;
    after a tool result it says `then`."""
    if live.engine == "cascade":

        def brain(request):
            if first is not None and last_tool_result(request) is None:
                return tool_reply(first["name"], first["arguments"])
            return TextReply(then)

        live.openai.script = brain
    else:

        def answer(session, event):
            if first is not None and event["type"] == "input_audio_buffer.committed":
                return CallFunction(first["name"], first["arguments"])
            return Say(then)

        live.brain.answer = answer


def heard(live, phone, text: str) -> bool:
    """The caller heard `text`, said by the model or by our code."""
    if live.engine == "cascade":
        return phone.heard(text)
    return text in said(live.fake.session) and phone.all_heard


async def call_of(live) -> Call:
    return await database_sync_to_async(Call.objects.get)(pk=live.call.pk)


async def test_the_model_reports_an_unsafe_car_our_line_is_said_and_the_call_is_urgent(live):
    # Words the backstop does not know: only the model's report can mark this call.
    report = {"name": "report_safety_concern", "arguments": {"symptom": "car shakes violently above 40"}}
    script(live, first=report, then=OFFER)
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await says(live, "My car shakes violently above forty, is it okay?")
        await eventually(lambda: heard(live, phone, OFFER), within=10, what="the offer heard")
    finally:
        await phone.hang_up()

    assert DONT_DRIVE in live.lines()  # word for word, from our code
    if live.engine == "cascade":
        assert live.lines()[1:] == [DONT_DRIVE, OFFER]  # before the model went on
    else:
        assert live.lines()[1:] == [DONT_DRIVE]  # the realtime model was told to say exactly it
        assert said(live.fake.session)[1:] == [DONT_DRIVE, OFFER]
    assert (await call_of(live)).urgency == Call.Urgency.SAFETY
    record = await database_sync_to_async(ToolCall.objects.get)(call_id=live.call.pk)
    assert record.name == "report_safety_concern" and record.success
    assert record.result["said_to_caller"] == DONT_DRIVE


@pytest.mark.parametrize(
    "words",
    ["Honestly my brakes are failing on the highway.", "Sale humo del motor y huele a gasolina."],
    ids=["english", "spanish"],
)
async def test_the_backstop_marks_the_call_urgent_when_the_model_does_not(live, words):
    script(live, first=None, then="I can book you in for a diagnostic.")
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await says(live, words)
        await eventually(lambda: heard(live, phone, "I can book you in for a diagnostic."), within=10)
    finally:
        await phone.hang_up()

    assert (await call_of(live)).urgency == Call.Urgency.SAFETY
    assert DONT_DRIVE not in live.lines()  # the backstop flags for advisors; the model does the talking


async def test_an_ordinary_call_is_not_marked_urgent(live):
    script(live, first=None, then="Sure, an oil change it is.")
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await says(live, "I need an oil change, and no smoke or anything, it runs fine.")
        await eventually(lambda: heard(live, phone, "Sure, an oil change it is."), within=10)
    finally:
        await phone.hang_up()

    assert (await call_of(live)).urgency == ""


async def test_after_hours_the_agent_does_not_transfer_and_says_when_the_shop_opens(
    live, settings, fake_twilio
):
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    today = await database_sync_to_async(_shop_today)()
    await database_sync_to_async(Closure.objects.create)(date=today, reason="Inventory")
    transfer = {"name": "transfer_to_human", "arguments": {"reason": "wants a person"}}
    script(live, first=transfer, then="We're closed right now. Can I take a message?")
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await says(live, "Can I talk to a real person please?")
        await eventually(
            lambda: heard(live, phone, "We're closed right now. Can I take a message?"), within=10
        )
    finally:
        await phone.hang_up()

    assert not fake_twilio.requests_to(f"/Calls/{live.call.call_sid}.json")  # nothing rang
    record = await database_sync_to_async(ToolCall.objects.get)(call_id=live.call.pk)
    assert record.result["action"] == "take_message" and not record.result["success"]
    opens = record.result["opens"]
    assert opens and f"It opens {opens}." in record.result["error"]
    assert " at " in opens and ("AM" in opens or "PM" in opens)
    if live.engine == "realtime":
        output = json.loads(live.fake.session.function_outputs[-1]["output"])
        assert output["opens"] == opens  # the model got it to say


def _shop_today() -> date:
    from scheduling.shop import shop_get

    return datetime.now(shop_get().zone).date()
