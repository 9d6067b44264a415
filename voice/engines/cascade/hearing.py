"""The caller's audio to Deepgram and Deepgram's events back, surviving a dropped socket.

`feed()` is all `on_audio` does: it appends the frame to a bounded buffer (the oldest frames go when
it is full) and wakes the writer task, which forwards the μ-law as it is to the transcriber, every
SEND_EVERY seconds whatever has arrived. A socket
that drops is replaced once by a new transcriber and the call goes on; if that fails too, `on_lost`
tells the engine, which apologises and hands the call over. While a caller turn is open the writer
also shows each batch to `pause` (speculation.PauseWatch), which notices the caller going quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from integrations.errors import ProviderError
from integrations.stt import DeepgramLiveTranscriber, SttEvent
from voice.agent.audio_clock import AudioClock
from voice.call_tasks import CallTasks
from voice.engines.cascade.speculation import PauseWatch

MAX_BUFFERED_FRAMES = 250  # 5 s of 20 ms frames while the transcriber (re)connects
# Twilio sends 20 ms frames; forwarding 40 ms at a time halves the socket writes per call for at
# most 20 ms of added delay (Deepgram times speech by the audio, not by when it arrives).
SEND_EVERY = 0.04


class AudioPipe:
    """A bounded buffer of (frame, arrival time) between `on_audio` and the writer task."""

    def __init__(self, max_frames: int = MAX_BUFFERED_FRAMES):
        self._frames: deque[tuple[bytes, float]] = deque(maxlen=max_frames)
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, frame: bytes) -> None:
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append((frame, time.monotonic()))
        self._ready.set()

    async def take(self) -> list[tuple[bytes, float]]:
        """Everything buffered (at least one frame), oldest first."""
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        batch = list(self._frames)
        self._frames.clear()
        return batch


class Listener:
    """One call's speech recognition: audio in through `feed()`, events out through `on_event`."""

    def __init__(
        self,
        *,
        call_sid: str,
        log: Any,
        on_event: Callable[[SttEvent], Awaitable[None]],
        on_lost: Callable[[ProviderError], Awaitable[None]],
        tasks: CallTasks,
        max_reconnects: int = 3,
    ):
        self.call_sid = call_sid
        self.log = log
        self.clock = AudioClock()
        self.pipe = AudioPipe()
        self.reconnects = 0
        self._on_event = on_event
        self._on_lost = on_lost
        self._max_reconnects = max_reconnects
        self._stt: DeepgramLiveTranscriber | None = None
        self._connected = asyncio.Event()
        self._call_tasks = tasks
        self._tasks: list[asyncio.Task[None]] = []  # this listener's writer and reader
        self.pause: PauseWatch | None = None  # set by the engine when replies may be speculative
        self.finalize_on_pause = False  # nova-3 speculation: flush Deepgram when the caller goes quiet
        self.finalized = 0  # Finalize messages sent in this call (logged at the end)

    def feed(self, frame: bytes) -> None:
        self.pipe.put(frame)

    async def open(self) -> None:
        """Connect (one retry) and start forwarding. Raises ProviderError if Deepgram is unreachable."""
        try:
            stt = await self._connect()
        except ProviderError as exc:
            if exc.permanent:
                raise
            stt = await self._connect()
        self._use(stt)
        spawn = self._call_tasks.spawn
        self._tasks = [spawn(self._write(), name="stt-writer"), spawn(self._read(), name="stt-reader")]

    async def close(self) -> None:
        """Stop forwarding and close the transcriber. Never raises."""
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        for task in self._tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        stt, self._stt = self._stt, None
        if stt is not None:
            with contextlib.suppress(Exception):
                await stt.close()

    async def _connect(self) -> DeepgramLiveTranscriber:
        stt = DeepgramLiveTranscriber(call_sid=self.call_sid)
        await stt.start()
        return stt

    def _use(self, stt: DeepgramLiveTranscriber) -> None:
        self._stt = stt
        self.clock.reset()  # a new socket's audio positions start at zero
        self._connected.set()

    async def _write(self) -> None:
        while True:
            batch = await self.pipe.take()
            audio = b"".join(frame for frame, _ in batch)
            pause = self.pause
            went_quiet = False
            if pause is not None and pause.watching:
                was_paused = pause.paused
                pause.heard(audio, batch[0][1], batch[-1][1])
                went_quiet = pause.paused and not was_paused
            await self._connected.wait()  # frames wait in the pipe while reconnecting
            stt = self._stt
            if stt is None:
                continue
            for frame, arrived_at in batch:
                self.clock.sent(len(frame), arrived_at)
            try:
                await stt.send_audio(audio)
                if went_quiet and self.finalize_on_pause:
                    # The caller went quiet: have Deepgram finalize what it heard now rather than
                    # after its own endpointing (300 ms) plus its final's delay. The speculative
                    # reply then starts on the final words, not on an interim that may differ.
                    await stt.finalize()
                    self.finalized += 1
            except ProviderError:
                continue  # the reader sees the drop and reconnects
            await asyncio.sleep(SEND_EVERY)

    async def _read(self) -> None:
        while True:
            stt = self._stt
            if stt is None:
                return
            try:
                async for event in stt:
                    try:
                        await self._on_event(event)
                    except Exception:
                        self.log.exception("speech recognition event could not be handled")
                return  # closed by us
            except ProviderError as exc:
                if not await self._reconnect(stt, exc):
                    return

    async def _reconnect(self, dead: DeepgramLiveTranscriber, exc: ProviderError) -> bool:
        self._connected.clear()
        self._stt = None
        with contextlib.suppress(Exception):
            await dead.close()
        if self.reconnects >= self._max_reconnects:
            self.log.error("speech recognition lost for good: %s", exc.message)
            await self._on_lost(exc)
            return False
        self.reconnects += 1
        self.log.warning("speech recognition dropped (%s); reconnecting", exc.message)
        try:
            self._use(await self._connect())
        except ProviderError as again:
            self.log.error("speech recognition could not reconnect: %s", again.message)
            await self._on_lost(again)
            return False
        return True
