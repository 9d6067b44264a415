"""The realtime engine's waits and reconnect budget (tests shorten them on RealtimeEngine.timings)."""

from __future__ import annotations

from dataclasses import dataclass

from voice.agent.flow import DTMF_GATHER_SECONDS
from voice.agent.tooling import FILLER_AFTER_SECONDS


@dataclass(frozen=True)
class RealtimeTimings:
    """Seconds (and the reconnect budget)."""

    dtmf_gather: float = DTMF_GATHER_SECONDS
    heard_wait: float = 60.0  # a line's audio to be heard before its `then` runs
    tool_wait: float = 20.0  # tool results before the model is answered anyway
    filler_after: float = FILLER_AFTER_SECONDS  # a silent tool call's running time before the hold line
    transcript_wait: float = 5.0  # a caller transcript before the turn is skipped in the record
    request_wait: float = 10.0  # a response.create the server neither starts nor refuses
    max_reconnects: int = 1  # new sessions after a dropped socket, before Twilio takes over
    resume_tool_wait: float = 3.0  # running tools' results before a new session opens without them
