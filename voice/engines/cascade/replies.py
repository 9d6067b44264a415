"""The agent's replies in one call: at most one active, caller turns waiting for the next.

`start()` begins a Reply (reply.py) in the call's task set: the model answers every caller turn
queued so far, or a fixed script is said (greeting, lines, apologies). When a reply ends, the next
step is chosen here: a failure goes to `on_failure` (the engine's recovery), a step deferred until
the reply ended runs, or queued caller turns get the next reply. `stop()` is the barge-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from integrations.errors import ProviderError
from voice.agent.flow import NORMAL, CallFlow, Line, escalation_note
from voice.agent.language import language_note
from voice.agent.records import CallRecorder
from voice.engines.cascade.reply import Parts, Reply
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

    def say(self, line: Line) -> Reply:
        return self.start(script=list(line.sentences), uninterruptible=line.uninterruptible, then=line.then)

    async def stop(self, *, interrupt: bool, barge_in: bool = False) -> None:
        """Stop the reply: `interrupt` also sends Twilio `clear`; `barge_in` says the caller's
        speech caused it (a barge-in or a newer caller turn, not a time limit or a control message)."""
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
            if self.parts is not None and reply.then is None:
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
            if not cancelled:
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
