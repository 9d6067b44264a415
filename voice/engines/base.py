"""What a conversation engine is, and what it knows about the call (the engine side of the seam).

A transport (`voice.transport.CallTransport`; for a phone call `voice.session.CallSession`) owns the
stream: it parses frames, checks the call is one we answered, keeps the playout clock, enforces
limits and controls the call. An Engine owns the conversation: it hears the caller's audio, decides
what to say, and speaks through `transport.play()`. Engines are registered by name in
`voice.engines`; whoever opens the stream resolves the name (the stream's `engine` parameter, else
the call's, else settings.VOICE_ENGINE) to an Engine and hands that to the transport.

Concurrency: everything runs on the session's event loop. `start`, `on_audio` and `on_dtmf` are
awaited one at a time in frame order, so while one runs the next frame waits: anything
that waits on the network (LLM, TTS, tools) belongs in the engine's own tasks. `on_idle`,
`on_time_limit` and `on_control` run as separate tasks of the call's `CallTasks` (cancelled when the
call ends). Engines start their own tasks through `transport.tasks` too, never `create_task`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voice.transport import CallTransport


@dataclass(frozen=True, slots=True)
class CallContext:
    """What an engine knows about the call when it starts. Phone numbers are E.164; don't log them."""

    call_sid: str
    stream_sid: str
    call_id: int
    direction: str
    from_number: str
    to_number: str
    customer_id: int | None
    engine: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    is_test: bool = False  # placed from the back office's test-call page: bookings are test bookings
    # The call's telephony can record it (CallTelephony.can_record): a browser test call's cannot, so
    # its greeting never asks "is it OK if this call is recorded?".
    can_record: bool = True

    @property
    def caller_number(self) -> str:
        """The other party: who called us, or whom we called."""
        return self.from_number if self.direction == "inbound" else self.to_number


class Engine(ABC):
    """A conversation engine for one call. Instances are not reused across calls."""

    @abstractmethod
    async def start(self, transport: CallTransport, call: CallContext) -> None:
        """The stream is up: keep `transport`, open provider connections, and greet the caller.

        Frames wait while this runs, so return promptly: start the greeting as a task if producing
        it takes time.

        Raising here ends the stream; the caller then hears the TwiML fallback (an apology and a
        transfer or a request to call back), so a broken provider never leaves them in silence.
        """

    @abstractmethod
    async def on_audio(self, mulaw: bytes) -> None:
        """One frame of caller audio (μ-law 8 kHz, usually 160 bytes = 20 ms), ~50 times a second.

        Must be cheap and must not wait on the network: hand the bytes to a queue or a socket
        writer and return. An exception here is logged (once) and the frame is dropped.
        """

    @abstractmethod
    async def on_dtmf(self, digit: str) -> None:
        """The caller pressed a key: one of 0-9, *, #, A-D."""

    async def on_idle(self, seconds: float) -> None:  # noqa: B027 - optional hook
        """Nobody has said anything for `seconds` (no caller activity, no agent audio playing).

        Called again every settings.VOICE_IDLE_SECONDS while the silence lasts. A typical engine asks
        "are you still there?" the first time and ends the call politely the second time. The
        engine reports caller activity with `transport.note_caller_activity()`.
        """

    async def on_time_limit(self) -> None:  # noqa: B027 - optional hook
        """The call reached settings.VOICE_MAX_CALL_SECONDS. Say goodbye and hang up (or transfer).

        If the stream is still open VOICE_TIME_LIMIT_GRACE_SECONDS later, the transport closes it and
        the TwiML fallback runs.
        """

    async def on_control(self, message: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """A control message sent to the channel-layer group `call.<CallSid>` by another process
        (an advisor's take-over, a task): `end_call`, `transfer` (`number`), `say` (`text`); see
        voice.agent.control for what each means. Unknown actions are ignored."""

    @abstractmethod
    async def stop(self) -> None:
        """The call is over (caller hung up, stream stopped, limit reached or session error).

        First `await transport.tasks.close()` (the call's tasks: spawned ones cancelled, guarded
        ones finished, each within a bound), then close provider connections and write final
        records. Called exactly once, also when `start` failed. Must not raise.
        """


# Makes one Engine for one call (a class taking no arguments, or a registered factory).
EngineFactory = Callable[[], Engine]
