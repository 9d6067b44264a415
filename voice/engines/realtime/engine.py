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

RealtimeEngine only coordinates: the Engine hooks, and each server event handed to the part it
concerns. The parts, built once the agent's setup is known, each own their state: the live socket
(connection.py), turn-detection sync (turn_detection.py), the response queue (response_queue.py),
the agent's audio (speaking.py), caller turns (caller.py), tool calls (tools.py) and reconnects
(recovery.py); what they share and none owns is a RealtimeCall (call.py).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
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
from voice.agent.context import AgentSetup, agent_setup_for_call
from voice.agent.control import control_line
from voice.agent.flow import CallFlow, Keypad, Line
from voice.agent.records import CallRecorder
from voice.agent.tooling import ToolRunner
from voice.call_tasks import CallTasks
from voice.engines.base import CallContext, Engine
from voice.engines.realtime.call import RealtimeCall
from voice.engines.realtime.caller import CallerTurns
from voice.engines.realtime.connection import Connection
from voice.engines.realtime.recovery import MODEL_FAILED, SessionRecovery
from voice.engines.realtime.response_queue import ResponseQueue
from voice.engines.realtime.responses import CALLER, GREETING, KEYPAD, LINE, Request, TurnDetection
from voice.engines.realtime.speaking import AgentVoice
from voice.engines.realtime.timings import RealtimeTimings
from voice.engines.realtime.tools import ToolCalls
from voice.engines.realtime.turn_detection import TurnDetectionSync
from voice.engines.realtime.turns import TurnLog
from voice.transport import CallTransport


@dataclass(frozen=True, eq=False)
class _Parts:
    call: RealtimeCall
    sync: TurnDetectionSync
    queue: ResponseQueue
    voice: AgentVoice
    callers: CallerTurns
    tools: ToolCalls
    recovery: SessionRecovery

    @property
    def busy(self) -> bool:
        """The agent is talking, about to, or waiting on tools, or the caller is talking."""
        return self.queue.busy or self.sync.protected is not None or self.callers.talking


