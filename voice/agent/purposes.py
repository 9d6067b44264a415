"""Calls placed for a purpose another app owns (a reminder call), without voice importing that app.

An outbound call's stream carries `purpose=<name>`. The app that placed it registers a
`CallPurpose` under that name (in its AppConfig.ready, as reminders does) and decides what is
special about the call: the opening and extra instructions, and what a caller's words set off at
once (a reminder call's "stop calling me"). The engines and the agent's setup ask this registry;
they never import the app, so the dependency runs one way (reminders → voice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from voice.engines.base import CallContext


@dataclass(frozen=True)
class Opening:
    greeting: str
    instructions: str


class CallPurpose(Protocol):
    def applies(self, call: CallContext) -> bool:
        """This call is one of ours (e.g. outbound with the right parameters)."""
        ...

    def opening(self, call: CallContext) -> Opening | None:
        """The greeting and extra instructions (sync: may read the database); None: the usual ones."""
        ...

    async def caller_said(self, call: CallContext, *, customer_id: int | None, text: str) -> bool:
        """Every caller turn passes here; True when it set something off."""
        ...


_purposes: dict[str, CallPurpose] = {}


def register_call_purpose(name: str, purpose: CallPurpose) -> None:
    _purposes[name] = purpose


def call_purpose(call: CallContext) -> CallPurpose | None:
    """The registered purpose of `call`, if it has one that applies."""
    purpose = _purposes.get(call.custom_parameters.get("purpose", ""))
    return purpose if purpose is not None and purpose.applies(call) else None


def purpose_opening(call: CallContext) -> Opening | None:
    purpose = call_purpose(call)
    return purpose.opening(call) if purpose is not None else None


async def note_caller_words(*, call: CallContext, customer_id: int | None, text: str) -> bool:
    """Hand a caller turn to the call's purpose (e.g. a reminder call's opt-out, stored at once)."""
    purpose = call_purpose(call)
    return (
        await purpose.caller_said(call, customer_id=customer_id, text=text) if purpose is not None else False
    )
