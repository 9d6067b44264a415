"""The caller's side of a realtime call: speech events, transcripts, keypad digits.

The server's turn detection hears the caller (speech_started / speech_stopped) and transcribes each
committed turn asynchronously. Speech while interruptible agent audio is pending is a barge-in
(speaking.AgentVoice._cut). A committed turn is answered by the server itself, unless turn detection
is holding (tools running, an uninterruptible line playing): then the engine asks for the answer, and
it goes out once the hold ends. "Holding" is what the server had applied when it committed the turn
(a hold we already lifted still holds until its session.updated arrives; see asking.py). Keypad
digits become a user text item, "[keypad: 1 2]", and a response. Mixin of RealtimeEngine.
"""

from __future__ import annotations

import contextlib

from integrations.errors import ProviderError
from integrations.realtime import CallerTranscript, RealtimeSession, SpeechStarted, SpeechStopped
from voice.agent.flow import NORMAL, escalation_note
from voice.agent.purposes import note_caller_words
from voice.engines.realtime.responses import CALLER, KEYPAD, Request
from voice.engines.realtime.state import EngineState
from voice.engines.realtime.turns import CallerEntry


class CallerSide(EngineState):
    def _listening(self) -> bool:
        return self.actions is not None and not self.actions.ended and self.flow.mode == NORMAL

    async def _caller_started(self, rt: RealtimeSession, event: SpeechStarted) -> None:
        self.session.note_caller_activity()
        self.flow.caller_spoke()
        self._caller_speaking = True
        self._callers[event.item_id] = CallerEntry(
            event.item_id, started_at=event.received_at, wait=self.timings.transcript_wait
        )
        if self._protected is None and self._listening():
            # With interrupt_response on, the server cancels its response itself.
            await self._cut(rt, cancel=not self._server_interrupts)

    async def _caller_stopped(self, event: SpeechStopped) -> None:
        self.session.note_caller_activity()
        self._caller_speaking = False
        entry = self._callers.pop(event.item_id, None) or CallerEntry(
            event.item_id, started_at=event.received_at, wait=self.timings.transcript_wait
        )
        entry.stopped_at = event.received_at
        ended = self.clock.arrival(event.audio_end_ms / 1000)
        entry.ended_at = min(ended, event.received_at) if ended is not None else event.received_at
        self._transcribing[event.item_id] = entry
        self.turns.add(entry)
        if not self._listening():
            return
        if self._server_answers:
            self._last_caller = entry  # for the response the server starts now
        else:
            self._ask(Request(CALLER, trigger_end=entry.ended_at))

    async def _caller_transcript(self, rt: RealtimeSession, event: CallerTranscript) -> None:
        entry = self._transcribing.pop(event.item_id, None)
        if entry is None:  # e.g. a turn committed before a reconnect
            entry = CallerEntry(event.item_id, wait=self.timings.transcript_wait)
            self.turns.add(entry)
        entry.transcribed(event.text, event.received_at)
        if not entry.text or self.actions is None:
            return
        self.flow.caller_spoke()
        # A reminder call's "stop calling me" is stored at once, whatever the model does next.
        await note_caller_words(call=self.call, customer_id=self.actions.customer_id, text=entry.text)
        note = escalation_note(entry.text, transfer_available=bool(self.actions.transfer_number))
        if note is not None:
            # The answer to this turn may be under way already; the note shapes the next ones.
            with contextlib.suppress(ProviderError):
                await rt.add_system_note(note)

    async def _keypad(self, text: str, at: float) -> None:
        """Digits gathered by voice.agent.flow.Keypad: a caller turn in text."""
        rt = self.rt
        if rt is None or not self._listening() or self._stopped:
            return
        assert self.actions is not None
        self.flow.caller_spoke()
        await note_caller_words(call=self.call, customer_id=self.actions.customer_id, text=text)
        entry = CallerEntry("", started_at=at, ended_at=at, keypad=True)
        entry.transcribed(text, at)
        self.turns.add(entry)
        if self._protected is None:
            await self._cut(rt, cancel=True)  # keys are not speech: the server did not cancel
        try:
            await rt.send_user_text(text)
        except ProviderError:
            return  # the reader reports the dropped socket
        self._ask(Request(KEYPAD, trigger_end=at))
