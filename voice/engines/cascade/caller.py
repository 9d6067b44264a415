"""The caller's side of the conversation: speech events, barge-in, finished turns, keypad digits.

Barge-in: voice activity followed by words that are not a backchannel ("uh-huh", "yeah") while agent
audio is still playing stops the reply (Twilio `clear`, LLM and TTS cancelled) unless it is
uninterruptible (the greeting's disclosure, goodbyes). A finished turn starts the next reply; said
over an uninterruptible reply it waits for it; a backchannel said over the agent is answered only
if the agent's reply ended with a question ("yes" to "Shall I book it?"). Mixin of CascadeEngine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from integrations.stt import SpeechStarted, SttEvent
from voice.agent.listening import is_backchannel
from voice.agent.records import CallRecorder
from voice.agent.reminder_calls import note_caller_words
from voice.engines.cascade.recovery import CLOSING, HANDOFF, MESSAGE
from voice.engines.cascade.reply import Parts, Reply, Timings
from voice.engines.cascade.turns import CallerTurn, Hold, Speaking, TurnTaker
from voice.session import CallSession


class CallerInput:
    session: CallSession | None
    parts: Parts | None
    recorder: CallRecorder | None
    timings: Timings
    turns: TurnTaker
    _mode: str
    _reply: Reply | None
    _queued: list[CallerTurn]
    _held: CallerTurn | None
    _idle_prompts: int
    _message: list[str]
    _stopped: bool
    _timers: dict[str, int]
    _after: Callable[[str, float, Callable[[], Awaitable[None]]], None]
    _start_reply: Callable[..., Reply]
    _stop_reply: Callable[..., Awaitable[None]]
    _message_done: Callable[[], Awaitable[None]]
    _spawn: Callable[[Awaitable[Any]], asyncio.Task[Any]]

    async def _on_stt(self, event: SttEvent) -> None:
        signals = self.turns.feed(event)
        if isinstance(event, SpeechStarted) or signals:
            self.session.note_caller_activity()  # type: ignore[union-attr]
            self._idle_prompts = 0
        for signal in signals:
            if isinstance(signal, Speaking):
                await self._maybe_barge_in(signal.text)
            elif isinstance(signal, Hold):
                self._after("hold", self.timings.digits_hold, self._end_held_turn)
            else:
                self._timers["hold"] += 1
                await self._on_caller_turn(signal)

    async def _end_held_turn(self) -> None:
        if (turn := self.turns.force_end()) is not None:
            await self._on_caller_turn(turn)

    async def _keypad(self, text: str, at: float) -> None:
        """Keypad digits gathered by voice.agent.flow.Keypad: one caller turn."""
        await self._on_caller_turn(CallerTurn(text, at, at, at, keypad=True))

    async def _maybe_barge_in(self, text: str) -> None:
        session = self.session
        assert session is not None
        if not session.audio_pending or is_backchannel(text):
            return
        reply = self._reply
        if reply is not None and reply.active:
            if not reply.uninterruptible:
                await self._stop_reply(interrupt=True)
        elif self._mode != CLOSING:
            await session.interrupt()

    async def _on_caller_turn(self, turn: CallerTurn) -> None:
        self._idle_prompts = 0
        parts = self.parts
        if parts is None:
            self._queued.append(turn)  # still booting: answered after the greeting
            return
        if self._stopped or parts.actions.ended or self._mode in (HANDOFF, CLOSING):
            return
        actions = parts.actions
        await note_caller_words(call=actions.call, customer_id=actions.customer_id, text=turn.text)
        if self._mode == MESSAGE:
            self._message.append(turn.text)
            self.recorder.turn(
                role="caller", text=turn.text, started_at=turn.speech_started_at, stt_ms=turn.stt_ms
            )
            self._after("message", self.timings.message_quiet, self._message_done)
            return
        reply = self._reply
        if reply is not None and reply.active:
            if reply.uninterruptible:
                self._queued.append(turn)
                return
            if not turn.keypad and is_backchannel(turn.text):
                self._held = turn
                return
            await self._stop_reply(interrupt=parts.session.audio_pending)
        if self._held is not None:
            self._queued.append(self._held)
            self._held = None
        self._queued.append(turn)
        self._start_reply()
