"""One live call on either engine, for tests both engines share (parametrised by engine; the `live`
fixture is in tests/conftest.py).

    async def test_something(live, fake_twilio):      # runs once per engine
        phone = await FakePhone.dial(live.call)
        await live.greeted(phone)
        ...
        assert live.lines()[1:] == [...]

`lines()` is what the agent was made to say word for word (the greeting, lines, goodbyes): for the
cascade what went to TTS, for the realtime engine the lines the model was told to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.calls import FakePhone, configure, inbound_call, spoken
from tests.calls import greeted as cascade_greeted
from tests.realtime_calls import Brain, configure_realtime, realtime_call
from tests.realtime_calls import greeted as realtime_greeted
from voice.models import Call

ENGINES = ["cascade", "realtime"]


@dataclass
class LiveCall:
    engine: str
    call: Call
    fake: Any  # FakeDeepgram (cascade) or FakeRealtime (realtime)
    brain: Brain | None = None  # the realtime fake model's scripted-line recorder
    openai: Any = None  # FakeOpenAI, the cascade's model

    async def greeted(self, phone: FakePhone) -> None:
        if self.engine == "cascade":
            await cascade_greeted(phone, self.fake)
        else:
            await realtime_greeted(phone, self.fake)

    def lines(self) -> list[str]:
        return spoken(self.fake) if self.engine == "cascade" else list(self.brain.lines)

    def heard(self, phone: FakePhone, text: str) -> bool:
        """`text`, the last line said, reached the caller: its TTS audio (cascade), or everything
        the model said was heard (realtime: its audio is the model's, not text-addressable)."""
        if self.engine == "cascade":
            return phone.heard(text)
        return text in self.brain.lines and phone.all_heard


@pytest.fixture(params=ENGINES)
def live(request, settings, fake_twilio, shop, catalog, customer) -> LiveCall:
    """The known customer's inbound call on each engine in turn, its providers on fake servers."""
    if request.param == "cascade":
        openai, deepgram = request.getfixturevalue("fake_openai"), request.getfixturevalue("fake_deepgram")
        configure(settings)
        return LiveCall("cascade", inbound_call(from_number=customer.phone), deepgram, openai=openai)
    fake = request.getfixturevalue("fake_realtime")
    configure_realtime(settings)
    brain = fake.on_response_create = Brain()
    return LiveCall("realtime", realtime_call(from_number=customer.phone), fake, brain)
