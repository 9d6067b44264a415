"""End-to-end call helpers: a fake phone that plays Twilio on the media-stream WebSocket of the real
ASGI app, a caller whose words come from FakeDeepgram, readers for what FakeOpenAI was asked, and
`day_locked` (another booking holding a day's lock) for either engine's race tests.

Usage (in an async test marked django_db(transaction=True), with the fake_* fixtures):

    phone = await FakePhone.dial(call)          # connected + start; streams silence like Twilio
    await caller_says(fake_deepgram, "I need an oil change.")
    await phone.wait_for(lambda: phone.media_bytes > 0)
    await phone.hang_up()
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from channels.testing import WebsocketCommunicator
from django.db import connection, transaction

from dealership.asgi import application
from scheduling.models import ScheduleDay
from tests.fakes.deepgram_messages import (
    fake_audio_for,
    results_message,
    speech_started_message,
    utterance_end_message,
)
from tests.fakes.fake_deepgram import FakeDeepgram
from voice.models import Call
from voice.services import call_record_inbound
from voice.streams import stream_parameters

STREAM_SID = "MZ" + "5" * 32
SHOP_NUMBER = "+13125550100"
FRAME = b"\xff" * 160  # 20 ms of μ-law silence
LOUD_FRAME = b"\x10" * 160  # 20 ms of loud μ-law: the caller's voice (`phone.loud = True`)


def configure(settings: Any, *, transfer_number: str = "") -> None:
    """Settings for a live call on the cascade engine (the fake_* fixtures set the providers)."""
    settings.VOICE_ENGINE = "cascade"
    settings.TRANSFER_PHONE_NUMBER = transfer_number
    settings.VOICE_IDLE_SECONDS = 60
    settings.VOICE_MAX_CALL_SECONDS = 120
    settings.VOICE_STREAM_START_TIMEOUT = 5


def inbound_call(*, from_number: str = "+13125550147", call_sid: str = "CA" + "4" * 32) -> Call:
    """The call record as the inbound webhook makes it (caller matched to a customer by number)."""
    return call_record_inbound(
        call_sid=call_sid, from_number=from_number, to_number=SHOP_NUMBER, engine="cascade"
    )


async def eventually(condition: Callable[[], Any], within: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within}s")
        await asyncio.sleep(0.01)


class FakePhone:
    """Twilio's side of one media stream: sends start, audio, keys and stop; records every frame the
    server sends; echoes marks the way Twilio does once audio has played (at once, or held back
    with `echo_marks=False` to keep agent audio "playing", released by `release_marks`)."""

    def __init__(self, call: Call, *, echo_marks: bool = True, stream_audio: bool = True):
        self.call = call
        self.echo_marks = echo_marks
        self.stream = WebsocketCommunicator(application, "/voice/stream/")
        self.frames: list[dict[str, Any]] = []
        self.held_marks: list[str] = []
        self.echoed: list[str] = []
        self.closed = False
        self._stream_audio = stream_audio
        self.loud = False  # True: the streamed audio is the caller's voice, not silence
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def dial(cls, call: Call, *, parameters: dict[str, str] | None = None, **options: Any) -> FakePhone:
        """Start the stream; `parameters` adds <Parameter>s (e.g. what a reminder webhook sends)."""
        phone = cls(call, **options)
        connected, _ = await phone.stream.connect()
        assert connected
        await phone.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await phone.send(
            {
                "event": "start",
                "sequenceNumber": "1",
                "start": {
                    "accountSid": "AC" + "0" * 32,
                    "streamSid": STREAM_SID,
                    "callSid": call.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": stream_parameters(call, **(parameters or {})),
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
                "streamSid": STREAM_SID,
            }
        )
        phone.started_at = time.monotonic()
        phone._tasks.append(asyncio.create_task(phone._read()))
        if phone._stream_audio:
            phone._tasks.append(asyncio.create_task(phone._talk()))
        return phone

    async def send(self, frame: dict[str, Any]) -> None:
        await self.stream.send_json_to(frame)

    async def press(self, digit: str) -> None:
        await self.send(
            {"event": "dtmf", "streamSid": STREAM_SID, "dtmf": {"track": "inbound_track", "digit": digit}}
        )

    async def release_marks(self, count: int | None = None) -> None:
        """Echo the first `count` held marks (all by default): that much agent audio was heard."""
        names = self.held_marks[: len(self.held_marks) if count is None else count]
        del self.held_marks[: len(names)]
        for name in names:
            await self._echo(name)

    async def _echo(self, name: str) -> None:
        self.echoed.append(name)
        await self.send({"event": "mark", "streamSid": STREAM_SID, "mark": {"name": name}})

    @property
    def all_heard(self) -> bool:
        """Every mark the server sent has been echoed: nothing is left playing."""
        return len(self.echoed) == len(self.events("mark"))

    async def hang_up(self) -> None:
        """The caller hangs up: `stop`, then the socket closes and the engine stops."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if not self.closed:
            await self.send(
                {"event": "stop", "streamSid": STREAM_SID, "stop": {"callSid": self.call.call_sid}}
            )
        await self.stream.disconnect(timeout=15)

    # --- what the phone received --------------------------------------------------------------------

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["event"] == kind]

    @property
    def audio(self) -> bytes:
        """All agent audio received, in order."""
        return b"".join(base64.b64decode(f["media"]["payload"]) for f in self.events("media"))

    @property
    def media_bytes(self) -> int:
        return len(self.audio)

    def heard(self, text: str) -> bool:
        """Whether the fake TTS audio for `text` (as sent to TTS) reached the phone."""
        return fake_audio_for(text) in self.audio

    def marks_sent(self) -> list[str]:
        return [f["mark"]["name"] for f in self.events("mark")]

    async def played_out(self, text: str) -> None:
        """Wait until the agent's `text` (as sent to TTS) has played and every mark is echoed, so the
        reply speaking it has finished (its record says it was heard in full)."""
        await self.wait_for(lambda: self.heard(text) and self.all_heard, what=f"{text!r} played out")
        await asyncio.sleep(0.2)

    async def wait_for(
        self, condition: Callable[[], Any], within: float = 5.0, what: str = "condition"
    ) -> None:
        await eventually(condition, within, what)

    async def _read(self) -> None:
        # Straight from the output queue: receive_output's timeout would cancel the application.
        while True:
            message = await self.stream.output_queue.get()
            if message["type"] == "websocket.close":
                self.closed = True
                return
            if message["type"] != "websocket.send":
                continue
            frame = json.loads(message["text"])
            self.frames.append(frame)
            if frame["event"] == "mark":
                if self.echo_marks:
                    await self._echo(frame["mark"]["name"])
                else:
                    self.held_marks.append(frame["mark"]["name"])
            elif frame["event"] == "clear":
                # Twilio echoes the marks of the audio it flushed too; they were never heard.
                await self.release_marks()

    async def _talk(self) -> None:
        frames = {
            loud: {
                "event": "media",
                "streamSid": STREAM_SID,
                "media": {"track": "inbound", "payload": base64.b64encode(audio).decode()},
            }
            for loud, audio in ((False, FRAME), (True, LOUD_FRAME))
        }
        while not self.closed:
            await self.send(frames[self.loud])
            await asyncio.sleep(0.02)


