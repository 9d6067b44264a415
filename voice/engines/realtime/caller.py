"""The caller's side of a realtime call: speech events, transcripts, keypad digits.

The server's turn detection hears the caller (speech_started / speech_stopped) and transcribes each
committed turn asynchronously. Speech while interruptible agent audio is pending is a barge-in
(AgentVoice.cut). A committed turn is answered by the server itself, unless turn detection is
holding (tools running, an uninterruptible line playing): then the engine asks for the answer, and
it goes out once the hold ends. "Holding" is what the server had applied when it committed the turn
(a hold we already lifted still holds until its session.updated arrives; see response_queue.py).
Keypad digits become a user text item, "[keypad: 1 2]", and a response.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from integrations.errors import ProviderError
from integrations.realtime import CallerTranscript, RealtimeSession, SpeechStarted, SpeechStopped
from voice.agent.flow import escalation_note
from voice.agent.language import language_note
from voice.agent.purposes import note_caller_words
from voice.engines.realtime.responses import CALLER, KEYPAD, Request
from voice.engines.realtime.turns import CallerEntry

if TYPE_CHECKING:
    from voice.engines.realtime.call import RealtimeCall
    from voice.engines.realtime.response_queue import ResponseQueue
    from voice.engines.realtime.speaking import AgentVoice
    from voice.engines.realtime.turn_detection import TurnDetectionSync


class CallerTurns:
    """Caller turns from speech_started to their transcript, and whether the caller is talking."""

    def __init__(self, call: RealtimeCall, sync: TurnDetectionSync, queue: ResponseQueue, voice: AgentVoice):
        self._call = call
        self._sync = sync
        self._queue = queue
        self._voice = voice
        self._speaking: dict[str, CallerEntry] = {}  # speech started, not yet committed
        self._transcribing: dict[str, CallerEntry] = {}  # committed, transcript not yet in
        self._committed: CallerEntry | None = None  # committed, for the server's next response
        self.talking = False

    def _entry(self, item_id: str, **times: float | None) -> CallerEntry:
        return CallerEntry(item_id, wait=self._call.timings.transcript_wait, **times)

    async def started(self, rt: RealtimeSession, event: SpeechStarted) -> None:
        self._call.session.note_caller_activity()
        self._call.flow.caller_spoke()
        self.talking = True
        self._speaking[event.item_id] = self._entry(event.item_id, started_at=event.received_at)
        if self._sync.protected is None and self._call.listening():
            # With interrupt_response on, the server cancels its response itself.
            await self._voice.cut(rt, cancel=not self._sync.server_interrupts, barge_in=True)

    async def stopped(self, event: SpeechStopped) -> None:
        self._call.session.note_caller_activity()
        self.talking = False
        entry = self._speaking.pop(event.item_id, None) or self._entry(
            event.item_id, started_at=event.received_at
        )
        entry.stopped_at = event.received_at
        ended = self._call.clock.arrival(event.audio_end_ms / 1000)
        entry.ended_at = min(ended, event.received_at) if ended is not None else event.received_at
        self._transcribing[event.item_id] = entry
        self._call.turns.add(entry)
        if not self._call.listening():
            return
        if self._sync.server_answers:
            self._committed = entry  # for the response the server starts now
        else:
            self._queue.ask(Request(CALLER, trigger_end=entry.ended_at))

    def take_committed(self) -> CallerEntry | None:
        """The turn the server's own response answers (the last one committed since the last such)."""
        entry, self._committed = self._committed, None
        return entry

    async def transcript(self, rt: RealtimeSession, event: CallerTranscript) -> None:
        entry = self._transcribing.pop(event.item_id, None)
        if entry is None:  # e.g. a turn committed before a reconnect
            entry = self._entry(event.item_id)
            self._call.turns.add(entry)
        entry.transcribed(event.text, event.received_at)
        actions = self._call.actions
        if not entry.text:
            return
        self._call.flow.caller_spoke()
        # A reminder call's "stop calling me" is stored at once, whatever the model does next.
        await note_caller_words(call=self._call.context, customer_id=actions.customer_id, text=entry.text)
        await actions.caller_said(entry.text)  # the safety backstop
        note = escalation_note(entry.text, transfer_available=bool(actions.transfer_number))
        if note is not None:
            # The answer to this turn may be under way already; the note shapes the next ones.
            with contextlib.suppress(ProviderError):
                await rt.add_system_note(note)
        if language := actions.heard_language(reported=event.languages, text=entry.text):
            # The model's voice speaks any language; it is told, and fixed lines switch with it.
            with contextlib.suppress(ProviderError):
                await rt.add_system_note(language_note(language))

    async def keypad(self, text: str, at: float) -> None:
        """Digits gathered by voice.agent.flow.Keypad: a caller turn in text."""
        rt = self._call.connection.rt
        if rt is None or not self._call.listening() or self._call.stopped:
            return
        self._call.flow.caller_spoke()
        await note_caller_words(
            call=self._call.context, customer_id=self._call.actions.customer_id, text=text
        )
        entry = CallerEntry("", started_at=at, ended_at=at, keypad=True)
        entry.transcribed(text, at)
        self._call.turns.add(entry)
        if self._sync.protected is None:
            await self._voice.cut(rt, cancel=True)  # keys are not speech: the server did not cancel
        try:
            await rt.send_user_text(text)
        except ProviderError:
            return  # the reader reports the dropped socket
        self._queue.ask(Request(KEYPAD, trigger_end=at))

    def forget(self) -> None:
        """The session is gone: the turns it had not transcribed never will be."""
        self._committed = None
        self.talking = False
        for entry in [*self._speaking.values(), *self._transcribing.values()]:
            entry.settle()
        self._speaking.clear()
        self._transcribing.clear()
