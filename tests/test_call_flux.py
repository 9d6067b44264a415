"""Deepgram Flux (listen v2) takes the turns on the cascade: EagerEndOfTurn starts a speculative
reply, TurnResumed discards it, EndOfTurn commits it (tests/test_call_speculation.py for nova-3)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone, caller_lines, greeted, last_message, listening, spoken
from tests.fakes.deepgram_messages import turn_info
from tests.fakes.fake_openai import TextReply
from voice.models import Turn

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("cascade_live"),
]


@pytest.fixture(autouse=True)
def flux(settings):
    settings.DEEPGRAM_STT_MODEL = "flux-general-en"


async def flux_says(fake_deepgram, *messages) -> None:
    await listening(fake_deepgram)
    await asyncio.to_thread(fake_deepgram.emit, *messages)


async def turns(call) -> list[tuple[str, str]]:
    return await database_sync_to_async(
        lambda: [(t.role, t.text) for t in Turn.objects.filter(call=call)][1:]  # after the greeting
    )()


async def test_eager_end_of_turn_starts_the_reply_and_end_of_turn_commits_it(
    call, fake_deepgram, fake_openai
):
    fake_openai.script = [TextReply("Sure, I can help with that.")]
    phone = await FakePhone.dial(call)
    try:
        greeting = await greeted(phone, fake_deepgram)
        assert fake_deepgram.listen.path == "/v2/listen"
        assert fake_deepgram.listen.query["model"] == "flux-general-en"
        assert "eager_eot_threshold" in fake_deepgram.listen.query
        await flux_says(
            fake_deepgram,
            turn_info("StartOfTurn", "I need"),
            turn_info("Update", "I need an oil change."),
            turn_info("EagerEndOfTurn", "I need an oil change."),
        )
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await asyncio.sleep(0.3)
        assert spoken(fake_deepgram) == [greeting]  # held until the end of turn

        await flux_says(fake_deepgram, turn_info("EndOfTurn", "I need an oil change."))
        await phone.played_out("Sure, I can help with that.")
    finally:
        await phone.hang_up()

    assert len(fake_openai.requests) == 1
    assert await turns(call) == [
        ("caller", "I need an oil change."),
        ("agent", "Sure, I can help with that."),
    ]


async def test_turn_resumed_discards_the_speculative_reply(call, fake_deepgram, fake_openai):
    full = "I need an oil change for my truck."

    def model(request):
        said = last_message(request)["content"]
        return TextReply("For the truck, sure." if said == full else "Wrong guess.")

    fake_openai.script = model
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_deepgram)
        await flux_says(
            fake_deepgram,
            turn_info("StartOfTurn", "I need"),
            turn_info("EagerEndOfTurn", "I need an oil change"),
        )
        await fake_openai.await_for(lambda: len(fake_openai.requests) == 1)
        await flux_says(
            fake_deepgram,
            turn_info("TurnResumed", "I need an oil change"),
            turn_info("Update", full),
            turn_info("EndOfTurn", full),
        )
        await phone.played_out("For the truck, sure.")
    finally:
        await phone.hang_up()

    assert not phone.heard("Wrong guess.")
    assert [caller_lines(r) for r in fake_openai.requests] == [["I need an oil change"], [full]]
    assert await turns(call) == [("caller", full), ("agent", "For the truck, sure.")]
