"""The realtime engine: one OpenAI Realtime session (speech in, speech out) per call.

Same webhooks, stream, tools registry, call record and guarantees as the cascade engine, with one
vendor and no transcoding: Twilio's µ-law goes to the session as it arrives (`on_audio` only queues
it), and the model's µ-law goes back to Twilio as it arrives, labelled by item so the marks tell what
the caller heard.

Flow: `start` spawns the boot (caller lookup → agent_setup_for_call, the session with the cascade's
instructions and the registry's tools), then the greeting: the model is told to say the greeting
word for word, and turn detection cannot interrupt it until it was heard (its legal disclosure; see
responses.py for the phases). The server's turn detection answers each caller turn; function calls
run through the registry (tools.py); speech over the agent is a barge-in with Twilio `clear`, cancel
and truncate (speaking.py); transcripts and latency figures go to the call record (turns.py). Idle
callers, the time limit and keypad digits follow voice.agent.flow, exactly as in the cascade
engine; provider failures end in a reconnect or a Twilio apology (recovery.py).

Modules: engine (hooks, boot, events), asking (requests and responses), speaking, caller, tools,
turns, recovery, responses (data, turn-detection phases), state (shared attributes, timings).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from integrations.errors import ProviderError
from integrations.realtime import (
    AgentTranscriptDelta,
    AgentTranscriptDone,
    AudioDelta,
    AudioDone,
    CallerTranscript,
    FunctionCall,
    RealtimeError,
    RealtimeEvent,
    RealtimeSession,
    ResponseCreated,
    ResponseDone,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
)
from voice.agent.actions import CallActions
from voice.agent.audio_clock import AudioClock
from voice.agent.context import agent_setup_for_call
from voice.agent.control import control_line
from voice.agent.flow import CallFlow, Keypad, Line
from voice.agent.records import CallRecorder
from voice.agent.tooling import ToolRunner
from voice.engines.base import CallContext, Engine
from voice.engines.realtime.asking import Asking
from voice.engines.realtime.caller import CallerSide
from voice.engines.realtime.recovery import Recovery
from voice.engines.realtime.responses import GREETING, LINE, Request, TurnDetection
from voice.engines.realtime.speaking import AgentVoice
from voice.engines.realtime.state import Timings
from voice.engines.realtime.tools import ToolCalls
from voice.engines.realtime.turns import TurnLog
from voice.transport import CallTransport


class RealtimeEngine(Asking, AgentVoice, CallerSide, ToolCalls, Recovery, Engine):
    timings = Timings()

    def __init__(self) -> None:
        self.setup = None
        self.rt = None
        self.actions = None
        self.tools = None
        self.flow = CallFlow()
        self.keypad = Keypad(self._keypad)
        self.clock = AudioClock()
        self.detection = TurnDetection(settings.REALTIME_TURN_DETECTION)
        self._instructions = ""
        self._td_sent = None
        self._td_applied = None
        self._wanted = deque()
        self._in_flight = None
        self._active = None
        self._responses = {}
        self._items = {}
        self._callers = {}
        self._transcribing = {}
        self._last_caller = None
        self._protected = None
        self._tool_batches = 0
        self._filler_said = False
        self._caller_speaking = False
        self._greeted = False
        self._reconnects = 0
        self._failed = False
        self._stopped = False
        self._started = False
        self._tasks = set()
        self._guarded = set()
        self._ask_lock = asyncio.Lock()

    # --- Engine hooks -----------------------------------------------------------------------------

    async def start(self, session: CallTransport, call: CallContext) -> None:
        self.session, self.call, self.log = session, call, session.log
        self.keypad = Keypad(self._keypad, tasks=session.tasks)
        self.recorder = CallRecorder(call_id=call.call_id, log=session.log)
        self.turns = TurnLog(self.recorder, log=session.log)
        self._started = True
        self._spawn(self._boot())

    async def on_audio(self, mulaw: bytes) -> None:
        rt = self.rt
        if rt is None:
            return  # not connected yet, or between sessions (the agent speaks first either way)
        self.clock.sent(len(mulaw), time.monotonic())
        with contextlib.suppress(ProviderError):  # a dead socket: the reader reports it once
            await rt.append_audio(mulaw)

    async def on_dtmf(self, digit: str) -> None:
        self.keypad.press(digit, gather=self.timings.dtmf_gather)

    async def on_idle(self, seconds: float) -> None:
        if self.actions is None or self.rt is None or self._busy:
            return
        if (line := self.flow.idle_line(self.actions)) is not None:
            self._say(line)

    async def on_time_limit(self) -> None:
        if self.actions is None or self.rt is None:
            return  # Twilio already has the call (a failure), or it never started
        line = await self.flow.time_limit_line(self.actions, stop_talking=self._hush)
        if line is not None:
            self._say(line)

    async def on_control(self, message: dict[str, Any]) -> None:
        if self.actions is None or self.rt is None:
            return
        step = control_line(message, flow=self.flow, actions=self.actions)
        if step is not None:
            if step.interrupts:
                await self._hush()
            self._say(step.line)  # asked through the one-response-at-a-time queue: after the current

    async def stop(self) -> None:
        self._stopped = True
        self.keypad.close()
        if not self._started:
            return
        try:
            await self.session.tasks.close()  # spawned work cancelled, guarded work finished
            rt, self.rt = self.rt, None
            if rt is not None:
                await rt.close()
            if self.tools is not None:
                await self.tools.settle(within=5.0)
            if self.actions is not None:
                await self.actions.finish()
            await self.turns.close()
        except Exception:
            self.log.exception("realtime engine did not stop cleanly")
        finally:
            await self.recorder.close()

    # --- boot and events ------------------------------------------------------------------------------

    async def _boot(self) -> None:
        session, call = self.session, self.call
        try:
            setup = await database_sync_to_async(agent_setup_for_call)(call=call)
        except Exception as exc:
            self.log.error("could not prepare the conversation: %r", exc)
            self.recorder.error(f"The call could not be prepared: {exc}")
            await session.end("call setup failed")
            return
        self.setup = setup
        self.actions = CallActions(
            session=session,
            call=call,
            recorder=self.recorder,
            shop_name=setup.shop_name,
            transfer_number=setup.transfer_number,
            customer_id=setup.caller.customer_id,
        )
        self.tools = ToolRunner(context=setup.tool_context, actions=self.actions, recorder=self.recorder)
        greeting = Request(GREETING, line=Line((setup.greeting,)))
        self._protected = greeting  # the session opens with turn detection that cannot cut it
        try:
            await self._open(setup.instructions)
        except ProviderError as exc:
            await self._fail(f"The realtime voice model could not be reached: {exc.message}")
            return
        self._ask(greeting)

    async def _listen(self, rt: RealtimeSession) -> None:
        try:
            async for event in rt:
                if rt is not self.rt or self._stopped:
                    return
                try:
                    await self._on_event(rt, event)
                except ProviderError:
                    pass  # a send failed: the socket is going; the iteration ends with the reason
                except Exception:
                    self.log.exception("realtime event %s not handled", type(event).__name__)
        except ProviderError as exc:
            await self._lost(rt, exc)

    async def _on_event(self, rt: RealtimeSession, event: RealtimeEvent) -> None:
        if isinstance(event, AudioDelta):
            await self._agent_audio(event)
        elif isinstance(event, AgentTranscriptDelta):
            self._agent_text(event)
        elif isinstance(event, AudioDone):
            await self._agent_audio_done(event.item_id)
        elif isinstance(event, AgentTranscriptDone):
            self._agent_transcript(event)
        elif isinstance(event, SpeechStarted):
            await self._caller_started(rt, event)
        elif isinstance(event, SpeechStopped):
            await self._caller_stopped(event)
        elif isinstance(event, CallerTranscript):
            await self._caller_transcript(rt, event)
        elif isinstance(event, ResponseCreated):
            self._response_created(event)
        elif isinstance(event, FunctionCall):
            await self._function_call(event)
        elif isinstance(event, ResponseDone):
            await self._response_done(event)
        elif isinstance(event, RealtimeError):
            await self._server_error(event)
        elif isinstance(event, SessionUpdated):
            self._td_applied = event.turn_detection

    # --- lines ----------------------------------------------------------------------------------------

    def _say(self, line: Line) -> None:
        self._ask(Request(LINE, line=line))

    async def _hush(self) -> None:
        """The call is closing: stop whatever the agent is saying, whatever it is."""
        self._wanted.clear()
        await self._sync_turn_detection()
        if self.rt is not None:
            await self._cut(self.rt, cancel=True, force=True)
