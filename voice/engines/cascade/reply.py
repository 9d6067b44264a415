"""One agent reply: stream the model (with tools) into sentences, speak them, act once they are heard.

A reply is either the model's (a tool loop of at most `CascadeTimings.max_steps` requests; the last one may
not call tools) or a fixed script (greeting, "are you still there?", apologies). It stays active
until its last sentence has been heard, so a barge-in at any point cancels it; `conclude()` then
commits to the conversation only what the caller heard and records the agent's Turn (interrupted,
heard_text, latency). A transfer or hang-up the tools asked for, or the script's `then`, runs only
when the last sentence was heard, and is skipped when it was interrupted.

A speculative reply (speculation.py) is started before the caller's turn is confirmed: it streams
the model with the caller's words so far, but its `gate` stays shut until `confirm()`: nothing is
said, no tool runs, and a reply discarded before that leaves no trace (conclude() skips it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.errors import ProviderError
from integrations.llm import ChatClient, TextDelta, ToolCallRequest
from voice.agent.actions import SPOKEN, CallActions
from voice.agent.heard import SpokenSentence, heard_text
from voice.agent.lines import line
from voice.agent.records import CallRecorder, ms_between
from voice.agent.sentences import SentenceChunker
from voice.agent.tooling import FILLER_AFTER_SECONDS, ToolOutcome, ToolRunner, outcome_result
from voice.engines.cascade.conversation import TOOL_WAIT_SECONDS, Conversation, Item, ToolResult
from voice.engines.cascade.speculation import SPECULATE_AFTER, Speculation
from voice.engines.cascade.speech import Sentence, SpeechOut
from voice.engines.cascade.turns import CallerTurn
from voice.transport import CallTransport


@dataclass(frozen=True)
class CascadeTimings:
    """Seconds (and the tool-loop cap). Tests may shorten them on CascadeEngine.timings."""

    filler_after: float = FILLER_AFTER_SECONDS
    llm_chunk_timeout: float = 10.0
    max_steps: int = 6
    heard_wait: float = 60.0
    digits_hold: float = 2.0  # a turn held mid-number ends after this if UtteranceEnd never comes
    dtmf_gather: float = 1.5
    message_quiet: float = 2.0
    speculate_after: float | None = SPECULATE_AFTER  # None: no speculative replies
    # After the caller went quiet we ask Deepgram to finalize (hearing.Listener); its endpointing
    # normally ends the turn ~100 ms later. Deepgram does not promise a speech_final after a
    # Finalize, so a finalized turn that nothing else ends is ended after this much more quiet,
    # well before UtteranceEnd's 1 s fallback.
    finalized_end_after: float = 0.5


@dataclass
class Parts:
    """What every reply of a call shares."""

    transport: CallTransport
    speech: SpeechOut
    conversation: Conversation
    tools: ToolRunner
    actions: CallActions
    recorder: CallRecorder
    chat: ChatClient | None
    chat_error: ProviderError | None
    tool_schemas: list[dict[str, Any]]
    timings: CascadeTimings


@dataclass
class Step:
    """One model request of a reply: its text, the sentences spoken, the tools it called."""

    text: str = ""
    sentences: list[Sentence] = field(default_factory=list)
    calls: list[ToolCallRequest] = field(default_factory=list)
    tasks: list[asyncio.Task[ToolOutcome]] = field(default_factory=list)

    def items(self, content: str) -> list[Item]:
        if not self.calls:
            return [{"role": "assistant", "content": content}] if content else []
        message = {
            "role": "assistant",
            "content": content or None,
            "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
                for c in self.calls
            ],
        }
        return [message, *(ToolResult(c.id, t) for c, t in zip(self.calls, self.tasks, strict=True))]


def _word_count(text: str) -> int:
    return len(text.split())


class Reply:
    def __init__(
        self,
        parts: Parts,
        *,
        prefix: str,
        script: list[str] | None = None,
        uninterruptible: bool = False,
        then: Callable[[], Awaitable[Any]] | None = None,
        caller_turn: CallerTurn | None = None,
        speculation: Speculation | None = None,
    ):
        self.parts = parts
        self.speculation = speculation
        self.gate = asyncio.Event()  # open: may speak and act (shut until a speculation is confirmed)
        self.discarded = False
        if speculation is None:
            self.gate.set()
        self.prefix = prefix
        self.script = script
        self.uninterruptible = uninterruptible
        self.then = then
        self.caller_turn = caller_turn
        self.steps: list[Step] = []
        self.task: asyncio.Task[None] | None = None
        self.failure: BaseException | None = None
        self.heard = False
        self.interrupted = False
        self.concluded = False
        self._sentences = 0
        self._filler_said = False
        self._requested_at: float | None = None
        self._first_token_at: float | None = None

    @property
    def active(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def confirmed(self) -> bool:
        return self.gate.is_set()

    def confirm(self, caller_turn: CallerTurn) -> None:
        """The speculated turn is the caller's: speak, act and record as any reply."""
        self.caller_turn = caller_turn
        self.gate.set()

    def discard(self) -> None:
        """Drop an unconfirmed speculative reply unheard: its stream is cancelled."""
        if self.confirmed:
            return
        self.discarded = True
        if self.task is not None:
            self.task.cancel()

    @property
    def said(self) -> list[Sentence]:
        return [sentence for step in self.steps for sentence in step.sentences]

    @property
    def ends_with_question(self) -> bool:
        said = self.said
        return bool(said) and said[-1].text.rstrip().endswith("?")

    async def run(self) -> None:
        if self.script is not None:
            step = Step(text=" ".join(self.script))
            self.steps.append(step)
            for line in self.script:
                await self._say(step, line)
        else:
            await self._converse()
        await self.gate.wait()
        self.heard = await self._until_heard()
        actions = self.parts.actions
        # What runs once the reply was heard (a transfer, a hang-up) is guarded: cancelling the
        # reply (the call closing because of it) does not cut it short.
        tasks = self.parts.transport.tasks
        if self.then is not None:
            if self.heard:
                await asyncio.shield(tasks.guard(self.then(), name="after-reply"))
        elif self.script is None and actions.pending is not None:
            if self.heard:
                await asyncio.shield(tasks.guard(actions.run_pending(), name="pending-action"))
            else:
                actions.drop_pending()

    async def _converse(self) -> None:
        parts = self.parts
        if parts.chat is None:
            raise parts.chat_error or ProviderError("No language model", permanent=True, provider="openai")
        for number in range(parts.timings.max_steps):
            earlier = [item for step in self.steps for item in step.items(step.text.strip())]
            step = Step()
            self.steps.append(step)
            speculated = self.speculation.items if self.speculation and not self.confirmed else []
            messages = await parts.conversation.messages([*speculated, *earlier])
            if number == 0:
                # A transfer or hang-up asked for by a reply that was cut short (its tool may have
                # finished only now) is not this reply's to carry out.
                parts.actions.drop_pending()
            options = {"tool_choice": "none"} if number == parts.timings.max_steps - 1 else {}
            chunker = SentenceChunker(first_clause=self._sentences == 0)  # the reply's first words
            calls: list[ToolCallRequest] = []
            if self._requested_at is None:
                self._requested_at = time.monotonic()
            stream = parts.chat.stream_chat(
                messages, parts.tool_schemas, chunk_timeout=parts.timings.llm_chunk_timeout, **options
            )
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    if isinstance(event, TextDelta | ToolCallRequest) and self._first_token_at is None:
                        self._first_token_at = time.monotonic()
                    if isinstance(event, TextDelta):
                        step.text += event.text
                        if ready := chunker.feed(event.text):
                            await self._say(step, " ".join(ready))
                    elif isinstance(event, ToolCallRequest):
                        calls.append(event)
            if calls:
                await self.gate.wait()  # no tool runs for a turn the caller may not have finished
            if calls:  # started before anything else is awaited: a started call always has its task
                step.calls = calls
                step.tasks = [
                    parts.tools.start(call_id=c.id, name=c.name, arguments_json=c.arguments_json)
                    for c in calls
                ]
            if rest := chunker.flush():
                await self._say(step, " ".join(rest))
            if not calls:
                return
            await self._wait_for_tools(step)
            await self._say_fixed_lines(step)

    async def _wait_for_tools(self, step: Step) -> None:
        _, pending = await asyncio.wait(step.tasks, timeout=self.parts.timings.filler_after)
        if pending and not self._filler_said and not step.sentences:
            self._filler_said = True
            filler = line("one_moment", self.parts.actions.language)  # FILLER in the caller's language
            step.text = f"{step.text.strip()} {filler}".strip()
            await self._say(step, filler)
        if pending:
            await asyncio.wait(pending, timeout=TOOL_WAIT_SECONDS)  # asyncio.wait never cancels them

    async def _say_fixed_lines(self, step: Step) -> None:
        """Words a tool's result has our code say (the safety line), before the model goes on."""
        for task in step.tasks:
            spoken = outcome_result(task).get(SPOKEN) if task.done() else None
            if isinstance(spoken, str) and spoken:
                step.text = f"{step.text.strip()} {spoken}".strip()
                await self._say(step, spoken)

    async def _say(self, step: Step, text: str) -> None:
        await self.gate.wait()
        self._sentences += 1
        sentence = await self.parts.speech.say(text, f"{self.prefix}-{self._sentences}")
        step.sentences.append(sentence)

    async def _until_heard(self) -> bool:
        said = self.said
        transport, max_wait = self.parts.transport, self.parts.timings.heard_wait
        if not said:  # e.g. end_call with no words: act once what is already playing is heard
            return await transport.wait_until_heard(None, max_wait=max_wait)
        await asyncio.wait([s.done for s in said])
        if not said[-1].done.result():
            return False
        return await transport.wait_until_heard(said[-1].label, max_wait=max_wait)

    # --- the record ---------------------------------------------------------------------------------

    def _spoken(self, sentence: Sentence) -> SpokenSentence:
        utterance = self.parts.transport.utterance(sentence.label)
        if utterance is None:
            return SpokenSentence(sentence.text, 0, 0)
        if utterance.fully_heard:
            size = max(1, utterance.sent_bytes)
            return SpokenSentence(sentence.text, size, size)
        heard = utterance.heard_bytes
        if not utterance.final and heard >= utterance.sent_bytes:
            # All audio sent so far was heard, but more was coming: the sentence was still cut.
            heard = utterance.sent_bytes - 1
        return SpokenSentence(sentence.text, utterance.sent_bytes, max(0, heard))

    def conclude(self) -> None:
        """Commit what was heard to the conversation and record the agent's turn. Runs once."""
        if self.concluded:
            return
        self.concluded = True
        if not self.confirmed:
            return  # a speculative reply never confirmed: never heard, never part of the call
        items: list[Item] = []
        full: list[str] = []
        heard: list[str] = []
        cut = False
        for step in self.steps:
            content = ""
            if not cut:
                content, cut = heard_text([self._spoken(s) for s in step.sentences])
                spoken_words = _word_count(" ".join(s.text for s in step.sentences))
                cut = cut or _word_count(step.text) > spoken_words  # written but never spoken
            items.extend(step.items(content))
            full.append(step.text.strip())
            heard.append(content)
        self.parts.conversation.add(*items)
        text = " ".join(part for part in full if part)
        self.interrupted = cut and bool(text)
        if text:
            self._record(text, " ".join(part for part in heard if part))

    def _record(self, text: str, heard: str) -> None:
        said = self.said
        first = said[0] if said else None
        self.parts.recorder.turn(
            role="agent",
            text=text,
            started_at=first.spoken_at if first else None,
            interrupted=self.interrupted,
            heard_text=heard if self.interrupted else "",
            llm_first_token_ms=ms_between(self._requested_at, self._first_token_at),
            tts_first_byte_ms=ms_between(first.spoken_at, first.first_audio_at) if first else None,
            response_ms=ms_between(
                self.caller_turn.speech_ended_at if self.caller_turn else None,
                first.first_sent_at if first else None,
            ),
        )
