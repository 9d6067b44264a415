"""Call-level moments every engine handles the same way, whatever produces the voice.

- A silent caller is asked "Are you still there?" once; after a second silence the call is marked
  abandoned, gets a goodbye that cannot be interrupted, and is hung up once the goodbye was heard.
- At the time limit the agent stops talking, leaves a message for advisors unless the call already
  achieved something (a booking, a message), says goodbye and hangs up.
- Keypad presses are gathered until no key came for a moment, then become one caller turn,
  "[keypad: 1 2]", that the model reads like speech.
- A caller asking for a person (or sounding upset) gets the model a note: offer a transfer, or a
  message when nobody takes transfers.

`CallFlow` keeps the call's mode and returns `Line`s: fixed words to say and what to do once they
were heard. How a line is spoken is the engine's business (the cascade sends it to TTS; the realtime
engine asks the model to say it word for word).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voice.agent.lines import line
from voice.agent.listening import wants_escalation
from voice.call_tasks import CallTasks

if TYPE_CHECKING:
    from voice.agent.actions import CallActions

logger = logging.getLogger(__name__)

# What the engine is doing: talking normally, handing the call over after a failure, taking a
# message itself, or saying goodbye (nothing the caller says starts a reply any more).
NORMAL, HANDOFF, MESSAGE, CLOSING = "normal", "handoff", "message", "closing"

# The English texts (voice.agent.lines has every language; the call's is `actions.language`).
STILL_THERE = line("still_there")
IDLE_GOODBYE = line("idle_goodbye")
TIME_LIMIT_GOODBYE = line("time_limit_goodbye")
TIME_LIMIT_MESSAGE = "The call reached its time limit before we finished. Please call them back."
ESCALATION_NOTE = "The caller asked for a person or sounds upset: offer to {offer}."
DTMF_GATHER_SECONDS = 1.5


@dataclass(frozen=True)
class Line:
    """Fixed words for the agent to say, and `then` to run once the last of them was heard."""

    sentences: tuple[str, ...]
    uninterruptible: bool = True
    then: Callable[[], Awaitable[Any]] | None = None

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


class CallFlow:
    """The mode of one call and its idle count; one per call, shared by the engine's parts."""

    def __init__(self) -> None:
        self.mode = NORMAL
        self.idle_prompts = 0

    def caller_spoke(self) -> None:
        """The caller said or keyed something: the next silence starts the idle count again."""
        self.idle_prompts = 0

    def idle_line(self, actions: CallActions) -> Line | None:
        """What to say after a silence (call it only when the agent is not already talking)."""
        if actions.ended or self.mode in (HANDOFF, CLOSING):
            return None
        self.idle_prompts += 1
        if self.idle_prompts == 1:
            return Line((line("still_there", actions.language),), uninterruptible=False)
        actions.set_outcome("abandoned", only_if_unset=True)
        self.mode = CLOSING
        return Line((line("idle_goodbye", actions.language),), then=actions.hang_up)

    async def time_limit_line(
        self, actions: CallActions, *, stop_talking: Callable[[], Awaitable[None]]
    ) -> Line | None:
        """The call reached its maximum length: `stop_talking()` is awaited first (cut the current
        reply), a message is left for advisors unless the call already has an outcome, and the
        goodbye is returned. None when the call is already ending."""
        if actions.ended or self.mode == CLOSING:
            return None
        self.mode = CLOSING
        await stop_talking()
        if not actions.outcome and not actions.message_taken:
            await actions.take_message(reason=TIME_LIMIT_MESSAGE)
        return Line((line("time_limit_goodbye", actions.language),), then=actions.hang_up)


def escalation_note(text: str, *, transfer_available: bool) -> str | None:
    """A note for the model when the caller asks for a person or sounds upset, else None."""
    if not wants_escalation(text):
        return None
    offer = "transfer them" if transfer_available else "take a message for an advisor"
    return ESCALATION_NOTE.format(offer=offer)


def keypad_text(digits: list[str]) -> str:
    return f"[keypad: {' '.join(digits)}]"


class Keypad:
    """Gathers keypad presses into one caller turn: `on_digits("[keypad: 1 2]", at)` runs once no
    key came for `gather` seconds (`at` is the monotonic time of the last press). Its timers run in
    the call's `tasks` (a keypad on its own gets a task set of its own)."""

    def __init__(self, on_digits: Callable[[str, float], Awaitable[None]], *, tasks: CallTasks | None = None):
        self._on_digits = on_digits
        self._tasks = tasks if tasks is not None else CallTasks(logger)
        self._digits: list[str] = []
        self._at = 0.0
        self._generation = 0
        self._closed = False

    def press(self, digit: str, *, gather: float = DTMF_GATHER_SECONDS) -> None:
        if self._closed or self._tasks.ending:
            return
        self._digits.append(digit)
        self._at = time.monotonic()
        self._generation += 1
        # A later press supersedes this timer; nothing is cancelled, so a turn being handled
        # when the next key arrives is not cut short.
        self._tasks.spawn(self._after(gather, self._generation), name="keypad-gather")

    async def _after(self, gather: float, generation: int) -> None:
        await asyncio.sleep(gather)
        if generation != self._generation or self._closed or self._tasks.ending or not self._digits:
            return
        digits, self._digits = self._digits, []
        await self._on_digits(keypad_text(digits), self._at)

    def close(self) -> None:
        """The call ended: keys not yet handed over are dropped (a pending timer finds nothing)."""
        self._closed = True