# --- the caller's voice, through FakeDeepgram ----------------------------------------------------------


async def listening(fake_deepgram: FakeDeepgram, sessions: int = 1) -> None:
    """Wait until the engine has opened `sessions` speech-recognition sockets."""
    await fake_deepgram.await_for(lambda: len(fake_deepgram.listen_sessions) >= sessions, within=5)


async def caller_says(
    fake_deepgram: FakeDeepgram,
    text: str,
    *,
    ends_with: str = "speech_final",
    interim: bool = True,
    language: str | None = None,
) -> None:
    """Deepgram's events for the caller saying `text`: SpeechStarted, an interim result, the final
    result (with speech_final, or followed by UtteranceEnd when `ends_with="utterance_end"`).
    `language` ("es"): the results carry it as Deepgram's multilingual model reports languages."""
    await listening(fake_deepgram)
    heard = fake_deepgram.listen.audio_bytes / 8000
    duration = min(1.0, heard)
    start = heard - duration
    messages = [speech_started_message(start)]
    if interim:
        words = text.split()
        messages.append(
            results_message(
                " ".join(words[: max(1, len(words) // 2)]),
                is_final=False,
                speech_final=False,
                language=language,
            )
        )
    if ends_with == "speech_final":
        messages.append(results_message(text, start=start, duration=duration, language=language))
    else:
        messages.append(
            results_message(text, start=start, duration=duration, speech_final=False, language=language)
        )
        messages.append(utterance_end_message(start + duration))
    await asyncio.to_thread(fake_deepgram.emit, *messages)


async def caller_starts_talking(fake_deepgram: FakeDeepgram, words: str) -> None:
    """Voice activity and an interim transcript only: what a barge-in looks like to us."""
    await asyncio.to_thread(
        fake_deepgram.emit,
        speech_started_message(),
        results_message(words, is_final=False, speech_final=False),
    )


async def caller_pauses_after(phone: FakePhone, fake_deepgram: FakeDeepgram, words: str) -> None:
    """The caller speaks (loud audio), Deepgram hears `words` so far (an interim), then the caller
    falls silent: a likely end of turn, before any final transcript."""
    await listening(fake_deepgram)
    phone.loud = True
    await asyncio.to_thread(
        fake_deepgram.emit,
        speech_started_message(),
        results_message(words, is_final=False, speech_final=False),
    )
    await asyncio.sleep(0.25)
    phone.loud = False


async def caller_goes_on(phone: FakePhone, fake_deepgram: FakeDeepgram, words: str) -> None:
    """After a pause the caller speaks again; Deepgram's interim grows to `words`."""
    phone.loud = True
    await asyncio.sleep(0.1)
    await asyncio.to_thread(fake_deepgram.emit, results_message(words, is_final=False, speech_final=False))
    await asyncio.sleep(0.15)
    phone.loud = False


async def final_transcript(fake_deepgram: FakeDeepgram, text: str) -> None:
    """Deepgram's endpointing: the final result for the turn (speech_final)."""
    await asyncio.to_thread(fake_deepgram.emit, results_message(text))


def spoken(fake_deepgram: FakeDeepgram) -> list[str]:
    """Every text the engine sent to TTS, over all its speak sockets."""
    return [text for session in list(fake_deepgram.speak_sessions) for text in session.texts]


async def greeted(phone: FakePhone, fake_deepgram: FakeDeepgram) -> str:
    """Wait until the greeting has fully played (marks echoed); returns its text as sent to TTS."""
    await phone.wait_for(lambda: spoken(fake_deepgram), what="greeting sent to TTS")
    greeting = spoken(fake_deepgram)[0]
    await phone.played_out(greeting)
    return greeting


# --- what FakeOpenAI was asked --------------------------------------------------------------------------


def last_message(request: dict[str, Any]) -> dict[str, Any]:
    return request["messages"][-1]


def tool_results(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool name -> parsed result, for every tool result in the request's messages."""
    names = {
        call["id"]: call["function"]["name"]
        for message in request["messages"]
        for call in message.get("tool_calls") or []
    }
    return {
        names[m["tool_call_id"]]: json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"
    }


def last_tool_result(request: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(tool name, result) when the request ends with a tool result, else None."""
    last = last_message(request)
    if last["role"] != "tool":
        return None
    names = {
        call["id"]: call["function"]["name"]
        for message in request["messages"]
        for call in message.get("tool_calls") or []
    }
    return names[last["tool_call_id"]], json.loads(last["content"])


def caller_lines(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def agent_lines(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "assistant" and m.get("content")]


@contextlib.contextmanager
def day_locked(day: str) -> Iterator[threading.Event]:
    """Another advisor's booking holds the day's lock, so a booking on that day waits for it."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ScheduleDay.objects.get_or_create(date=day)
                list(ScheduleDay.objects.select_for_update().filter(date=day))
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(5)
    try:
        yield release
    finally:
        release.set()
        thread.join(10)
