"""When the realtime provider fails mid-call, the caller is never left in silence.

- The socket drops (or the server ends the session): one new session, whose instructions carry a
  summary of the conversation so far (the turns, with only what the caller heard, and the tool
  results; the server cannot resume the old conversation). Tools still running finish first, so a
  booking's result is in the summary. The new session says the greeting again if its disclosure was
  not heard yet, else apologises and asks the caller to repeat.
- No new session (refused, or the reconnect budget is spent), a failed response, or a model that
  does not answer: Twilio says the apology, then transfers the call, or leaves a message for advisors
  and hangs up (CallActions.speak_with_twilio, shared with the cascade engine).
Mixin of RealtimeEngine.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings

from integrations.errors import ProviderError
from integrations.realtime import RealtimeSession
from voice.agent.flow import CLOSING, NORMAL, Line
from voice.engines.realtime.responses import GREETING, LINE, Request
from voice.engines.realtime.state import EngineState
from voice.tools.registry import realtime_tool_schemas

RESUME = "Sorry about that, the line cut out for a moment. Could you say that again?"
RESUME_NOTE = (
    "\n\nThe call is already under way: a technical problem cut the line and you are picking the "
    "conversation up again. Do not greet the caller again. The conversation so far:\n{history}\n"
)
REALTIME_LOST = "Our assistant's voice connection failed during the call. Please call them back."
MODEL_FAILED = "Our assistant had a problem during the call (the voice model failed). Please call them back."


class Recovery(EngineState):
    _failed: bool

    async def _open(self, instructions: str) -> None:
        """Connect a Realtime session for this call and start reading its events. ProviderError if
        it cannot be opened."""
        rt = RealtimeSession(call_sid=self.call.call_sid)
        turn_detection = self._turn_detection_now()
        self.clock.reset()  # the new session's audio positions start at zero
        await rt.connect(
            instructions,
            realtime_tool_schemas(include_call_only=True),
            turn_detection=turn_detection,
            transcription_model=settings.REALTIME_TRANSCRIPTION_MODEL or None,
        )
        self.rt, self._instructions, self._td_sent = rt, instructions, turn_detection
        self._td_applied = turn_detection  # connect returned once the server confirmed the session
        self._spawn(self._listen(rt))

    async def _lost(self, rt: RealtimeSession, error: ProviderError) -> None:
        """The session's socket dropped: one new session, else Twilio apologises."""
        if self._stopped or rt is not self.rt:
            return
        self.log.warning("realtime session lost: %s", error.message)
        self.recorder.error(f"The realtime voice model dropped the call: {error.message}")
        finishing = await self._forget(rt)
        actions = self.actions
        if actions is None or actions.ended:
            return
        if self._reconnects < self.timings.max_reconnects and self.flow.mode == NORMAL:
            self._reconnects += 1
            try:
                await self._resume(finishing)
                return
            except ProviderError as again:
                self.log.error("realtime session could not be replaced: %s", again.message)
                self.recorder.error(f"The realtime voice model could not be reached again: {again.message}")
        await self._fail(None)

    async def _forget(self, rt: RealtimeSession) -> list[asyncio.Task[Any]]:
        """Close out everything that belonged to the dead session; returns the tool batches still
        finishing (their results go into the summary, not to the dead session)."""
        self.rt = None
        await rt.close()
        finishing = []
        for response in list(self._responses.values()):
            for item in response.items:
                await self._finish_item(item)  # audio already sent still plays: the marks tell
                item.text_final()
            response.cut = True  # nothing more of it comes, and its transfer or hang-up is off
            if response.calls:
                finishing.append(self._spawn(self._finish_tools(response)))
        self._responses.clear()
        self._active = self._in_flight = self._protected = self._last_caller = None
        self._wanted.clear()
        self._td_sent = self._td_applied = None
        self._caller_speaking = False
        for entry in [*self._callers.values(), *self._transcribing.values()]:
            entry.settle()  # their transcripts will not come
        self._callers.clear()
        self._transcribing.clear()
        return finishing

    async def _resume(self, finishing: list[asyncio.Task[Any]]) -> None:
        setup = self.setup
        assert setup is not None
        if finishing:  # briefly: the caller is waiting in silence (later results come as notes)
            await asyncio.wait(finishing, timeout=self.timings.resume_tool_wait)
        history = "\n".join(self.turns.history()) or "(nothing was said yet)"
        if self._greeted:
            request = Request(LINE, line=Line((RESUME,), uninterruptible=False))
        else:  # the disclosure was not heard: say it again
            request = Request(GREETING, line=Line((setup.greeting,)))
            self._protected = request
        await self._open(setup.instructions + RESUME_NOTE.format(history=history))
        self.log.info("realtime session replaced after a drop")
        self._ask(request)

    async def _fail(self, error: str | None, *, reason: str = REALTIME_LOST) -> None:
        """Give up on the model for this call: Twilio apologises, then transfers or takes a message
        (`reason` is what advisors read on it)."""
        if error:
            self.log.error("%s", error)
            self.recorder.error(error)
        if self._failed or self._stopped:
            return
        self._failed = True
        self.flow.mode = CLOSING
        self._wanted.clear()
        rt, self.rt = self.rt, None
        if rt is not None:
            await rt.close()
        if self.actions is None:
            await self.session.end("the realtime voice model failed")
            return
        await asyncio.shield(self._guard(self.actions.speak_with_twilio(reason=reason)))