class RealtimeEngine(Engine):
    timings = RealtimeTimings()

    def __init__(self) -> None:
        self.flow = CallFlow()
        self.keypad: Keypad | None = None  # from start(), on the call's task set
        self.clock = AudioClock()
        self.detection = TurnDetection(settings.REALTIME_TURN_DETECTION)
        self.tasks: CallTasks | None = None  # from start()
        self._parts: _Parts | None = None  # once the agent's setup is known

    # --- Engine hooks -----------------------------------------------------------------------------

    async def start(self, session: CallTransport, call: CallContext) -> None:
        self.session, self.call, self.log = session, call, session.log
        self.tasks = session.tasks
        self.keypad = Keypad(self._keypad, tasks=session.tasks)
        self.recorder = CallRecorder(
            call_id=call.call_id,
            log=session.log,
            on_caller_text=session.caller_said,
            in_metrics=not call.is_test,
        )
        self.turns = TurnLog(self.recorder, log=session.log)
        self.tasks.spawn(self._boot())

    async def on_audio(self, mulaw: bytes) -> None:
        rt = self._parts.call.connection.rt if self._parts is not None else None
        if rt is None:
            return  # not connected yet, or between sessions (the agent speaks first either way)
        self.clock.sent(len(mulaw), time.monotonic())
        with contextlib.suppress(ProviderError):  # a dead socket: the reader reports it once
            await rt.append_audio(mulaw)

    async def on_dtmf(self, digit: str) -> None:
        if self.keypad is not None:
            self.keypad.press(digit, gather=self.timings.dtmf_gather)

    async def on_idle(self, seconds: float) -> None:
        parts = self._parts
        if parts is None or parts.call.connection.rt is None or parts.busy:
            return
        if (line := self.flow.idle_line(parts.call.actions)) is not None:
            parts.queue.ask(Request(LINE, line=line))

    async def on_time_limit(self) -> None:
        parts = self._parts
        if parts is None or parts.call.connection.rt is None:
            return  # Twilio already has the call (a failure), or it never started
        line = await self.flow.time_limit_line(parts.call.actions, stop_talking=self._hush)
        if line is not None:
            parts.queue.ask(Request(LINE, line=line))

    async def on_control(self, message: dict[str, Any]) -> None:
        parts = self._parts
        if parts is None or parts.call.connection.rt is None:
            return
        step = control_line(message, flow=self.flow, actions=parts.call.actions)
        if step is not None:
            if step.interrupts:
                await self._hush()
            # Asked through the one-response-at-a-time queue: after the current response.
            parts.queue.ask(Request(LINE, line=step.line))

    async def stop(self) -> None:
        if self.keypad is not None:
            self.keypad.close()
        if self.tasks is None:
            return  # never started
        try:
            await self.tasks.close()
            if (parts := self._parts) is not None:
                await parts.call.connection.close()
                await parts.call.tools.settle(within=5.0)
                await parts.call.actions.finish()
            await self.turns.close()
        except Exception:
            self.log.exception("realtime engine did not stop cleanly")
        finally:
            await self.recorder.close()

    # --- boot ---------------------------------------------------------------------------------------

    async def _boot(self) -> None:
        try:
            setup = await database_sync_to_async(agent_setup_for_call)(call=self.call)
        except Exception as exc:
            self.log.error("could not prepare the conversation: %r", exc)
            self.recorder.error(f"The call could not be prepared: {exc}")
            await self.session.end("call setup failed")
            return
        parts = self._parts = self._build(setup)
        greeting = Request(GREETING, line=Line((setup.greeting,)))
        parts.sync.protect(greeting)  # the session opens with turn detection that cannot cut it
        try:
            await parts.recovery.open(setup.instructions)
        except ProviderError as exc:
            await parts.recovery.fail(f"The realtime voice model could not be reached: {exc.message}")
            return
        parts.queue.ask(greeting)

    def _build(self, setup: AgentSetup) -> _Parts:
        assert self.tasks is not None
        actions = CallActions(
            session=self.session,
            call=self.call,
            recorder=self.recorder,
            shop_name=setup.shop_name,
            transfer_number=setup.transfer_number,
            customer_id=setup.caller.customer_id,
        )
        actions.start_in(setup.language)  # a known Spanish speaker is greeted in Spanish
        call = RealtimeCall(
            session=self.session,
            context=self.call,
            setup=setup,
            tasks=self.tasks,
            recorder=self.recorder,
            turns=self.turns,
            flow=self.flow,
            clock=self.clock,
            connection=Connection(self.call.call_sid),
            actions=actions,
            tools=ToolRunner(context=setup.tool_context, actions=actions, recorder=self.recorder),
            timings=self.timings,
        )
        sync = TurnDetectionSync(call, self.detection)
        queue = ResponseQueue(call, sync, model_failed=self._model_failed)
        voice = AgentVoice(call, queue)
        callers = CallerTurns(call, sync, queue, voice)
        tools = ToolCalls(call, queue, callers)
        recovery = SessionRecovery(call, sync, queue, voice, callers, tools, read=self._listen)
        return _Parts(call, sync, queue, voice, callers, tools, recovery)

    # --- events -------------------------------------------------------------------------------------

    async def _listen(self, rt: RealtimeSession) -> None:
        parts = self._parts
        assert parts is not None
        try:
            async for event in rt:
                if rt is not parts.call.connection.rt or parts.call.stopped:
                    return
                try:
                    await self._on_event(parts, rt, event)
                except ProviderError:
                    pass  # a send failed: the socket is going; the iteration ends with the reason
                except Exception:
                    self.log.exception("realtime event %s not handled", type(event).__name__)
        except ProviderError as exc:
            await parts.recovery.lost(rt, exc)

    async def _on_event(self, parts: _Parts, rt: RealtimeSession, event: RealtimeEvent) -> None:
        if isinstance(event, AudioDelta):
            await parts.voice.audio(event)
        elif isinstance(event, AgentTranscriptDelta):
            parts.voice.text(event)
        elif isinstance(event, AudioDone):
            await parts.voice.audio_done(event.item_id)
        elif isinstance(event, AgentTranscriptDone):
            parts.voice.transcript(event)
        elif isinstance(event, SpeechStarted):
            await parts.callers.started(rt, event)
        elif isinstance(event, SpeechStopped):
            await parts.callers.stopped(event)
        elif isinstance(event, CallerTranscript):
            await parts.callers.transcript(rt, event)
        elif isinstance(event, ResponseCreated):
            self._response_created(parts, event)
        elif isinstance(event, FunctionCall):
            await parts.tools.call(event)
        elif isinstance(event, ResponseDone):
            await self._response_done(parts, event)
        elif isinstance(event, RealtimeError):
            await parts.queue.server_error(event)
        elif isinstance(event, SessionUpdated):
            parts.sync.applied(event.turn_detection)

    def _response_created(self, parts: _Parts, event: ResponseCreated) -> None:
        request = parts.queue.take_in_flight()
        if request is None or request.kind in (CALLER, KEYPAD):
            parts.tools.new_reply()  # an answer to the caller starts a reply: it may get a hold line
        # None: the server's turn detection answered the caller's last committed turn.
        parts.queue.started(event, request, parts.callers.take_committed() if request is None else None)

    async def _response_done(self, parts: _Parts, event: ResponseDone) -> None:
        response = parts.queue.done(event)
        if response is None:
            return
        await parts.voice.finish_response(response)
        if event.status == "failed":
            details = event.status_details or "no details"
            await parts.recovery.fail(f"The realtime voice model failed: {details}", reason=MODEL_FAILED)
            return
        actions, tasks = parts.call.actions, parts.call.tasks
        if response.calls:
            tasks.spawn(parts.tools.finish(response))
        elif response.request is not None and response.request.line is not None:
            tasks.spawn(parts.voice.after_line(response))
        elif actions.pending is not None:
            if response.cut or event.status == "cancelled":
                actions.drop_pending()  # the words before the transfer or hang-up were cut
            else:
                tasks.guard(actions.after_heard(response.last_label, max_wait=self.timings.heard_wait))
        await parts.queue.ask_next()

    async def _keypad(self, text: str, at: float) -> None:
        if self._parts is not None:
            await self._parts.callers.keypad(text, at)

    async def _model_failed(self, error: str) -> None:
        if self._parts is not None:
            await self._parts.recovery.fail(error, reason=MODEL_FAILED)

    # --- lines ----------------------------------------------------------------------------------------

    async def _hush(self) -> None:
        """The call is closing: stop whatever the agent is saying, whatever it is."""
        parts = self._parts
        assert parts is not None
        parts.queue.clear()
        await parts.queue.sync_turn_detection()
        if (rt := parts.call.connection.rt) is not None:
            await parts.voice.cut(rt, cancel=True, force=True)
