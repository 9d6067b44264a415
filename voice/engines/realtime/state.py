"""What the realtime engine's parts share: the call's objects, the response bookkeeping, timings."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voice.agent.flow import DTMF_GATHER_SECONDS
from voice.agent.tooling import FILLER_AFTER_SECONDS

if TYPE_CHECKING:
    from integrations.realtime import RealtimeSession
    from voice.agent.actions import CallActions
    from voice.agent.audio_clock import AudioClock
    from voice.agent.context import AgentSetup
    from voice.agent.flow import CallFlow
    from voice.agent.records import CallRecorder
    from voice.agent.tooling import ToolRunner
    from voice.engines.base import CallContext
    from voice.engines.realtime.responses import Request, Response, TurnDetection
    from voice.engines.realtime.turns import AgentItem, CallerEntry, TurnLog
    from voice.transport import CallTransport


@dataclass(frozen=True)
class Timings:
    """Seconds (and the reconnect budget). Tests may shorten them on RealtimeEngine.timings."""

    dtmf_gather: float = DTMF_GATHER_SECONDS
    heard_wait: float = 60.0  # a line's audio to be heard before its `then` runs
    tool_wait: float = 20.0  # tool results before the model is answered anyway
    filler_after: float = FILLER_AFTER_SECONDS  # a silent tool call's running time before the hold line
    transcript_wait: float = 5.0  # a caller transcript before the turn is skipped in the record
    request_wait: float = 10.0  # a response.create the server neither starts nor refuses
    max_reconnects: int = 1  # new sessions after a dropped socket, before Twilio takes over
    resume_tool_wait: float = 3.0  # running tools' results before a new session opens without them


class EngineState:
    """Declared once for the engine's mixins; RealtimeEngine.__init__ sets every attribute."""

    timings: Timings
    session: CallTransport
    call: CallContext
    log: logging.LoggerAdapter[Any] | logging.Logger
    setup: AgentSetup | None
    rt: RealtimeSession | None  # the live Realtime socket (a new one after a reconnect)
    recorder: CallRecorder
    actions: CallActions | None
    tools: ToolRunner | None
    turns: TurnLog
    flow: CallFlow
    clock: AudioClock
    detection: TurnDetection
    _instructions: str  # the current session's instructions (lines repeat them)
    _td_sent: dict[str, Any] | None  # the turn detection last sent (the server may not have it yet)
    _td_applied: dict[str, Any] | None  # the one the server confirmed, as of the event being handled
    _wanted: deque[Request]
    _in_flight: Request | None  # sent, not yet started or refused
    _active: Response | None
    _responses: dict[str, Response]
    _items: dict[str, AgentItem]
    _callers: dict[str, CallerEntry]  # speech started, not yet committed
    _transcribing: dict[str, CallerEntry]  # committed, transcript not yet in
    _last_caller: CallerEntry | None  # committed, for the server's next response
    _protected: Request | None  # an uninterruptible line being said or heard
    _tool_batches: int  # responses whose tool calls are still running
    _filler_said: bool  # the hold line was asked for in the current reply (see tools.py)
    _caller_speaking: bool
    _greeted: bool
    _reconnects: int
    _stopped: bool
    _tasks: set[asyncio.Task[Any]]  # cancelled when the call ends
    _guarded: set[asyncio.Task[Any]]  # awaited (bounded) when the call ends

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = self.session.tasks.spawn(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _guard(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start work the end of the call must not cut short: a transfer, a hang-up, Twilio's
        apology (the call often ends *because* of it, while it still records the outcome)."""
        task = self.session.tasks.guard(coro)
        self._guarded.add(task)
        task.add_done_callback(self._guarded.discard)
        return task

    @property
    def _busy(self) -> bool:
        """The agent is talking, about to, or waiting on tools: no idle prompt now."""
        return bool(
            self._active
            or self._in_flight
            or self._wanted
            or self._tool_batches
            or self._protected
            or self._caller_speaking
        )
