"""When the realtime provider fails mid-call, the caller is never left in silence.

- The socket drops (or the server ends the session): one new session, whose instructions carry a
  summary of the conversation so far (the turns, with only what the caller heard, and the tool
  results; the server cannot resume the old conversation). Tools still running finish first, so a
  booking's result is in the summary. The new session says the greeting again if its disclosure was
  not heard yet, else apologises and asks the caller to repeat.
- No new session (refused, or the reconnect budget is spent), a failed response, or a model that
  does not answer: Twilio says the apology, then transfers the call, or leaves a message for advisors
  and hangs up (CallActions.speak_with_twilio, shared with the cascade engine).

A lost session is forgotten part by part: each part drops what belonged to it (`forget()`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from integrations.errors import ProviderError
from integrations.realtime import RealtimeSession
from voice.agent.flow import CLOSING, NORMAL, Line
from voice.agent.lines import line
from voice.engines.realtime.responses import GREETING, LINE, Request

if TYPE_CHECKING:
    from voice.engines.realtime.call import RealtimeCall
    from voice.engines.realtime.caller import CallerTurns
    from voice.engines.realtime.response_queue import ResponseQueue
    from voice.engines.realtime.speaking import AgentVoice
    from voice.engines.realtime.tools import ToolCalls
    from voice.engines.realtime.turn_detection import TurnDetectionSync

RESUME = line("line_cut_out")  # English; said in the caller's language
RESUME_NOTE = (
    "\n\nThe call is already under way: a technical problem cut the line and you are picking the "
    "conversation up again. Do not greet the caller again. The conversation so far:\n{history}\n"
)
REALTIME_LOST = "Our assistant's voice connection failed during the call. Please call them back."
MODEL_FAILED = "Our assistant had a problem during the call (the voice model failed). Please call them back."


class SessionRecovery:
    """Opening the call's Realtime session, replacing it once when it drops, and giving up to Twilio.
    `read(rt)` reads a session's events (the engine's event loop) until it ends."""

    def __init__(
        self,
        call: RealtimeCall,
        sync: TurnDetectionSync,
        queue: ResponseQueue,
        voice: AgentVoice,
        callers: CallerTurns,
        tools: ToolCalls,
        *,
        read: Callable[[RealtimeSession], Coroutine[Any, Any, None]],
    ):
        self._call = call
        self._connection = call.connection
        self._sync = sync
        self._queue = queue
        self._voice = voice
        self._callers = callers
        self._tools = tools
        self._read = read
        self._reconnects = 0
        self._failed = False

    async def open(self, instructions: str) -> None:
        """Connect a Realtime session for this call and start reading its events. ProviderError if
        it cannot be opened."""
        turn_detection = self._queue.turn_detection_now()
        self._call.clock.reset()  # the new session's audio positions start at zero
        rt = await self._connection.open(instructions, turn_detection=turn_detection)
        self._sync.opened(turn_detection)
        self._call.tasks.spawn(self._read(rt))

    async def lost(self, rt: RealtimeSession, error: ProviderError) -> None:
        """The session's socket dropped: one new session, else Twilio apologises."""
        call = self._call
        if call.stopped or rt is not self._connection.rt:
            return
        call.log.warning("realtime session lost: %s", error.message)
        call.recorder.error(f"The realtime voice model dropped the call: {error.message}")
        finishing = await self._forget()
        if call.actions.ended:
            return
        if self._reconnects < call.timings.max_reconnects and call.flow.mode == NORMAL:
            self._reconnects += 1
            try:
                await self._resume(finishing)
                return
            except ProviderError as again:
                call.log.error("realtime session could not be replaced: %s", again.message)
                call.recorder.error(f"The realtime voice model could not be reached again: {again.message}")
        await self.fail(None)

    async def _forget(self) -> list[asyncio.Task[Any]]:
        """Every part drops what belonged to the dead session; returns the tool batches still
        finishing (their results go into the summary, not to the dead session)."""
        await self._connection.close()
        finishing = []
        for response in self._queue.open_responses():
            await self._voice.finish_response(response)  # audio already sent still plays: the marks tell
            response.cut = True  # nothing more of it comes, and its transfer or hang-up is off
            if response.calls:
                finishing.append(self._call.tasks.spawn(self._tools.finish(response)))
        self._queue.forget()
        self._sync.forget()
        self._callers.forget()
        return finishing

    async def _resume(self, finishing: list[asyncio.Task[Any]]) -> None:
        setup = self._call.setup
        if finishing:  # briefly: the caller is waiting in silence (later results come as notes)
            await asyncio.wait(finishing, timeout=self._call.timings.resume_tool_wait)
        history = "\n".join(self._call.turns.history()) or "(nothing was said yet)"
        if self._voice.greeted:
            resume = line("line_cut_out", self._call.actions.language)
            request = Request(LINE, line=Line((resume,), uninterruptible=False))
        else:  # the disclosure was not heard: say it again
            request = Request(GREETING, line=Line((setup.greeting,)))
            self._sync.protect(request)
        await self.open(setup.instructions + RESUME_NOTE.format(history=history))
        self._call.log.info("realtime session replaced after a drop")
        self._queue.ask(request)

    async def fail(self, error: str | None, *, reason: str = REALTIME_LOST) -> None:
        """Give up on the model for this call: Twilio apologises, then transfers or takes a message
        (`reason` is what advisors read on it)."""
        call = self._call
        if error:
            call.log.error("%s", error)
            call.recorder.error(error)
        if self._failed or call.stopped:
            return
        self._failed = True
        call.flow.mode = CLOSING
        self._queue.clear()
        await self._connection.close()
        await asyncio.shield(call.tasks.guard(call.actions.speak_with_twilio(reason=reason)))
