"""Control messages (Redis channel layer, group `call.<CallSid>`) to a live call on either engine:
`say` makes the agent say a line, `end_call` says goodbye and hangs up, `transfer` dials the given
number once the agent has finished what it was saying. Sent from another thread (as a view or a
Celery task would), and to a call held by another web process."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import ClientConnection, connect

from tests.calls import FRAME, STREAM_SID, FakePhone, eventually, inbound_call, spoken
from tests.fakes.deepgram_messages import fake_audio_for
from tests.web_process import web_process
from voice.agent.control import GOODBYE, TRANSFERRING
from voice.control import call_control_send
from voice.streams import stream_parameters

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ADVISOR = "+13125550199"
LINE = "An advisor will be with you in just a moment."


def call_updates(fake_twilio, call):
    return fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")


async def test_say_then_end_call(live, fake_twilio):
    phone = await FakePhone.dial(live.call)
    sid = live.call.call_sid
    try:
        await live.greeted(phone)
        await asyncio.to_thread(call_control_send, sid, "say", text=LINE)
        await eventually(lambda: LINE in live.lines(), what="the line asked for")
        assert not call_updates(fake_twilio, live.call)

        await asyncio.to_thread(call_control_send, sid, "end_call")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, live.call), within=8)
    finally:
        await phone.hang_up()

    assert live.lines()[1:] == [LINE, GOODBYE]
    assert live.heard(phone, GOODBYE)  # the goodbye played out before the hang-up
    assert call_updates(fake_twilio, live.call)[0].value("Status") == "completed"


async def test_transfer_to_a_given_number(live, fake_twilio):
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await asyncio.to_thread(call_control_send, live.call.call_sid, "transfer", number=ADVISOR)
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, live.call), within=8)
    finally:
        await phone.hang_up()

    assert live.lines()[-1] == TRANSFERRING
    assert f"<Number>{ADVISOR}</Number>" in call_updates(fake_twilio, live.call)[0].value("Twiml")


async def test_unknown_actions_and_bad_numbers_change_nothing(live, fake_twilio):
    phone = await FakePhone.dial(live.call)
    sid = live.call.call_sid
    try:
        await live.greeted(phone)
        await asyncio.to_thread(call_control_send, sid, "transfer", number="not a number")
        await asyncio.to_thread(call_control_send, sid, "dance")
        await asyncio.to_thread(call_control_send, sid, "say", text="   ")
        # A good message after them is said: the bad ones reached the call and were ignored.
        await asyncio.to_thread(call_control_send, sid, "say", text=LINE)
        await eventually(lambda: LINE in live.lines(), what="the line asked for after the bad ones")
    finally:
        await phone.hang_up()

    assert live.lines()[1:] == [LINE]  # the greeting, then only the good line
    assert not call_updates(fake_twilio, live.call)


# --- a call held by another web process ------------------------------------------------------------


@pytest.fixture
def web(settings, fake_twilio, fake_deepgram, fake_openai, shop, catalog) -> Iterator[str]:
    """A second web process whose calls use the fake providers; it shares the test's Redis."""
    assert settings.REDIS_URL, "control messages between processes need the Redis channel layer"
    env = {
        "REDIS_URL": settings.REDIS_URL,
        "VOICE_ENGINE": "cascade",
        "TRANSFER_PHONE_NUMBER": "",
        "VOICE_IDLE_SECONDS": "60",
        "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": settings.TWILIO_PHONE_NUMBER,
        "TWILIO_API_BASE_URL": settings.TWILIO_API_BASE_URL,
        "DEEPGRAM_API_KEY": settings.DEEPGRAM_API_KEY,
        "DEEPGRAM_BASE_URL": settings.DEEPGRAM_BASE_URL,
        "OPENAI_API_KEY": settings.OPENAI_API_KEY,
        "OPENAI_BASE_URL": settings.OPENAI_BASE_URL,
    }
    with web_process(**env) as origin:
        yield origin


class SocketPhone:
    """Twilio's side of a media stream over a real socket: start, silence, marks echoed at once."""

    def __init__(self, stream: ClientConnection):
        self.stream = stream
        self.frames: list[dict[str, Any]] = []
        self.closed = False
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def dial(cls, origin: str, call: Any) -> SocketPhone:
        phone = cls(await connect(f"ws://{origin}/voice/stream/"))
        start = {
            "streamSid": STREAM_SID,
            "callSid": call.call_sid,
            "tracks": ["inbound"],
            "customParameters": stream_parameters(call),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await phone.stream.send(json.dumps({"event": "start", "start": start, "streamSid": STREAM_SID}))
        phone._tasks = [asyncio.create_task(phone._read()), asyncio.create_task(phone._talk())]
        return phone

    def heard(self, text: str) -> bool:
        audio = b"".join(
            base64.b64decode(f["media"]["payload"]) for f in self.frames if f["event"] == "media"
        )
        return fake_audio_for(text) in audio

    async def hang_up(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.stream.close()

    async def _read(self) -> None:
        async for text in self.stream:
            frame = json.loads(text)
            self.frames.append(frame)
            if frame["event"] == "mark":
                mark = {"event": "mark", "streamSid": STREAM_SID, "mark": frame["mark"]}
                await self.stream.send(json.dumps(mark))
        self.closed = True

    async def _talk(self) -> None:
        media = {"track": "inbound", "payload": base64.b64encode(FRAME).decode()}
        while True:
            await self.stream.send(json.dumps({"event": "media", "streamSid": STREAM_SID, "media": media}))
            await asyncio.sleep(0.02)


async def greeted_call(web: str, customer: Any, fake_deepgram: Any) -> tuple[Any, SocketPhone]:
    call = await database_sync_to_async(inbound_call)(from_number=customer.phone)
    phone = await SocketPhone.dial(web, call)
    await eventually(lambda: spoken(fake_deepgram), what="greeting sent to TTS")
    await eventually(lambda: phone.heard(spoken(fake_deepgram)[0]), what="greeting heard")
    return call, phone


async def test_say_and_end_call_from_another_process(web, customer, fake_deepgram, fake_twilio):
    call, phone = await greeted_call(web, customer, fake_deepgram)
    try:
        # Sent from this process (a thread, as a view or a Celery task would): the call lives in
        # the web process.
        await asyncio.to_thread(call_control_send, call.call_sid, "say", text=LINE)
        await eventually(lambda: phone.heard(LINE), what="the line said on the call")
        assert not call_updates(fake_twilio, call)

        await asyncio.to_thread(call_control_send, call.call_sid, "end_call")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=5)
    finally:
        await phone.hang_up()

    assert phone.heard(GOODBYE)
    [hang_up] = call_updates(fake_twilio, call)
    assert hang_up.value("Status") == "completed"


async def test_transfer_from_another_process(web, customer, fake_deepgram, fake_twilio):
    call, phone = await greeted_call(web, customer, fake_deepgram)
    try:
        await asyncio.to_thread(call_control_send, call.call_sid, "transfer", number="(312) 555-0199")
        await fake_twilio.await_for(lambda: call_updates(fake_twilio, call), within=5)
    finally:
        await phone.hang_up()

    assert phone.heard(TRANSFERRING)
    [transfer] = call_updates(fake_twilio, call)
    assert f"<Number>{ADVISOR}</Number>" in transfer.value("Twiml")
