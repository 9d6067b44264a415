"""What the realtime engine asks the model for, what comes back, and the turn-detection phases.

Responses start two ways: the server's turn detection answers a caller turn by itself
(`create_response`), or the engine asks (`Request`): the greeting and other fixed lines, the answer
after tool results, keypad digits, and caller turns the server was told not to answer. The engine
sends one request at a time and only when no response is active, so each `response.created` belongs
either to the request in flight or to the server (see ResponseQueue.started).

Turn-detection phases (`TurnDetection.config`):
- protected: while an uninterruptible line (the greeting's disclosure, a goodbye) is said and until
  it was heard, `interrupt_response` is off (the server would otherwise cancel it when the caller
  speaks) and the engine ignores speech_started for barge-in.
- held: while tools run, a protected line plays or the call is closing, `create_response` is off, so
  the model does not answer a caller turn before it has the tool results; the engine answers such a
  turn itself once the hold ends, including a turn committed after the hold was lifted but before
  the server applied that (response_queue.py).
The shop's own settings (REALTIME_TURN_DETECTION) apply otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from integrations.realtime import DEFAULT_TURN_DETECTION
from voice.agent.flow import Line
from voice.agent.tooling import ToolOutcome

if TYPE_CHECKING:
    from voice.engines.realtime.turns import AgentItem

SAY_EXACTLY = 'Now say exactly this to the caller, word for word, and nothing else: "{text}"'

# Request kinds
GREETING, LINE, CALLER, KEYPAD, TOOLS = "greeting", "line", "caller", "keypad", "tools"


def line_instructions(instructions: str, line: Line) -> str:
    """Response instructions replace the session's for that response: keep them, add the line."""
    return f"{instructions}\n\n{SAY_EXACTLY.format(text=line.text)}"


@dataclass(eq=False)
class Request:
    """A response the engine asks for. `trigger_end`: when the caller's speech (or key press) it
    answers ended, for response_ms. `hold_for`: the response whose running tools a hold line covers
    (the line is dropped if they finish before it is sent). `settled` is set once the request is no
    longer queued, asked for or being answered: its response is done, it was refused, dropped from the
    queue, or its session was lost."""

    kind: str
    line: Line | None = None
    trigger_end: float | None = None
    sent_at: float | None = None
    hold_for: Response | None = field(default=None, repr=False)
    settled: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def stale(self) -> bool:
        """A hold line whose tools have finished: saying it now would only delay the answer."""
        return self.hold_for is not None and all(task.done() for *_, task in self.hold_for.calls)

    @property
    def protected(self) -> bool:
        return self.line is not None and self.line.uninterruptible


@dataclass(eq=False)
class Response:
    """One model response as the engine saw it."""

    id: str
    request: Request | None  # None: the server's turn detection started it
    created_at: float
    started_at: float | None  # when the model was asked (for llm_first_token_ms)
    trigger_end: float | None  # end of the caller speech it answers (for response_ms)
    items: list[AgentItem] = field(default_factory=list)
    calls: list[tuple[str, str, asyncio.Task[ToolOutcome]]] = field(default_factory=list)  # id, name, run
    first_delta_at: float | None = None
    cut: bool = False  # a barge-in stopped it: none of its later audio plays
    status: str = ""  # response.done's status once done
    hold: Request | None = field(default=None, repr=False)  # the hold line asked for its tools

    @property
    def spoke(self) -> bool:
        return any(item.audio_bytes for item in self.items)

    @property
    def protected(self) -> bool:
        return self.request is not None and self.request.protected

    @property
    def last_label(self) -> str | None:
        return self.items[-1].item_id if self.items else None


class TurnDetection:
    """The shop's turn detection plus the engine's phases (see the module docstring)."""

    def __init__(self, configured: Mapping[str, Any] | None):
        base = dict(configured or DEFAULT_TURN_DETECTION)
        self.respond = bool(base.pop("create_response", True))
        self.interrupt = bool(base.pop("interrupt_response", True))
        self.base = base

    def config(self, *, hold: bool, protect: bool) -> dict[str, Any]:
        return {
            **self.base,
            "create_response": self.respond and not hold,
            "interrupt_response": self.interrupt and not protect,
        }
