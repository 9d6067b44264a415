"""End-to-end helpers for calls on the realtime engine: the fake phone of tests/calls.py on the real
ASGI app, and FakeRealtime as the model (its `on_response_create` hook is the model's brain).

    fake_realtime.on_response_create = Brain(answer=lambda session, event: Say("Sure."))
    phone = await FakePhone.dial(call)
    await greeted(phone, fake_realtime)
    await caller_says(fake_realtime, "I need an oil change.")
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from tests.calls import FakePhone, configure, eventually
from tests.fakes.fake_realtime import FakeRealtime, Say, Session
from tests.fakes.realtime_responses import Part
from voice.engines.realtime.responses import SAY_EXACTLY
from voice.models import Call
from voice.services import call_record_inbound

SHOP_NUMBER = "+13125550100"
_LINE = re.compile(re.escape(SAY_EXACTLY).replace(re.escape("{text}"), "(.*)") + r"\Z", re.DOTALL)


def configure_realtime(settings: Any, *, transfer_number: str = "") -> None:
    configure(settings, transfer_number=transfer_number)
    settings.VOICE_ENGINE = "realtime"
    settings.REALTIME_TURN_DETECTION = None
    settings.REALTIME_TRANSCRIPTION_MODEL = "gpt-4o-mini-transcribe"


def realtime_call(*, from_number: str, call_sid: str = "CA" + "7" * 32) -> Call:
    return call_record_inbound(
        call_sid=call_sid, from_number=from_number, to_number=SHOP_NUMBER, engine="realtime"
    )


def scripted_line(event: dict[str, Any]) -> str | None:
    """The words a response.create asks the model to say word for word, if it does."""
    instructions = (event.get("response") or {}).get("instructions") or ""
    match = _LINE.search(instructions)
    return match.group(1) if match else None


Answer = Callable[[Session, dict[str, Any]], Part | list[Part] | None]


class Brain:
    """The fake model: says a scripted line word for word, otherwise `answer(session, trigger)`.
    `triggers` records what started each response, `detections` the turn detection in force then,
    `lines` the scripted lines."""

    def __init__(self, answer: Answer | None = None, *, ms_per_word: int = 100):
        self.answer = answer
        self.ms_per_word = ms_per_word
        self.lines: list[str] = []
        self.triggers: list[dict[str, Any]] = []
        self.detections: list[dict[str, Any]] = []

    def __call__(self, session: Session, event: dict[str, Any]) -> Part | list[Part] | None:
        self.triggers.append(event)
        self.detections.append(dict(session.turn_detection or {}))
        line = scripted_line(event)
        if line is not None:
            self.lines.append(line)
            return Say(line, ms_per_word=self.ms_per_word)
        return self.answer(session, event) if self.answer else None


def said(session: Session) -> list[str]:
    """What the fake model said, response by response (the transcript of each Say)."""
    return [part.text for response in session.responses for part in response.parts if isinstance(part, Say)]


async def connected(fake: FakeRealtime, sessions: int = 1) -> None:
    await fake.await_for(lambda: len(fake.sessions) >= sessions, within=5)


async def greeted(phone: FakePhone, fake: FakeRealtime) -> None:
    """Wait until the greeting was generated and played (every mark echoed), and turn detection
    may interrupt again."""
    await connected(fake)
    session = fake.session
    await phone.wait_for(
        lambda: session.responses and session.responses[0].finished, what="greeting generated"
    )
    await phone.wait_for(lambda: phone.media_bytes and phone.all_heard, what="greeting played")
    await fake.await_for(lambda: (session.turn_detection or {}).get("interrupt_response") is True)


async def caller_says(
    fake: FakeRealtime, text: str, *, speech_ms: int = 1000, language: str | None = None
) -> str:
    """The server's turn detection hears the caller say `text`: speech_started, speech_stopped
    (which makes the server answer, with create_response on) and the transcript. Returns the item id."""
    session = fake.session
    end = max(speech_ms, session.audio_bytes // 8)
    item_id = await asyncio.to_thread(fake.speech_started, end - speech_ms)
    await asyncio.to_thread(fake.speech_stopped, end, item_id=item_id)
    await asyncio.to_thread(fake.caller_transcript, text, item_id=item_id, language=language)
    return item_id


async def finished(fake: FakeRealtime, count: int, within: float = 5.0) -> None:
    """Wait until the latest session has `count` finished responses."""
    session = fake.session
    await eventually(
        lambda: len([r for r in session.responses if r.finished]) >= count, within, f"{count} responses"
    )
