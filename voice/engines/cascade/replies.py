"""The agent's replies in one call: at most one active, caller turns waiting for the next.

`start()` begins a Reply (reply.py) in the call's task set: the model answers every caller turn
queued so far, or a fixed script is said (greeting, lines, apologies). When a reply ends, the next
step is chosen here: a failure goes to `on_failure` (the engine's recovery), a step deferred until
the reply ended runs, or queued caller turns get the next reply. `stop()` is the barge-in.

`speculate()` starts a reply for a turn the caller has probably finished (speculation.py); it is
not `current` until `confirm()` (the final transcript says the same words) makes it so, and
`discard()` drops it unheard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from integrations.errors import ProviderError
from voice.agent.flow import NORMAL, CallFlow, Line, escalation_note
from voice.agent.language import language_note, turn_language
from voice.agent.records import CallRecorder
from voice.engines.cascade.reply import Parts, Reply
from voice.engines.cascade.speculation import Speculation, same_words
from voice.engines.cascade.speech import SpeechOut, tts_voice
from voice.engines.cascade.turns import CallerTurn
from voice.transport import CallTransport


class Replies:
    def __init__(
        self,
        *,
        transport: CallTransport,
        flow: CallFlow,
        speech: SpeechOut,
        recorder: CallRecorder,
    ):
        self.transport = transport
        self.tasks = transport.tasks
        self.flow = flow
        self.speech = speech
        self.recorder = recorder
        self.parts: Parts | None = None  # set once the call is prepared (the greeting starts then)
        self.current: Reply | None = None
        self.queued: list[CallerTurn] = []  # caller turns the next model reply answers
        self.held: CallerTurn | None = None  # a backchannel said over the agent
        self.after_current: Callable[[], Awaitable[None]] | None = None  # runs once this reply ended
        self.on_failure: Callable[[BaseException], None] = lambda failure: None
        self.speculative: Reply | None = None  # started before the caller's turn was confirmed
        self.speculated = 0  # speculative replies started / confirmed in this call (logged at the end)
        self.confirmed = 0
        self._count = 0

    @property
    def active(self) -> bool:
        return self.current is not None and self.current.active

    def start(
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
            for turn in self.queued:
                self._add_caller_turn(parts, turn)
                caller_turn = turn
            self.queued.clear()
        self._count += 1
        reply = Reply(
            parts,
            prefix=prefix or f"r{self._count}",
            script=script,
            uninterruptible=uninterruptible,
            then=then,
            caller_turn=caller_turn,
        )
        self.current = reply
        reply.task = self.tasks.spawn(self._run(reply), name=f"reply-{reply.prefix}")
        return reply

    def _add_caller_turn(self, parts: Parts, turn: CallerTurn) -> None:
        parts.conversation.add_caller(turn.text)
        self.recorder.turn(
            role="caller", text=turn.text, started_at=turn.speech_started_at, stt_ms=turn.stt_ms
        )
        note = escalation_note(turn.text, transfer_available=bool(parts.actions.transfer_number))
        if note is not None:
            parts.conversation.add_note(note)
        if language := parts.actions.heard_language(reported=turn.languages, text=turn.text):
            # Per turn: the model answers in it, and the voice speaking it changes.
            parts.conversation.add_note(language_note(language))
            self.speech.use_voice(tts_voice(language))

    # --- speculative replies ------------------------------------------------------------------------

    def speculate(self, text: str) -> None:
        """Start the model on `text`, the caller's words so far; nothing is heard until `confirm()`."""
        parts = self.parts
        assert parts is not None
        self.discard()
        items: list[dict[str, Any]] = [{"role": "user", "content": text}]
        note = escalation_note(text, transfer_available=bool(parts.actions.transfer_number))
        if note is not None:
            items.append({"role": "system", "content": note})
        self._count += 1
        reply = Reply(parts, prefix=f"r{self._count}", speculation=Speculation(text, items))
        self.speculative = reply
        self.speculated += 1
        reply.task = self.tasks.spawn(self._run(reply), name=f"reply-{reply.prefix}-speculative")

    def confirm(self, turn: CallerTurn) -> bool:
        """The caller's finished turn: True when the speculative reply answers it and now goes on
        as the current reply; otherwise it is discarded (the caller gets a reply the usual way)."""
        reply, self.speculative = self.speculative, None
        if reply is None:
            return False
        usable = (
            reply.speculation is not None
            and same_words(reply.speculation.text, turn.text)
            and not reply.discarded
            and reply.task is not None
            and not reply.task.done()
            and not self.active
            and not self.queued
            and self.held is None
        )
        assert self.parts is not None
        switched = turn_language(reported=turn.languages, text=turn.text)
        if switched is not None and switched != self.parts.actions.language:
            usable = False  # the caller changed language: the reply must be asked with that note
        if not usable:
            reply.discard()
            return False
        self._add_caller_turn(self.parts, turn)
        self.current = reply
        self.confirmed += 1
        reply.confirm(turn)
        return True

    def discard(self) -> None:
        """Drop the speculative reply, if any, unheard (the caller kept talking or said otherwise)."""
        reply, self.speculative = self.speculative, None
        if reply is not None:
            reply.discard()

    def say(self, line: Line) -> Reply:
        return self.start(script=list(line.sentences), uninterruptible=line.uninterruptible, then=line.then)

    async def stop(self, *, interrupt: bool, barge_in: bool = False) -> None:
        """Stop the reply: `interrupt` also sends Twilio `clear`; `barge_in` says the caller's
        speech caused it (a barge-in or a newer caller turn, not a time limit or a control message)."""
        self.discard()
        if interrupt:
            await self.transport.interrupt(barge_in=barge_in)
        await self.speech.clear()
        reply = self.current
        if reply is not None and reply.task is not None and reply.task is not asyncio.current_task():
            reply.task.cancel()
            await asyncio.wait({reply.task})

    async def _run(self, reply: Reply) -> None:
        cancelled = False
        try:
            await reply.run()
        except asyncio.CancelledError:
            cancelled = True
            if self.parts is not None and reply.then is None and reply.confirmed:
                self.parts.actions.drop_pending()  # its last sentence will never be heard
            raise
        except ProviderError as exc:
            reply.failure = exc
            self.transport.log.error("reply failed: %s", exc.message)
        except Exception as exc:
            reply.failure = exc
            self.transport.log.exception("reply failed")
        finally:
            reply.conclude()
            if self.current is reply:
                self.current = None
            if self.speculative is reply:
                self.speculative = None  # failed before it was confirmed: the turn is answered anew
            elif not cancelled and reply.confirmed:
                self._finished(reply)

    def _finished(self, reply: Reply) -> None:
        parts = self.parts
        assert parts is not None
        if reply.prefix == "greeting" and reply.heard:
            self.recorder.consent("disclosed")
        if self.tasks.ending:
            return
        if reply.failure is not None:
            self.on_failure(reply.failure)
            return
        if self.after_current is not None:
            next_step, self.after_current = self.after_current, None
            self.tasks.spawn(next_step(), name="after-reply")
            return
        if self.flow.mode != NORMAL:
            return
        held, self.held = self.held, None
        if held is not None and reply.ends_with_question:
            self.queued.append(held)  # "yes" to the agent's question, said as it finished asking
        elif held is not None:
            self.recorder.turn(role="caller", text=held.text, started_at=held.speech_started_at)
        if self.queued:
            self.start()
