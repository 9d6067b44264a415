"""When a provider fails mid-call: the caller hears an apology and is transferred, or leaves a message.

- The model fails (error or timeout): an apology through TTS, then a transfer when there is a number,
  else the engine takes the message itself (the caller's next words become a CallbackRequest).
- Speech recognition cannot be restored: we cannot listen, so apologise, then transfer or promise a
  call back (a CallbackRequest) and hang up.
- Speech synthesis cannot be restored: Twilio speaks the apology instead (CallActions.speak_with_twilio).
"""

from __future__ import annotations

import asyncio

from voice.agent.flow import CLOSING, HANDOFF, MESSAGE, NORMAL, CallFlow
from voice.agent.lines import line
from voice.agent.records import CallRecorder
from voice.engines.cascade.later import Later
from voice.engines.cascade.replies import Replies
from voice.engines.cascade.reply import CascadeTimings
from voice.engines.cascade.turns import CallerTurn
from voice.transport import CallTransport

# English texts; what is said is the caller's language's (voice.agent.lines).
APOLOGY = line("apology")
MESSAGE_PROMPT = line("message_prompt")
MESSAGE_THANKS = line("message_thanks")
HEARING_TROUBLE = line("hearing_trouble")
CALL_YOU_BACK = line("call_you_back")


class CascadeRecovery:
    """One per call. Owns the message the caller is leaving after a model failure."""

    def __init__(
        self,
        *,
        transport: CallTransport,
        flow: CallFlow,
        replies: Replies,
        recorder: CallRecorder,
        timings: CascadeTimings,
    ):
        self.transport = transport
        self.flow = flow
        self.replies = replies
        self.recorder = recorder
        self.timings = timings
        self._message: list[str] = []  # the caller's words while the engine takes a message
        self._message_quiet = Later(transport.tasks, "message")

    def model_failed(self, failure: BaseException) -> None:
        """The model failed: apologise, then transfer, or take the caller's message ourselves."""
        parts = self.replies.parts
        assert parts is not None
        self.recorder.error(f"The language model failed: {failure}")
        if self.flow.mode != NORMAL:  # the apology itself failed
            self.transport.tasks.guard(parts.actions.speak_with_twilio(), name="spoken-fallback")
            return
        say = parts.actions.language
        if parts.actions.transfer_number:
            self.flow.mode = HANDOFF
            script = [f"{line('apology', say)} {line('connect_you', say)}"]
            self.replies.start(script=script, uninterruptible=True, then=parts.actions.transfer)
        else:
            self.flow.mode = MESSAGE
            parts.actions.expect_message(
                "The assistant had a problem during the call. Please call them back."
            )
            self.replies.start(
                script=[line("apology", say), line("message_prompt", say)], uninterruptible=True
            )

    async def hearing_lost(self, error: BaseException) -> None:
        """Speech recognition is gone: we cannot listen, so apologise and transfer or promise a call back."""
        self.recorder.error(f"Speech recognition failed: {error}")
        replies, parts = self.replies, self.replies.parts
        if parts is None or parts.actions.ended:
            return

        async def close_the_call() -> None:
            self.flow.mode = CLOSING
            say = parts.actions.language
            if parts.actions.transfer_number:
                script, then = (
                    [f"{line('hearing_trouble', say)} {line('connect_you', say)}"],
                    parts.actions.transfer,
                )
            else:
                await parts.actions.take_message(
                    reason="Our assistant could not hear the caller (speech recognition failed). "
                    "Please call them back."
                )
                script = [f"{line('hearing_trouble', say)} {line('call_you_back', say)}"]
                then = parts.actions.hang_up
            replies.start(script=script, uninterruptible=True, then=then)

        if replies.active and replies.current is not None and replies.current.uninterruptible:
            replies.after_current = close_the_call
            return
        await replies.stop(interrupt=self.transport.audio_pending)
        await close_the_call()

    async def voice_lost(self, error: BaseException) -> None:
        """Speech synthesis is gone: Twilio speaks the apology and transfers or hangs up."""
        self.recorder.error(f"Speech synthesis failed: {error}")
        self.flow.mode = CLOSING
        parts = self.replies.parts
        if parts is None:
            await self.transport.end("speech synthesis failed")
            return
        reply = self.replies.current
        if reply is not None and reply.task is not None and reply.task is not asyncio.current_task():
            reply.task.cancel()
        await parts.actions.speak_with_twilio()

    def message_heard(self, turn: CallerTurn) -> None:
        """The caller said part of their message (MESSAGE mode): it is left once they go quiet."""
        self._message.append(turn.text)
        self.recorder.turn(
            role="caller", text=turn.text, started_at=turn.speech_started_at, stt_ms=turn.stt_ms
        )
        self._message_quiet.start(self.timings.message_quiet, self._message_done)

    async def finish(self) -> None:
        """At the end of the call: a message the caller was still leaving is saved as it is."""
        parts = self.replies.parts
        if parts is not None and self._message:
            text, self._message = " ".join(self._message), []
            await parts.actions.take_message(reason=text)

    async def _message_done(self) -> None:
        replies, parts = self.replies, self.replies.parts
        if parts is None or not self._message:
            return
        current = replies.current
        if current is not None and current.active and current.task is not None:
            await asyncio.wait({current.task})  # let the apology finish
        text, self._message = " ".join(self._message), []
        self.flow.mode = CLOSING
        await parts.actions.take_message(reason=text)
        thanks = line("message_thanks", parts.actions.language)
        replies.start(script=[thanks], uninterruptible=True, then=parts.actions.hang_up)
