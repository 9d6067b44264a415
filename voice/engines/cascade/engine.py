"""The cascade engine: Deepgram STT → OpenAI chat with tools → Deepgram TTS → Twilio, for one call.

Flow: `start` spawns the boot task (caller lookup, TTS and STT sockets), which plays the greeting as
an uninterruptible reply (legal disclosure). Caller audio goes straight to Deepgram
(hearing.Listener); its events drive turn-taking (turns.TurnTaker) and barge-in (caller.CallerInput).
A finished caller turn starts a Reply (replies.Replies, reply.py): the model with tools, spoken
sentence by sentence (speech.SpeechOut), only the heard part kept (conversation.py). Provider
failures end in an apology and a transfer or a message, never in silence (recovery.CascadeRecovery).
Everything engine-independent lives in voice.agent (context, actions, tooling, records, flow,
control) and is shared with the realtime engine. Each part is an object that owns its state and is
given what it uses; every task runs in the transport's `tasks`.

Modules: engine (hooks, boot), caller, recovery, replies, reply, speech, hearing, turns,
conversation, later.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async

from integrations.errors import ProviderError
from integrations.llm import ChatClient
from integrations.stt import is_flux
from voice.agent.actions import CallActions
from voice.agent.context import agent_setup_for_call
from voice.agent.control import END_CALL, control_line
from voice.agent.flow import CallFlow, Keypad
from voice.agent.records import CallRecorder
from voice.agent.tooling import ToolRunner
from voice.engines.base import CallContext, Engine
from voice.engines.cascade.caller import CallerInput
from voice.engines.cascade.conversation import Conversation
from voice.engines.cascade.hearing import Listener
from voice.engines.cascade.recovery import CascadeRecovery
from voice.engines.cascade.replies import Replies
from voice.engines.cascade.reply import CascadeTimings, Parts
from voice.engines.cascade.speech import SpeechOut, tts_voice
from voice.engines.cascade.turns import TurnTaker
from voice.tools.registry import openai_tool_schemas
from voice.transport import CallTransport


class CascadeEngine(Engine):
    timings = CascadeTimings()

    def __init__(self) -> None:
        self.flow = CallFlow()  # the call's mode and idle count (voice.agent.flow, shared)
        self._started = False

    # --- Engine hooks -----------------------------------------------------------------------------

    async def start(self, transport: CallTransport, call: CallContext) -> None:
        self.transport, self.call, self.log = transport, call, transport.log
        self.recorder = CallRecorder(
            call_id=call.call_id,
            log=transport.log,
            on_caller_text=transport.caller_said,
            in_metrics=not call.is_test,
        )
        self.speech = SpeechOut(transport, call_sid=call.call_sid, on_broken=self._voice_lost)
        self.replies = Replies(
            transport=transport, flow=self.flow, speech=self.speech, recorder=self.recorder
        )
        self.recovery = CascadeRecovery(
            transport=transport,
            flow=self.flow,
            replies=self.replies,
            recorder=self.recorder,
            timings=self.timings,
        )
        self.replies.on_failure = self.recovery.model_failed
        self.listener = Listener(
            call_sid=call.call_sid,
            log=transport.log,
            on_event=self._heard,
            on_lost=self.recovery.hearing_lost,
            tasks=transport.tasks,
        )
        self.caller = CallerInput(
            transport=transport,
            flow=self.flow,
            turns=TurnTaker(self.listener.clock),
            replies=self.replies,
            recovery=self.recovery,
            timings=self.timings,
        )
        if is_flux():
            self.caller.pause = None  # Flux's EagerEndOfTurn says when the caller is probably done
        self.listener.pause = self.caller.pause  # sees the caller's audio while a turn is open
        self.listener.finalize_on_pause = self.caller.pause is not None
        self.keypad = Keypad(self.caller.on_keypad, tasks=transport.tasks)
        self._started = True
        transport.tasks.spawn(self._boot(), name="cascade-boot")

    async def on_audio(self, mulaw: bytes) -> None:
        if self._started:
            self.listener.feed(mulaw)

    async def on_dtmf(self, digit: str) -> None:
        if self._started:
            self.keypad.press(digit, gather=self.timings.dtmf_gather)

    async def on_idle(self, seconds: float) -> None:
        parts = self.replies.parts if self._started else None
        if parts is None or self.replies.active:
            return
        if (line := self.flow.idle_line(parts.actions)) is not None:
            self.replies.say(line)

    async def on_time_limit(self) -> None:
        parts = self.replies.parts if self._started else None
        if parts is None:
            return

        async def stop_talking() -> None:
            await self.replies.stop(interrupt=self.transport.audio_pending)

        if (line := await self.flow.time_limit_line(parts.actions, stop_talking=stop_talking)) is not None:
            self.replies.say(line)

    async def on_control(self, message: dict[str, Any]) -> None:
        parts = self.replies.parts if self._started else None
        if parts is None:
            return
        if self.replies.after_current is not None and message.get("action") != END_CALL:
            # A failure is handing the call over once the current words end; only ending it is left.
            self.log.info("control %r ignored: the call is being handed over", message.get("action"))
            return
        step = control_line(message, flow=self.flow, actions=parts.actions)
        if step is None:
            return
        if step.interrupts:
            await self.replies.stop(interrupt=self.transport.audio_pending)
        elif self.replies.active:  # said once the current reply was heard

            async def say_next() -> None:
                self.replies.say(step.line)

            self.replies.after_current = say_next
            return
        self.replies.say(step.line)

    async def stop(self) -> None:
        if not self._started:
            return  # start() never ran
        self.keypad.close()
        if self.replies.speculated:
            self.log.info(
                "speculative replies: %d started, %d confirmed; %d early finals asked for",
                self.replies.speculated,
                self.replies.confirmed,
                self.listener.finalized,
            )
        try:
            await self.transport.tasks.close()
            await self.recovery.finish()
            parts = self.replies.parts
            if parts is not None:
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
        transport, call = self.transport, self.call
        setup, voice_error, ear_error = await asyncio.gather(
            database_sync_to_async(agent_setup_for_call)(call=call),
            self.speech.open(),
            self.listener.open(),
            return_exceptions=True,
        )
        if isinstance(setup, BaseException):
            self.log.error("could not prepare the conversation: %r", setup)
            self.recorder.error(f"The call could not be prepared: {setup}")
            await transport.end("call setup failed")
            return
        actions = CallActions(
            session=transport,
            call=call,
            recorder=self.recorder,
            shop_name=setup.shop_name,
            transfer_number=setup.transfer_number,
            customer_id=setup.caller.customer_id,
        )
        actions.start_in(setup.language)  # a known Spanish speaker is greeted in Spanish
        self.speech.use_voice(tts_voice(setup.language))
        chat, chat_error = None, None
        try:
            chat = ChatClient()
        except ProviderError as exc:
            chat_error = exc
        self.replies.parts = Parts(
            transport=transport,
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
            await self.recovery.voice_lost(voice_error)
            return
        self.replies.start(script=[setup.greeting], uninterruptible=True, prefix="greeting")
        if isinstance(ear_error, BaseException):
            await self.recovery.hearing_lost(ear_error)

    # --- callbacks of the providers' readers ------------------------------------------------------

    async def _heard(self, event: Any) -> None:
        await self.caller.on_stt(event)

    async def _voice_lost(self, error: BaseException) -> None:
        await self.recovery.voice_lost(error)
