"""The agent's voice: sentences to Deepgram streaming TTS, μ-law audio to the caller via transport.play().

One TTS socket serves the whole call. Each sentence is sent once (rewritten for the ear; the
conversation keeps the original) and flushed once, so Deepgram synthesizes sentences in order and
answers each with its audio and then `Flushed`: the audio goes out as the utterance `label` and the
Flushed ends it (`final=True`). `clear()` is the barge-in: queued sentences are dropped and audio of
earlier text is discarded until Deepgram confirms with `Cleared`.

A dropped or stalled socket is replaced (the unfinished sentences are sent again); when that fails,
`on_broken` tells the engine, which has Twilio speak instead.

The voice follows the caller's language (`use_voice`, a voice per language in DEEPGRAM_TTS_VOICES):
a Deepgram socket speaks with one voice, so the next sentence after a change goes to a new socket
once what the old voice was saying has been sent; if the new voice cannot be reached, the old one
goes on speaking (never silence).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.conf import settings

from integrations.errors import ProviderError
from integrations.tts import Audio, Cleared, DeepgramSpeaker, Flushed, TtsEvent
from voice.agent.ear import for_the_ear
from voice.transport import CallTransport

STALL_SECONDS = 5.0  # no audio for a queued sentence this long = a dead socket


def tts_voice(language: str) -> str:
    """The Deepgram voice for `language` (DEEPGRAM_TTS_VOICES), DEEPGRAM_TTS_MODEL when it has none."""
    return settings.DEEPGRAM_TTS_VOICES.get(language) or settings.DEEPGRAM_TTS_MODEL


@dataclass(eq=False)
class Sentence:
    """One flushed piece of agent speech and its timings (monotonic)."""

    text: str
    label: str
    done: asyncio.Future[bool] = field(repr=False)  # True: all its audio was sent; False: dropped
    spoken_at: float = 0.0  # sent to TTS
    first_audio_at: float | None = None  # first TTS byte received
    first_sent_at: float | None = None  # first audio sent to the caller

    def finish(self, delivered: bool) -> None:
        if not self.done.done():
            self.done.set_result(delivered)


class SpeechOut:
    def __init__(
        self,
        transport: CallTransport,
        *,
        call_sid: str,
        on_broken: Callable[[ProviderError], Awaitable[None]],
        stall_seconds: float = STALL_SECONDS,
        max_reconnects: int = 2,
    ):
        self.transport = transport
        self.call_sid = call_sid
        self.broken = False
        self._on_broken = on_broken
        self._stall = stall_seconds
        self._max_reconnects = max_reconnects
        self._reconnects = 0
        self._tts: DeepgramSpeaker | None = None
        self._queue: deque[Sentence] = deque()
        self._awaiting_cleared = 0
        self._last_progress = 0.0
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._voice: str = settings.DEEPGRAM_TTS_MODEL
        self._wanted_voice: str | None = None

    def use_voice(self, voice: str) -> None:
        """Speak the next sentences with `voice` (a Deepgram model such as aura-2-celeste-es)."""
        self._wanted_voice = voice

    async def open(self) -> None:
        """Connect (one retry) and start reading audio. Raises ProviderError if that fails."""
        try:
            self._tts = await self._connect()
        except ProviderError as exc:
            if exc.permanent:
                raise
            self._tts = await self._connect()
        self._reader = self.transport.tasks.spawn(self._read(), name="tts-reader")

    async def say(self, text: str, label: str) -> Sentence:
        """Queue `text` as utterance `label`; await `sentence.done` to know it was all sent."""
        sentence = Sentence(text, label, asyncio.get_running_loop().create_future())
        if self.broken or self._tts is None:
            sentence.finish(False)
            return sentence
        if self._wanted_voice not in (None, self._voice):
            await self._switch_voice()
        async with self._lock:
            if not self._queue:
                self._last_progress = time.monotonic()
            self._queue.append(sentence)
            sentence.spoken_at = time.monotonic()
            await self._send(sentence)
        return sentence

    async def clear(self) -> None:
        """Barge-in: drop every queued sentence and stop Deepgram's audio for them."""
        if not self._queue:
            return
        async with self._lock:
            for sentence in self._queue:
                sentence.finish(False)
            self._queue.clear()
            self._awaiting_cleared += 1
            with contextlib.suppress(ProviderError):
                if self._tts is not None:
                    await self._tts.clear()

    async def close(self) -> None:
        """Close the socket; queued sentences are dropped. Never raises."""
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        for sentence in self._queue:
            sentence.finish(False)
        self._queue.clear()
        tts, self._tts = self._tts, None
        if tts is not None:
            with contextlib.suppress(Exception):
                await tts.close()

    async def _connect(self, voice: str | None = None) -> DeepgramSpeaker:
        tts = DeepgramSpeaker(call_sid=self.call_sid, model=voice or self._voice)
        await tts.start()
        return tts

    async def _switch_voice(self) -> None:
        """Move to the wanted voice: let the old voice finish what was queued (bounded), open a
        socket with the new one, then close the old (its reader moves on to the new socket)."""
        voice = self._wanted_voice
        if self._queue:
            pending = [sentence.done for sentence in self._queue]
            await asyncio.wait(pending, timeout=self._stall * 2)
        async with self._lock:
            if voice in (None, self._voice) or self._tts is None or self.broken:
                return
            try:
                new = await self._connect(voice)
            except ProviderError as exc:
                self.transport.log.warning(
                    "voice %s unavailable (%s); keeping the current one", voice, exc.message
                )
                self._wanted_voice = self._voice
                return
            old, self._tts, self._voice = self._tts, new, voice
            for sentence in self._queue:
                sentence.finish(False)  # only after the bounded wait: a stalled sentence of the old voice
            self._queue.clear()
            self._awaiting_cleared = 0
            self.transport.log.info("speech synthesis voice now %s", voice)
        with contextlib.suppress(Exception):
            await old.close()

    async def _send(self, sentence: Sentence) -> None:
        assert self._tts is not None
        try:
            await self._tts.speak(for_the_ear(sentence.text))
            await self._tts.flush()
        except ProviderError:
            pass  # the reader notices the dead socket and sends the queue again on a new one

    async def _read(self) -> None:
        while self._tts is not None:
            tts = self._tts
            try:
                await self._pump(tts)
                if self._tts is tts or self._tts is None:
                    return  # closed by us
                # else the voice changed: read the new socket
            except ProviderError as exc:
                if self._tts is not tts:
                    continue  # the old voice's socket, replaced on purpose
                if not await self._replace(tts, exc):
                    return

    async def _pump(self, tts: DeepgramSpeaker) -> None:
        while True:
            try:
                async with asyncio.timeout(0.5):
                    event = await anext(tts)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if self._queue and time.monotonic() - self._last_progress > self._stall:
                    raise ProviderError(
                        "Deepgram speech synthesis stalled", permanent=False, provider="deepgram"
                    ) from None
                continue
            await self._handle(event)

    async def _handle(self, event: TtsEvent) -> None:
        if isinstance(event, Cleared):
            self._awaiting_cleared = max(0, self._awaiting_cleared - 1)
            return
        if self._awaiting_cleared or not self._queue:
            return  # audio or Flushed of text that was cleared
        self._last_progress = time.monotonic()
        sentence = self._queue[0]
        if isinstance(event, Audio):
            if sentence.first_audio_at is None:
                sentence.first_audio_at = event.received_at
            played = await self.transport.play(event.data, label=sentence.label, final=False)
            if played and sentence.first_sent_at is None:
                sentence.first_sent_at = time.monotonic()
        elif isinstance(event, Flushed):
            self._queue.popleft()
            await self.transport.play(b"", label=sentence.label, final=True)
            sentence.finish(True)

    async def _replace(self, dead: DeepgramSpeaker, exc: ProviderError) -> bool:
        async with self._lock:
            with contextlib.suppress(Exception):
                await dead.close()
            if self._reconnects < self._max_reconnects:
                self._reconnects += 1
                self.transport.log.warning("speech synthesis failed (%s); reconnecting", exc.message)
                try:
                    self._tts = await self._connect()
                except ProviderError as again:
                    exc = again
                else:
                    self._awaiting_cleared = 0
                    self._last_progress = time.monotonic()
                    for sentence in self._queue:
                        await self._send(sentence)
                    return True
            self.transport.log.error("speech synthesis lost for good: %s", exc.message)
            self.broken = True
            self._tts = None
            for sentence in self._queue:
                sentence.finish(False)
            self._queue.clear()
        await self._on_broken(exc)
        return False
