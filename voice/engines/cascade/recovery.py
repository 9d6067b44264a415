"""When a provider fails mid-call: the caller hears an apology and is transferred, or leaves a message.

- The model fails (error or timeout): an apology through TTS, then a transfer when there is a number,
  else the engine takes the message itself (the caller's next words become a CallbackRequest).
- Speech recognition cannot be restored: we cannot listen, so apologise, then transfer or promise a
  call back (a CallbackRequest) and hang up.
- Speech synthesis cannot be restored: Twilio speaks the apology instead (CallActions.speak_with_twilio).
Mixin of CascadeEngine; the state it uses is declared below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from voice import twiml
from voice.agent.flow import CLOSING, HANDOFF, MESSAGE, NORMAL
from voice.agent.records import CallRecorder
from voice.engines.cascade.reply import Parts, Reply
from voice.session import CallSession

APOLOGY = "Sorry, I'm having trouble right now."
MESSAGE_PROMPT = "If you tell me your name and a short message, an advisor will call you back."
MESSAGE_THANKS = "Thank you, I've passed your message on, and an advisor will call you back soon. Goodbye."
HEARING_TROUBLE = "Sorry, I'm having trouble hearing you."
CALL_YOU_BACK = "An advisor will call you back soon. Goodbye."


class Recovery:
    session: CallSession | None
    parts: Parts | None
    recorder: CallRecorder | None
    _mode: str
    _reply: Reply | None
    _after_reply: Callable[[], Awaitable[None]] | None
    _message: list[str]
    _spawn: Callable[[Awaitable[Any]], asyncio.Task[Any]]
    _start_reply: Callable[..., Reply]
    _stop_reply: Callable[..., Awaitable[None]]

    def _handoff(self, failure: BaseException) -> None:
        """The model failed: apologise, then transfer, or take the caller's message ourselves."""
        parts = self.parts
        assert parts is not None
        self._note_error(f"The language model failed: {failure}")
        if self._mode != NORMAL:  # the apology itself failed
            self._spawn(parts.actions.speak_with_twilio())
            return
        if parts.actions.transfer_number:
            self._mode = HANDOFF
            script = [f"{APOLOGY} {twiml.TRANSFER_MESSAGE}"]
            self._start_reply(script=script, uninterruptible=True, then=parts.actions.transfer)
        else:
            self._mode = MESSAGE
            parts.actions.expect_message(
                "The assistant had a problem during the call. Please call them back."
            )
            self._start_reply(script=[APOLOGY, MESSAGE_PROMPT], uninterruptible=True)

    async def _hearing_lost(self, error: BaseException) -> None:
        """Speech recognition is gone: we cannot listen, so apologise and transfer or promise a call back."""
        self._note_error(f"Speech recognition failed: {error}")
        parts = self.parts
        if parts is None or parts.actions.ended:
            return

        async def close_the_call() -> None:
            self._mode = CLOSING
            if parts.actions.transfer_number:
                script, then = [f"{HEARING_TROUBLE} {twiml.TRANSFER_MESSAGE}"], parts.actions.transfer
            else:
                await parts.actions.take_message(
                    reason="Our assistant could not hear the caller (speech recognition failed). "
                    "Please call them back."
                )
                script, then = [f"{HEARING_TROUBLE} {CALL_YOU_BACK}"], parts.actions.hang_up
            self._start_reply(script=script, uninterruptible=True, then=then)

        if self._reply is not None and self._reply.active and self._reply.uninterruptible:
            self._after_reply = close_the_call
            return
        await self._stop_reply(interrupt=parts.session.audio_pending)
        await close_the_call()

    async def _voice_lost(self, error: BaseException) -> None:
        """Speech synthesis is gone: Twilio speaks the apology and transfers or hangs up."""
        self._note_error(f"Speech synthesis failed: {error}")
        self._mode = CLOSING
        if self.parts is None:
            assert self.session is not None
            await self.session.end("speech synthesis failed")
            return
        reply = self._reply
        if reply is not None and reply.task is not None and reply.task is not asyncio.current_task():
            reply.task.cancel()
        await self.parts.actions.speak_with_twilio()

    async def _message_done(self) -> None:
        parts = self.parts
        if parts is None or not self._message:
            return
        if self._reply is not None and self._reply.active and self._reply.task is not None:
            await asyncio.wait({self._reply.task})  # let the apology finish
        text, self._message = " ".join(self._message), []
        self._mode = CLOSING
        await parts.actions.take_message(reason=text)
        self._start_reply(script=[MESSAGE_THANKS], uninterruptible=True, then=parts.actions.hang_up)

    def _note_error(self, error: str) -> None:
        if self.recorder is not None:
            self.recorder.error(error)
