"""The realtime call's transcript: caller and agent turns recorded in the order they were spoken.

Facts about a turn arrive late and out of order: the caller's transcript comes asynchronously after
their speech was committed (often after the agent started answering), and what the caller heard of
an agent item is known only once Twilio echoed its marks or a barge-in cut it. So each turn takes its
place in the log when it starts (`TurnLog.add`) and is written once its facts are in (or a bounded
wait ran out), keeping the transcript in conversation order.

Latency figures (monotonic times; "end of speech" is where the caller's audio ended, via AudioClock):
- caller `stt_ms`: end of speech → their transcript arrived;
- agent `llm_first_token_ms`: the model was asked (speech_stopped for a turn the server answered, our
  response.create otherwise) → first audio or transcript delta of the response;
- agent `tts_first_byte_ms`: response.created → the item's first audio delta (speech-to-speech has no
  separate TTS: this is the model's time to its first audio byte once it started the response);
- agent `response_ms`: end of the caller's speech (or key press) → first agent audio sent to Twilio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from voice.agent.heard import SpokenSentence, heard_text
from voice.agent.records import CallRecorder, ms_between

if TYPE_CHECKING:
    from integrations.realtime import RealtimeSession
    from voice.engines.realtime.responses import Response
    from voice.transport import CallTransport

HISTORY_LINES = 40


class Entry(Protocol):
    ready: asyncio.Future[None]
    wait: float

    def fields(self) -> dict[str, Any] | None: ...

    def settle(self) -> None: ...


def _future() -> asyncio.Future[None]:
    return asyncio.get_running_loop().create_future()


@dataclass(eq=False)
class CallerEntry:
    """One caller turn: speech from speech_started to speech_stopped, or keypad digits."""

    item_id: str
    started_at: float | None = None
    stopped_at: float | None = None  # speech_stopped reached us
    ended_at: float | None = None  # the audio where speech ended reached us
    text: str = ""
    transcribed_at: float | None = None
    keypad: bool = False
    wait: float = 5.0
    ready: asyncio.Future[None] = field(default_factory=_future, repr=False)

    def transcribed(self, text: str, at: float) -> None:
        self.text, self.transcribed_at = text.strip(), at
        self.settle()

    def settle(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def fields(self) -> dict[str, Any] | None:
        if not self.text:
            return None  # noise, or the transcription never came
        return {
            "role": "caller",
            "text": self.text,
            "started_at": self.started_at,
            "stt_ms": None if self.keypad else ms_between(self.ended_at, self.transcribed_at),
        }


@dataclass(eq=False)
class AgentItem:
    """One assistant audio item (Twilio label = item id) and what the caller heard of it."""

    item_id: str
    response: Response
    index: int  # position among the response's audio items
    session: CallTransport
    rt: RealtimeSession
    parts: list[str] = field(default_factory=list)
    transcript: str | None = None
    audio_bytes: int = 0
    first_audio_at: float | None = None
    first_sent_at: float | None = None
    audio_done: bool = False
    heard: bool | None = None  # None: not known yet
    wait: float = 65.0
    ready: asyncio.Future[None] = field(default_factory=_future, repr=False)

    @property
    def text(self) -> str:
        return (self.transcript if self.transcript is not None else "".join(self.parts)).strip()

    def text_final(self, text: str | None = None) -> None:
        if text is not None:
            self.transcript = text
        elif self.transcript is None:
            self.transcript = "".join(self.parts)
        self._maybe_ready()

    def heard_is(self, heard: bool) -> None:
        self.heard = heard
        self._maybe_ready()

    def _maybe_ready(self) -> None:
        if self.transcript is not None and self.heard is not None:
            self.settle()

    def settle(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)

    def heard_part(self) -> tuple[str, bool]:
        """(what the caller heard, whether the item was cut short)."""
        utterance = self.session.utterance(self.item_id)
        heard = self.heard
        if heard is None:  # the call ended first: judge by the marks that came back
            heard = utterance is None or utterance.fully_heard
        if heard:
            return self.text, False
        sent = utterance.sent_bytes if utterance is not None else 0
        played = utterance.heard_bytes if utterance is not None else 0
        # The transcript covers the audio generated, which can be more than was sent before the cut.
        total = max(self.audio_bytes, sent, 1)
        text, _ = heard_text([SpokenSentence(self.text, total, min(played, total - 1))])
        return text, True

    def fields(self) -> dict[str, Any] | None:
        text = self.text
        if not text:
            return None
        heard, cut = self.heard_part()
        first = self.index == 0
        response = self.response
        return {
            "role": "agent",
            "text": text,
            "started_at": self.first_sent_at,
            "interrupted": cut,
            "heard_text": heard if cut else "",
            "llm_first_token_ms": ms_between(response.started_at, response.first_delta_at) if first else None,
            "tts_first_byte_ms": ms_between(response.created_at, self.first_audio_at),
            "response_ms": ms_between(response.trigger_end, self.first_sent_at) if first else None,
        }


class TurnLog:
    """Turn records in conversation order. `history` keeps the written turns as short lines (for
    the summary that seeds a replacement session); `note()` adds other facts to it."""

    def __init__(self, recorder: CallRecorder, *, log: logging.LoggerAdapter | logging.Logger):
        self._recorder = recorder
        self._log = log
        self._entries: deque[Entry] = deque()
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._history: list[str] = []

    def add(self, entry: Entry) -> None:
        self._entries.append(entry)
        self._drained.clear()
        self._wakeup.set()
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._drain())

    def note(self, line: str) -> None:
        self._history.append(line)

    def history(self) -> list[str]:
        """The conversation so far, including turns still waiting for their facts."""
        pending = [line for entry in self._entries if (line := _line(entry.fields())) is not None]
        return (self._history + pending)[-HISTORY_LINES:]

    async def close(self, *, within: float = 3.0) -> None:
        """Write every entry with what is known now. Never raises."""
        for entry in self._entries:
            entry.settle()
        if self._worker is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), within)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker

    async def _drain(self) -> None:
        while True:
            if not self._entries:
                self._drained.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            entry = self._entries[0]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(entry.ready), entry.wait)
            self._entries.popleft()
            try:
                fields = entry.fields()
            except Exception:
                self._log.exception("a turn could not be recorded")
                continue
            if fields is not None:
                self._recorder.turn(**fields)
                if (line := _line(fields)) is not None:
                    self._history.append(line)


def _line(fields: dict[str, Any] | None) -> str | None:
    if not fields:
        return None
    if fields["role"] == "caller":
        return f"Caller: {fields['text']}"
    if fields.get("interrupted"):
        return f"You: {fields.get('heard_text') or '…'} (cut off there)"
    return f"You: {fields['text']}"
