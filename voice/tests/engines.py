"""An engine for tests: records what the session tells it and does what a test configures."""

import asyncio
from typing import Any

from voice.engines.base import CallContext, Engine
from voice.session import CallSession


class RecordingEngine(Engine):
    greeting: bytes = b""  # played as utterance "greeting" on start when set
    fail_start = False

    def __init__(self, created: list["RecordingEngine"]):
        self.session: CallSession | None = None
        self.call: CallContext | None = None
        self.audio = bytearray()
        self.frames = 0
        self.digits: list[str] = []
        self.idle: list[float] = []
        self.time_limits = 0
        self.controls: list[dict[str, Any]] = []
        self.stops = 0
        self.task: asyncio.Task[Any] | None = None  # like a real engine's turn task; stop() cancels it
        created.append(self)

    async def start(self, session: CallSession, call: CallContext) -> None:
        self.session, self.call = session, call
        if self.fail_start:
            raise ConnectionError("speech provider unreachable")
        if self.greeting:
            await session.play(self.greeting, label="greeting")

    async def on_audio(self, mulaw: bytes) -> None:
        self.frames += 1
        self.audio.extend(mulaw)

    async def on_dtmf(self, digit: str) -> None:
        self.digits.append(digit)

    async def on_idle(self, seconds: float) -> None:
        self.idle.append(seconds)

    async def on_time_limit(self) -> None:
        self.time_limits += 1

    async def on_control(self, message: dict[str, Any]) -> None:
        self.controls.append(message)

    async def stop(self) -> None:
        self.stops += 1
        if self.task is not None:
            self.task.cancel()
            await asyncio.sleep(0)  # as when closing a provider socket: the cancellation lands here
