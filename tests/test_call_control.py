"""Control messages reach a live call in another web process (Redis channel layer, group
`call.<CallSid>`): `say` makes the agent say a line, `end_call` says goodbye and hangs up,
`transfer` dials the given number once the agent has finished what it was saying."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from websockets.asyncio.client import ClientConnection, connect

from tests.calls import FRAME, STREAM_SID, eventually, inbound_call, spoken
from tests.fakes.deepgram_messages import fake_audio_for
from tests.web_process import web_process
from voice.agent.control import GOODBYE, TRANSFERRING
from voice.control import call_control_send
from voice.streams import stream_parameters

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ADVISOR = "+13125550199"
LINE = "An advisor will be with you in just a moment."


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
        assert not fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")

        await asyncio.to_thread(call_control_send, call.call_sid, "end_call")
        await fake_twilio.await_for(lambda: fake_twilio.requests_to(f"/Calls/{call.call_sid}.json"), within=5)
    finally:
        await phone.hang_up()

    assert phone.heard(GOODBYE)
    [hang_up] = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")
    assert hang_up.value("Status") == "completed"


async def test_transfer_from_another_process(web, customer, fake_deepgram, fake_twilio):
    call, phone = await greeted_call(web, customer, fake_deepgram)
    try:
        await asyncio.to_thread(call_control_send, call.call_sid, "transfer", number="(312) 555-0199")
        await fake_twilio.await_for(lambda: fake_twilio.requests_to(f"/Calls/{call.call_sid}.json"), within=5)
    finally:
        await phone.hang_up()

    assert phone.heard(TRANSFERRING)
    [transfer] = fake_twilio.requests_to(f"/Calls/{call.call_sid}.json")
    assert f"<Number>{ADVISOR}</Number>" in transfer.value("Twiml")
