"""Keypad digits on the realtime engine: gathered into one text turn the model answers."""

import dataclasses

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone
from tests.fakes.fake_realtime import Say
from tests.realtime_calls import Brain, finished, greeted
from voice.engines.realtime import RealtimeEngine
from voice.models import Turn

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def live(realtime_live, monkeypatch):
    monkeypatch.setattr(
        RealtimeEngine, "timings", dataclasses.replace(RealtimeEngine.timings, dtmf_gather=0.3)
    )


async def test_keypad_digits_reach_the_model_as_one_text_turn(call, fake_realtime):
    fake_realtime.on_response_create = Brain(lambda session, event: Say("Thanks, option one."))
    phone = await FakePhone.dial(call)
    try:
        await greeted(phone, fake_realtime)
        await phone.press("1")
        await phone.press("2")
        await finished(fake_realtime, 2)
        await phone.wait_for(lambda: phone.all_heard)
    finally:
        await phone.hang_up()

    session = fake_realtime.session
    [item] = [e["item"] for e in session.of_type("conversation.item.create")]
    assert item == {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "[keypad: 1 2]"}],
    }
    types = session.event_types
    assert types.count("response.create") == 2  # the greeting, then the answer to the keys
    assert types.index("conversation.item.create") < len(types) - 1 - types[::-1].index("response.create")
    turns = await database_sync_to_async(lambda: list(Turn.objects.filter(call=call)))()
    assert [(t.role, t.text) for t in turns][1:] == [
        ("caller", "[keypad: 1 2]"),
        ("agent", "Thanks, option one."),
    ]
    assert turns[2].response_ms is not None
