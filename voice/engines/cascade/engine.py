"""The cascade engine: Deepgram STT → OpenAI chat with tools → Deepgram TTS → Twilio, for one call.

Flow: `start` spawns the boot task (caller lookup, TTS and STT sockets), which plays the greeting as
an uninterruptible reply (legal disclosure). Caller audio goes straight to Deepgram
(hearing.Listener); its events drive turn-taking (turns.TurnTaker) and barge-in (caller.py). A
finished caller turn starts a Reply (reply.py): the model with tools, spoken sentence by sentence
(speech.SpeechOut), only the heard part kept (conversation.py). Provider failures end in an apology
and a transfer or a message, never in silence (recovery.py). Everything engine-independent lives in
voice.agent (context, actions, tooling, records) and is shared with the realtime engine.

Modules: engine (hooks, boot, replies), caller, recovery, reply, speech, hearing, turns, conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from integrations.errors import ProviderError
from integrations.llm import ChatClient
from voice.agent.actions import CallActions
from voice.agent.context import AgentSetup, agent_setup_for_call
from voice.agent.flow import CallFlow, Keypad, Line, escalation_note
from voice.agent.records import CallRecorder
from voice.agent.tasks import cancel_others
from voice.agent.tooling import ToolRunner
from voice.engine import CallContext, Engine
from voice.engines.cascade.caller import CallerInput
from voice.engines.cascade.conversation import Conversation
from voice.engines.cascade.hearing import Listener
from voice.engines.cascade.recovery import NORMAL, Recovery
from voice.engines.cascade.reply import Parts, Reply, Timings
from voice.engines.cascade.speech import SpeechOut
from voice.engines.cascade.turns import CallerTurn, TurnTaker
from voice.session import CallSession
from voice.tools.registry import openai_tool_schemas


class CascadeEngine(CallerInput, Recovery, Engine):
    timings = Timings()

    def __init__(self) -> None:
        self.session: CallSession | None = None
        self.call: CallContext | None = None
        self.setup: AgentSetup | None = None
        self.parts: Parts | None = None
        self._reply: Reply | None = None
        self._replies = 0
        self._queued: list[CallerTurn] = []
        self._held: CallerTurn | None = None  # a backchannel said over the agent
        self._after_reply: Callable[[], Awaitable[None]] | None = None
        self.flow = CallFlow()  # the call's mode and idle count (voice.agent.flow, shared)
        self.keypad = Keypad(self._keypad)
        self._message: list[str] = []
        self._timers = {"hold": 0, "message": 0}
        self._stopped = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.recorder: CallRecorder | None = None
        self.listener: Listener | None = None
        self.speech: SpeechOut | None = None

    # The mixins (caller, recovery) read and set these; they live in the shared CallFlow.
    @property
    def _mode(self) -> str:
        return self.flow.mode

    @_mode.setter
    def _mode(self, mode: str) -> None:
        self.flow.mode = mode

    @property
    def _idle_prompts(self) -> int:
        return self.flow.idle_prompts

    @_idle_prompts.setter
    def _idle_prompts(self, count: int) -> None:
        self.flow.idle_prompts = count

    # --- Engine hooks -----------------------------------------------------------------------------

    async def start(self, session: CallSession, call: CallContext) -> None:
        self.session, self.call = session, call
        self.log = session.log
        self.recorder = CallRecorder(call_id=call.call_id, log=session.log)
        self.listener = Listener(
            call_sid=call.call_sid, log=session.log, on_event=self._on_stt, on_lost=self._hearing_lost
        )
        self.turns = TurnTaker(self.listener.clock)
        self.speech = SpeechOut(session, call_sid=call.call_sid, on_broken=self._voice_lost)
        self._spawn(self._boot())

    async def on_audio(self, mulaw: bytes) -> None:
        if self.listener is not None:
            self.listener.feed(mulaw)

    async def on_dtmf(self, digit: str) -> None:
        self.keypad.press(digit, gather=self.timings.dtmf_gather)

    async def on_idle(self, seconds: float) -> None:
        parts = self.parts
        if parts is None or self._replying:
            return
        if (line := self.flow.idle_line(parts.actions)) is not None:
            self._say_line(line)

    async def on_time_limit(self) -> None:
        parts = self.parts
        if parts is None:
            return

        async def stop_talking() -> None:
            await self._stop_reply(interrupt=parts.session.audio_pending)

        if (line := await self.flow.time_limit_line(parts.actions, stop_talking=stop_talking)) is not None:
            self._say_line(line)

    async def stop(self) -> None:
        self._stopped = True
        self.keypad.close()
        if self.recorder is None or self.listener is None or self.speech is None:
            return  # start() never ran
        try:
            await cancel_others(self._tasks, within=2.0)
            parts = self.parts
            if parts is not None:
                if self._message:
                    await parts.actions.take_message(reason=" ".join(self._message))
                await parts.tools.settle(within=5.0)
                await parts.actions.finish()
                if parts.chat is not None:
                    with contextlib.suppress(Exception):
                        await parts.chat.aclose()
            await asyncio.gather(self.listener.close(), self.speech.close(), return_exceptions=True)
        except Exception:
            self.log.exception("cascade engine did not stop cleanly")
        finally:
            await self.recorder.close()

    # --- boot -----------------------------------------------------------------------------------------

    async def _boot(self) -> None:
        assert self.session is not None and self.call is not None
        session, call = self.session, self.call
        setup, voice_error, ear_error = await asyncio.gather(
            database_sync_to_async(agent_setup_for_call)(call=call),
            self.speech.open(),
            self.listener.open(),
            return_exceptions=True,
        )
        if isinstance(setup, BaseException):
            self.log.error("could not prepare the conversation: %r", setup)
            self.recorder.error(f"The call could not be prepared: {setup}")
            await session.end("call setup failed")
            return
        self.setup = setup
        actions = CallActions(
            session=session,
            call=call,
            recorder=self.recorder,
            shop_name=setup.shop_name,
            transfer_number=setup.transfer_number,
            customer_id=setup.caller.customer_id,
        )
        chat, chat_error = None, None
        try:
            chat = ChatClient()
        except ProviderError as exc:
            chat_error = exc
        self.parts = Parts(
            session=session,
            speech=self.speech,
            conversation=Conversation(setup.instructions),
            tools=ToolRunner(context=setup.tool_context, actions=actions, recorder=self.recorder),
            actions=actions,
            recorder=self.recorder,
            chat=chat,
            chat_error=chat_error,
            tool_schemas=openai_tool_schemas(include_call_only=True),
            timings=self.timings,
        )
        if isinstance(voice_error, BaseException):
            await self._voice_lost(voice_error)
            return
        self._start_reply(script=[setup.greeting], uninterruptible=True, prefix="greeting")
        if isinstance(ear_error, BaseException):
            await self._hearing_lost(ear_error)

    # --- replies ------------------------------------------------------------------------------------

    @property
    def _replying(self) -> bool:
        return self._reply is not None and self._reply.active

    def _start_reply(
        self,
        *,
        script: list[str] | None = None,
        uninterruptible: bool = False,
        then: Callable[[], Awaitable[Any]] | None = None,
        prefix: str = "",
    ) -> Reply:
        parts = self.parts
        assert parts is not None
        caller_turn = None
        if script is None:  # the model answers every caller turn not yet in the conversation
            for turn in self._queued:
                parts.conversation.add_caller(turn.text)
                self.recorder.turn(
                    role="caller", text=turn.text, started_at=turn.speech_started_at, stt_ms=turn.stt_ms
                )
                note = escalation_note(turn.text, transfer_available=bool(parts.actions.transfer_number))
                if note is not None:
                    parts.conversation.add_note(note)
                caller_turn = turn
            self._queued.clear()
        self._replies += 1
        reply = Reply(
            parts,
            prefix=prefix or f"r{self._replies}",
            script=script,
            uninterruptible=uninterruptible,
            then=then,
            caller_turn=caller_turn,
        )
        self._reply = reply
        reply.task = self._spawn(self._run_reply(reply))
        return reply

    def _say_line(self, line: Line) -> Reply:
        return self._start_reply(
            script=list(line.sentences), uninterruptible=line.uninterruptible, then=line.then
        )

    async def _run_reply(self, reply: Reply) -> None:
        cancelled = False
        try:
            await reply.run()
        except asyncio.CancelledError:
            cancelled = True
            if self.parts is not None and reply.then is None:
                self.parts.actions.drop_pending()  # its last sentence will never be heard
            raise
        except ProviderError as exc:
            reply.failure = exc
            self.log.error("reply failed: %s", exc.message)
        except Exception as exc:
            reply.failure = exc
            self.log.exception("reply failed")
        finally:
            reply.conclude()
            if self._reply is reply:
                self._reply = None
            if not cancelled and not self._stopped:
                self._reply_finished(reply)

    def _reply_finished(self, reply: Reply) -> None:
        parts = self.parts
        assert parts is not None
        if reply.prefix == "greeting" and reply.heard:
            self.recorder.consent("disclosed")
        if reply.failure is not None:
            self._handoff(reply.failure)
            return
        if self._after_reply is not None:
            next_step, self._after_reply = self._after_reply, None
            self._spawn(next_step())
            return
        if parts.actions.ended or self._mode != NORMAL:
            return
        held, self._held = self._held, None
        if held is not None and reply.ends_with_question:
            self._queued.append(held)  # "yes" to the agent's question, said as it finished asking
        elif held is not None:
            self.recorder.turn(role="caller", text=held.text, started_at=held.speech_started_at)
        if self._queued:
            self._start_reply()

    async def _stop_reply(self, *, interrupt: bool) -> None:
        """Barge-in (interrupt=True sends Twilio `clear`) or a newer caller turn: stop the reply."""
        assert self.session is not None
        if interrupt:
            await self.session.interrupt()
        await self.speech.clear()
        reply = self._reply
        if reply is not None and reply.task is not None and reply.task is not asyncio.current_task():
            reply.task.cancel()
            await asyncio.wait({reply.task})

    # --- tasks ----------------------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _after(self, name: str, seconds: float, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` in `seconds` unless `_after(name, ...)` is called again first."""
        self._timers[name] += 1
        generation = self._timers[name]

        async def later() -> None:
            await asyncio.sleep(seconds)
            if self._timers[name] == generation and not self._stopped:
                await action()

        self._spawn(later())
