"""Keeping the server's turn detection in step with the call (the phases are in responses.py).

`now()` is the setting this moment needs; `send()` sends it when it differs from what was last sent.
What the server *applied* (`session.updated`, in the event stream) can lag behind what was sent: who
answers a caller turn follows the applied one (`server_answers`), see response_queue.py. `protected`
is the uninterruptible line being said or heard: speech must not cancel it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from integrations.errors import ProviderError
from voice.agent.flow import CLOSING, NORMAL

if TYPE_CHECKING:
    from voice.engines.realtime.call import RealtimeCall
    from voice.engines.realtime.responses import Request, TurnDetection


class TurnDetectionSync:
    def __init__(self, call: RealtimeCall, detection: TurnDetection):
        self._connection = call.connection
        self._flow = call.flow
        self._actions = call.actions
        self._detection = detection
        self._sent: dict[str, Any] | None = None  # the server may not have applied it yet
        self._applied: dict[str, Any] | None = None  # as of the event being handled
        self.protected: Request | None = None

    def now(self, *, hold_answers: bool) -> dict[str, Any]:
        """`hold_answers`: an answer of ours waits or tools run, so the server must not answer too."""
        protect = self.protected is not None or self._flow.mode == CLOSING
        hold = protect or hold_answers or self._flow.mode != NORMAL or self._actions.ended
        return self._detection.config(hold=hold, protect=protect)

    async def send(self, *, hold_answers: bool) -> None:
        """Send the turn detection this moment needs, when it differs from what the server has."""
        rt = self._connection.rt
        if rt is None:
            return
        wanted = self.now(hold_answers=hold_answers)
        if wanted == self._sent:
            return
        self._sent = wanted
        with contextlib.suppress(ProviderError):
            await rt.update_turn_detection(wanted)

    def opened(self, config: dict[str, Any]) -> None:
        """A session was opened with `config` (connect returned once the server confirmed it)."""
        self._sent = self._applied = config

    def applied(self, config: dict[str, Any] | None) -> None:
        self._applied = config

    @property
    def server_answers(self) -> bool:
        """The server answers a turn it commits now by itself (per the setting it applied)."""
        return bool(self._applied and self._applied.get("create_response", True))

    @property
    def server_interrupts(self) -> bool:
        """The server cancels its response itself when the caller starts talking now."""
        return bool(self._applied and self._applied.get("interrupt_response", True))

    def protect(self, request: Request) -> None:
        self.protected = request

    def release(self, request: Request) -> bool:
        """`request` no longer needs protection; True if it had it (then send the new setting)."""
        if self.protected is not request:
            return False
        self.protected = None
        return True

    def forget(self) -> None:
        """The session is gone: nothing was sent to the next one, nothing is protected."""
        self._sent = self._applied = None
        self.protected = None
