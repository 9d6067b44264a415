"""The caller's side of the conversation: speech events, barge-in, finished turns, keypad digits.

Barge-in: voice activity followed by words that are not a backchannel ("uh-huh", "yeah") while agent
audio is still playing stops the reply (Twilio `clear`, LLM and TTS cancelled) unless it is
uninterruptible (the greeting's disclosure, goodbyes). A finished turn starts the next reply; said
over an uninterruptible reply it waits for it; a backchannel said over the agent is answered only
if the agent's reply ended with a question ("yes" to "Shall I book it?").

Speculation (speculation.py): while the caller's turn is open, `pause` watches their audio; when
they have said something and gone quiet, a speculative reply starts on their words so far. New
words while quiet start it again on them; speaking again discards it; the final transcript confirms
it (same words) or discards it. Going quiet also asks Deepgram to finalize what it heard
(hearing.Listener): its final, often a little different from the interims, restarts the speculation
on the right words ~150 ms sooner than endpointing would. With Flux, Deepgram's EagerEndOfTurn
starts it and TurnResumed discards it instead (no audio is watched).
"""

from __future__ import annotations

from integrations.stt import SpeechStarted, SttEvent, Transcript
from voice.agent.flow import CLOSING, HANDOFF, MESSAGE, NORMAL, CallFlow
from voice.agent.listening import is_backchannel
from voice.agent.purposes import note_caller_words
from voice.engines.cascade.later import Later
from voice.engines.cascade.recovery import CascadeRecovery
from voice.engines.cascade.replies import Replies
from voice.engines.cascade.reply import CascadeTimings
from voice.engines.cascade.speculation import PauseWatch, same_words
from voice.engines.cascade.turns import (
    ENDS_MID_NUMBER,
    CallerTurn,
    Hold,
    LikelyEnd,
    Resumed,
    Speaking,
    TurnTaker,
)
from voice.transport import CallTransport


