"""Warm hand-off on a live call, on either engine: the agent's transfer rings the advisor line with a
whisper (who is calling and why, press 1 to take it), and every way the dial can end leaves the
caller with something: connected, or "nobody is free", a callback request and a text.

Twilio's side is the fake Twilio REST API (the call's new TwiML) and tests.dial.TwilioDial, which
makes the signed requests Twilio makes while it carries out that <Dial>."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone, caller_says, last_message, last_tool_result
from tests.dial import TwilioDial
from tests.fakes.fake_openai import TextReply, tool_reply
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import caller_says as realtime_caller_says
from voice.agent.lines import line
from voice.models import Call, CallbackRequest, Handoff

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("open_around_the_clock"),
]

ADVISOR = "+13125550199"
PUBLIC = "https://shop.example.com"
REASON = "wants a quote for front brakes"
OK = "Sure, I'll transfer you now."
WHISPER = "Dana Whitfield: wants a quote for front brakes. Press 1 to take the call."
NOBODY_FREE = line("transfer_nobody_free")


def warm_settings(settings) -> None:
    settings.TRANSFER_PHONE_NUMBER = ADVISOR
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_VALIDATE_SIGNATURES = True
    settings.DEBUG = False


def script_transfer(live) -> None:
    """The model transfers the caller who asks for a person, saying OK first."""
    if live.engine == "cascade":

        def brain(request):
            if last_tool_result(request) is None and "person" in last_message(request)["content"]:
                return tool_reply("transfer_to_human", {"reason": REASON})
            return TextReply(OK)

        live.openai.script = brain
    else:

        def answer(session, event):
            if event["type"] == "input_audio_buffer.committed":
                return CallFunction("transfer_to_human", {"reason": REASON})
            return Say(OK)

        live.brain.answer = answer


async def says(live, text: str) -> None:
    if live.engine == "cascade":
        await caller_says(live.fake, text)
    else:
        await realtime_caller_says(live.fake, text)


async def transferred(live, fake_twilio) -> TwilioDial:
    """A live call whose caller asks for a person; returns the dial Twilio was asked to make."""
    script_transfer(live)
    phone = await FakePhone.dial(live.call)
    updates = f"/Calls/{live.call.call_sid}.json"
    try:
        await live.greeted(phone)
        await says(live, "Can I talk to a real person please?")
        await fake_twilio.await_for(lambda: fake_twilio.requests_to(updates), within=10)
    finally:
        await phone.hang_up()
    return TwilioDial.from_update(fake_twilio, live.call)


def texts(fake_twilio) -> list[str]:
    return [r.value("Body") for r in fake_twilio.requests_to("/Messages.json")]


def said(element) -> list[str]:
    return [say.text for say in element.iter("Say")]


async def test_the_advisor_hears_who_and_why_presses_1_and_is_connected(live, settings, fake_twilio):
    warm_settings(settings)
    dial = await transferred(live, fake_twilio)

    assert dial.number == ADVISOR and dial.timeout == "20" and dial.caller_id == settings.TWILIO_PHONE_NUMBER
    assert dial.action.startswith(f"{PUBLIC}/voice/transfer/result/?handoff=")
    assert dial.whisper_url.startswith(f"{PUBLIC}/voice/transfer/whisper/?handoff=")
    whisper = await asyncio.to_thread(dial.whisper)
    gather = whisper.find("Gather")
    assert gather.get("numDigits") == "1" and said(gather) == [WHISPER]
    assert whisper[-1].tag == "Hangup"  # no key: the advisor's leg ends and the caller is not bridged

    accepted = await asyncio.to_thread(dial.press, "1")
    assert accepted.find("Hangup") is None  # the whisper ends here: Twilio connects the two
    after = await asyncio.to_thread(dial.result, "completed")

    assert [child.tag for child in after] == ["Hangup"]  # after the advisor's conversation
    handoff = await database_sync_to_async(Handoff.objects.get)()
    assert handoff.result == Handoff.Result.CONNECTED and handoff.accepted_at is not None
    assert await database_sync_to_async(CallbackRequest.objects.count)() == 0
    call = await database_sync_to_async(Call.objects.get)(pk=live.call.pk)
    assert call.outcome == Call.Outcome.TRANSFERRED
    assert texts(fake_twilio) == []


@pytest.mark.parametrize(
    ("dial_status", "key", "result"),
    [
        ("no-answer", None, Handoff.Result.NO_ANSWER),
        ("busy", None, Handoff.Result.BUSY),
        ("failed", None, Handoff.Result.FAILED),
        ("completed", "2", Handoff.Result.DECLINED),  # answered, pressed another key
        ("completed", "", Handoff.Result.DECLINED),  # answered (voicemail?), pressed nothing
    ],
)
async def test_nobody_takes_it_the_caller_hears_so_and_gets_a_callback_and_a_text(
    live, settings, fake_twilio, dial_status, key, result, request
):
    warm_settings(settings)
    dial = await transferred(live, fake_twilio)
    request.getfixturevalue("eager_celery")  # the text's task runs where it is queued (the call is over)
    if key is not None:
        whisper = await asyncio.to_thread(dial.whisper)
        assert said(whisper.find("Gather")) == [WHISPER]
        if key:
            refused = await asyncio.to_thread(dial.press, key)
            assert refused[-1].tag == "Hangup"

    after = await asyncio.to_thread(dial.result, dial_status)

    assert said(after) == [NOBODY_FREE] and after[-1].tag == "Hangup"
    handoff = await database_sync_to_async(Handoff.objects.get)()
    assert handoff.result == result and handoff.dial_status == dial_status
    message = await database_sync_to_async(CallbackRequest.objects.get)()
    assert message.phone == live.call.from_number and message.name == "Dana Whitfield"
    assert message.reason.startswith("Dana Whitfield: wants a quote for front brakes.")
    assert message.call_id == live.call.pk and not message.urgent
    call = await database_sync_to_async(Call.objects.get)(pk=live.call.pk)
    assert call.outcome == Call.Outcome.MESSAGE_TAKEN
    assert texts(fake_twilio) == [line("transfer_callback_text", shop_name="Lakeside Auto Service")]
    assert texts(fake_twilio)[0].startswith("Lakeside Auto Service: sorry we missed you.")

    # Twilio retrying (or anyone replaying) the same signed result changes nothing.
    again = await asyncio.to_thread(dial.result, dial_status)
    assert said(again) == [NOBODY_FREE]
    assert await database_sync_to_async(CallbackRequest.objects.count)() == 1
    assert len(texts(fake_twilio)) == 1


async def test_without_a_public_origin_the_transfer_is_a_plain_dial(live, settings, fake_twilio):
    """Twilio could not reach the whisper or the result without PUBLIC_BASE_URL."""
    warm_settings(settings)
    settings.PUBLIC_BASE_URL = ""
    await transferred(live, fake_twilio)

    [update] = fake_twilio.requests_to(f"/Calls/{live.call.call_sid}.json")
    assert f"<Number>{ADVISOR}</Number>" in update.value("Twiml")
    assert await database_sync_to_async(Handoff.objects.count)() == 0
