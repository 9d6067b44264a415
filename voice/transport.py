"""The seam between a call's transport and its conversation engine.

A transport carries one call's audio and controls the call: today `voice.session.CallSession` over
Twilio Media Streams; the browser test call is a second one. Engines and the agent's shared parts
(`voice.agent`) are typed against `CallTransport` and never import a concrete transport, so a new
transport needs no engine change.

The playout clock is the transport's: `play` sends labelled agent audio, `wait_until_heard` and
`utterance` tell what the caller actually heard (Twilio marks), `interrupt` is barge-in. Call
control (transfer, hang-up, a last spoken message) is also the transport's: Twilio's REST API by
CallSid for a phone call; for the browser it is shown on the page. Control names the call by its
CallSid (the `CallContext` the agent's parts hold), so it does not depend on the stream's frames.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from voice.call_tasks import CallTasks
    from voice.playout import Utterance
    from voice.telephony import CallTelephony


class CallTransport(Protocol):
    log: logging.Logger | logging.LoggerAdapter[Any]
    tasks: CallTasks
    telephony: CallTelephony  # transfers, hang-ups and texts: Twilio, or the page for a test call

    @property
    def audio_pending(self) -> bool:
        """Agent audio was sent and the caller has not heard all of it yet."""
        ...

    def utterance(self, label: str) -> Utterance | None:
        """Sent/heard bytes, `interrupted`, `heard_fraction` of one utterance."""
        ...

    async def play(self, audio: bytes, *, label: str, final: bool = True) -> bool:
        """Send agent audio (µ-law 8 kHz) as part of utterance `label`; False (nothing sent) when
        that utterance was interrupted or finished, or the call has ended."""
        ...

    async def interrupt(self, *, barge_in: bool = False) -> dict[str, Utterance]:
        """Drop the caller's buffered agent audio; the utterances cut, with what was heard.
        `barge_in`: the caller's speech caused it (counted in the barge-in latency metric)."""
        ...

    async def wait_until_heard(self, label: str | None = None, *, max_wait: float | None = 30.0) -> bool:
        """Until `label` (default: everything sent) was heard; False if interrupted, ended or timed out."""
        ...

    def caller_said(self, text: str) -> bool:
        """A final transcript of the caller's words (for recording consent: "don't record me"); True
        when they just declined recording. Every transport has it: the engines hand it each caller
        turn (voice.agent.records.CallRecorder)."""
        ...

    def note_caller_activity(self) -> None:
        """The caller did something (speech, a key): resets the idle timer."""
        ...

    async def end(self, reason: str) -> None:
        """Stop the engine and close the stream. For a phone call still up, Twilio then runs the
        fallback after <Connect> (an apology and a transfer or a request to call back)."""
        ...

    async def transfer(
        self, call_sid: str, number: str, *, announce: str = "", handoff: str = "", language: str = ""
    ) -> None:
        """Hand the caller of call `call_sid` (the one this transport carries) to `number`, after
        saying `announce` (in `language`) if given. `handoff`: the token of a warm hand-off
        (voice.handoffs) whose whisper the advisor hears first; a transport without whispers may dial
        plainly. ProviderError on failure."""
        ...

    async def hang_up(self, call_sid: str, *, announce: str = "", language: str = "") -> None:
        """End call `call_sid` (after saying `announce`, in `language`, if given). ProviderError on
        failure."""
        ...