class CallerInput:
    """One per call: turns speech-recognition events and keypad turns into replies and barge-ins."""

    def __init__(
        self,
        *,
        transport: CallTransport,
        flow: CallFlow,
        turns: TurnTaker,
        replies: Replies,
        recovery: CascadeRecovery,
        timings: CascadeTimings,
    ):
        self.transport = transport
        self.flow = flow
        self.turns = turns
        self.replies = replies
        self.recovery = recovery
        self.timings = timings
        self._hold = Later(transport.tasks, "held-turn")  # a turn held mid-number ends after a while
        self._finalized = Later(transport.tasks, "finalized-turn")  # see finalized_end_after
        self.pause: PauseWatch | None = None
        if timings.speculate_after is not None:
            self.pause = PauseWatch(
                after=timings.speculate_after, on_pause=self._on_pause, on_resume=self._on_resume
            )

    async def on_stt(self, event: SttEvent) -> None:
        signals = self.turns.feed(event)
        if isinstance(event, SpeechStarted) or signals:
            self.transport.note_caller_activity()
            self.flow.caller_spoke()
            self._finalized.cancel()  # Deepgram hears them again, even if their audio looks quiet to us
            if self.pause is not None:
                self.pause.open()
            if isinstance(event, Transcript) and event.from_finalize:
                self._after_early_final()
        for signal in signals:
            if isinstance(signal, Speaking):
                await self._maybe_barge_in(signal.text)
                if self.pause is not None and self.pause.paused:
                    self._speculate(signal.text)  # newer words while the caller is quiet
            elif isinstance(signal, LikelyEnd):
                if self.timings.speculate_after is not None:
                    self._speculate(signal.text)
            elif isinstance(signal, Resumed):
                self.replies.discard()
            elif isinstance(signal, Hold):
                self.replies.discard()
                self._hold.start(self.timings.digits_hold, self._end_held_turn)
            else:
                self._hold.cancel()
                self._finalized.cancel()
                if self.pause is not None:
                    self.pause.close()
                await self.on_turn(signal)

    def _on_pause(self) -> None:
        self._speculate(self.turns.text)

    def _on_resume(self) -> None:
        """The caller speaks again after a pause: what was speculated or finalized is not the end."""
        self._finalized.cancel()
        self.replies.discard()

    def _speculate(self, text: str) -> None:
        """The caller said `text` and went quiet: start the model on their words so far."""
        replies = self.replies
        current = replies.speculative
        if current is not None and current.speculation is not None:
            if same_words(current.speculation.text, text):
                return
            replies.discard()
        if (
            not text
            or self.turns.holding
            or ENDS_MID_NUMBER.search(text)
            or replies.parts is None
            or replies.parts.chat is None
            or self.flow.mode != NORMAL
            or replies.current is not None
            or replies.queued
            or replies.held is not None
            or replies.after_current is not None
            or self.transport.audio_pending
            or self.transport.tasks.ending
        ):
            return
        replies.speculate(text)

    async def on_keypad(self, text: str, at: float) -> None:
        """Keypad digits gathered by voice.agent.flow.Keypad: one caller turn."""
        await self.on_turn(CallerTurn(text, at, at, at, keypad=True))

    async def on_turn(self, turn: CallerTurn) -> None:
        self.flow.caller_spoke()
        replies, parts = self.replies, self.replies.parts
        if parts is None:
            replies.queued.append(turn)  # still booting: answered after the greeting
            return
        if self.transport.tasks.ending or self.flow.mode in (HANDOFF, CLOSING):
            replies.discard()
            if not self.transport.tasks.ending and not turn.keypad:
                # Not answered, but said: it belongs in the transcript, and "bye, and don't record
                # this" during the goodbye must still stop the recording (the recorder hears it).
                replies.recorder.turn(
                    role="caller", text=turn.text, started_at=turn.speech_started_at, stt_ms=turn.stt_ms
                )
            return
        actions = parts.actions
        await note_caller_words(call=actions.call, customer_id=actions.customer_id, text=turn.text)
        if not turn.keypad:
            await actions.caller_said(turn.text)  # the safety backstop
        if self.flow.mode == MESSAGE:
            replies.discard()
            self.recovery.message_heard(turn)
            return
        if replies.speculative is not None and replies.confirm(turn):
            return  # the reply already on its way answers this turn
        reply = replies.current
        if reply is not None and reply.active:
            if reply.uninterruptible:
                replies.queued.append(turn)
                return
            if not turn.keypad and is_backchannel(turn.text):
                replies.held = turn
                return
            await replies.stop(interrupt=self.transport.audio_pending, barge_in=True)
        if replies.held is not None:
            replies.queued.append(replies.held)
            replies.held = None
        replies.queued.append(turn)
        replies.start()

    def _after_early_final(self) -> None:
        """The final Deepgram sent for our Finalize: if the caller is still quiet, wait for the turn to
        end (endpointing, else `finalized_end_after`); a held number waits as after speech_final."""
        if self.pause is None or not self.pause.paused:
            return
        if self.turns.finalized:
            self._finalized.start(self.timings.finalized_end_after, self._end_finalized_turn)
        elif self.turns.holding:
            self._hold.start(self.timings.digits_hold, self._end_held_turn)

    async def _end_finalized_turn(self) -> None:
        if self.pause is None or not self.pause.paused:
            return
        ended = self.turns.end_finalized()
        if isinstance(ended, Hold):  # "…it's 60614": wait as for a number cut by endpointing
            self.replies.discard()
            self._hold.start(self.timings.digits_hold, self._end_held_turn)
        elif ended is not None:
            self.pause.close()
            await self.on_turn(ended)

    async def _end_held_turn(self) -> None:
        if (turn := self.turns.force_end()) is not None:
            await self.on_turn(turn)

    async def _maybe_barge_in(self, text: str) -> None:
        if not self.transport.audio_pending or is_backchannel(text):
            return
        reply = self.replies.current
        if reply is not None and reply.active:
            if not reply.uninterruptible:
                await self.replies.stop(interrupt=True, barge_in=True)
        elif self.flow.mode != CLOSING:
            await self.transport.interrupt(barge_in=True)
