"""What a control message to a live call does, for any engine (the engine only says the line).

Messages come from another process through the channel-layer group `call.<CallSid>`
(voice.control): an advisor taking over from the live view, or a task.
- `end_call` (optional `text`): the agent stops talking, says a goodbye (that line, else GOODBYE)
  that cannot be interrupted, and hangs up once it was heard.
- `transfer` (`number`, E.164 or any format `normalize_phone` reads): once the agent finishes what
  it is saying, it says TRANSFERRING and the call is dialled through to `number`.
- `say` (`text`): the agent says `text` word for word next (after what it is saying now).
Anything else, a bad number or an empty text is ignored (logged): control never breaks a call.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm.phones import mask_phone, normalize_phone
from dealership.core.errors import ApplicationError
from voice.agent.flow import CLOSING, HANDOFF, Line
from voice.agent.lines import line

if TYPE_CHECKING:
    from voice.agent.actions import CallActions
    from voice.agent.flow import CallFlow

END_CALL, TRANSFER, SAY = "end_call", "transfer", "say"
GOODBYE = line("goodbye")  # English; the call's language is `actions.language`
TRANSFERRING = line("transferring")
MAX_TEXT = 500  # characters of a line an advisor types


@dataclass(frozen=True)
class ControlStep:
    """The line to say for a control message; `interrupts`: cut the agent off first, else the line
    waits for what the agent is saying now."""

    line: Line
    interrupts: bool = False


def _text(message: dict[str, Any]) -> str:
    return " ".join(str(message.get("text") or "").split())[:MAX_TEXT]


def control_line(message: dict[str, Any], *, flow: CallFlow, actions: CallActions) -> ControlStep | None:
    """The step for `message`, setting the call's mode; None when there is nothing to do (the call
    is already ending, an unknown action, a bad number, an empty text)."""
    action = message.get("action")
    if actions.ended or flow.mode == CLOSING:
        return None
    if action == END_CALL:
        flow.mode = CLOSING
        return ControlStep(
            Line((_text(message) or line("goodbye", actions.language),), then=actions.hang_up),
            interrupts=True,
        )
    if action == TRANSFER:
        try:
            number = normalize_phone(str(message.get("number") or ""))
        except ApplicationError:
            actions.log.warning("control transfer ignored: not a phone number")
            return None
        actions.log.info("control: transfer to %s", mask_phone(number))
        flow.mode = HANDOFF
        return ControlStep(
            Line((line("transferring", actions.language),), then=functools.partial(actions.transfer, number))
        )
    if action == SAY:
        text = _text(message)
        return ControlStep(Line((text,), uninterruptible=False)) if text else None
    actions.log.info("control message %r ignored", action)
    return None
