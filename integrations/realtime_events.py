"""The events a RealtimeSession yields: small, SDK-free, and what a Realtime engine reacts to.

`event_from_wire` turns one GA server event (a dict, names as in openai/types/realtime/*) into one of
ours, or None for the many events a phone call has no use for.
"""

import base64
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AudioDelta:
    """A piece of the assistant's speech: headerless µ-law 8 kHz, ready for Twilio."""

    item_id: str
    response_id: str
    audio: bytes
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class AudioDone:
    """The assistant item's audio is complete (no more AudioDelta for `item_id`)."""

    item_id: str
    response_id: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class AgentTranscriptDelta:
    """Text of what the assistant is saying, roughly in step with its audio."""

    item_id: str
    text: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class AgentTranscriptDone:
    """The whole transcript of an assistant item (cut short if the response was cancelled)."""

    item_id: str
    text: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class CallerTranscript:
    """The caller's turn transcribed (asynchronously: it may arrive after the reply has started).
    `languages`: the language codes the transcription model detected (`languages: [{"code": …}]`,
    sent by models that detect languages), empty otherwise."""

    item_id: str
    text: str
    received_at: float = field(default_factory=time.monotonic)
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Server VAD heard the caller start talking (`audio_start_ms` into the audio we sent).
    With interrupt_response on, the server is already cancelling its response: the engine clears
    Twilio's playout and truncates the interrupted item to what was heard."""

    audio_start_ms: int
    item_id: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    """Server VAD heard the caller stop; with create_response on, a response follows."""

    audio_end_ms: int
    item_id: str = ""
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class ResponseCreated:
    """The model started a response (asked for, or started by turn detection)."""

    response_id: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """The model wants a tool run; `arguments_json` is unparsed and may be invalid. Answer with
    `send_function_result(call_id, ...)` once the response is done."""

    call_id: str
    name: str
    arguments_json: str
    item_id: str
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class ResponseDone:
    """A response ended: `status` is "completed", "cancelled", "failed" or "incomplete";
    `status_details` is the server's dict (e.g. {"type": "cancelled", "reason": "turn_detected"})."""

    response_id: str
    status: str
    status_details: dict[str, Any] | None
    received_at: float = field(default_factory=time.monotonic)

    @property
    def reason(self) -> str | None:
        return (self.status_details or {}).get("reason")


@dataclass(frozen=True, slots=True)
class RealtimeError:
    """A server `error` event: the request it refers to failed, the session goes on. Codes worth
    knowing: "response_cancel_not_active" (nothing to cancel), "conversation_already_has_active_response"."""

    message: str
    code: str | None
    error_type: str = ""
    event_id: str | None = None
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class SessionUpdated:
    """The server applied a session.update. Server events come in the order the server did things:
    a turn committed before this event was handled with the previous turn detection, one after it
    with `turn_detection` (None: VAD off)."""

    turn_detection: dict[str, Any] | None
    received_at: float = field(default_factory=time.monotonic)


RealtimeEvent = (
    AudioDelta
    | AudioDone
    | AgentTranscriptDelta
    | AgentTranscriptDone
    | CallerTranscript
    | SpeechStarted
    | SpeechStopped
    | ResponseCreated
    | FunctionCall
    | ResponseDone
    | RealtimeError
    | SessionUpdated
)


def event_from_wire(ev: dict[str, Any]) -> RealtimeEvent | None:
    """Our event for a server event, or None for the many a phone call has no use for."""
    kind = ev.get("type")
    if kind == "session.updated":
        session = ev.get("session") or {}
        detection = ((session.get("audio") or {}).get("input") or {}).get("turn_detection")
        return SessionUpdated(turn_detection=detection if isinstance(detection, dict) else None)
    if kind == "response.output_audio.delta":
        return AudioDelta(
            item_id=ev.get("item_id", ""),
            response_id=ev.get("response_id", ""),
            audio=base64.b64decode(ev.get("delta") or ""),
        )
    if kind == "response.output_audio_transcript.delta":
        return AgentTranscriptDelta(item_id=ev.get("item_id", ""), text=ev.get("delta", ""))
    if kind == "response.output_audio_transcript.done":
        return AgentTranscriptDone(item_id=ev.get("item_id", ""), text=ev.get("transcript", ""))
    if kind == "response.output_audio.done":
        return AudioDone(item_id=ev.get("item_id", ""), response_id=ev.get("response_id", ""))
    if kind == "input_audio_buffer.speech_started":
        return SpeechStarted(audio_start_ms=int(ev.get("audio_start_ms") or 0), item_id=ev.get("item_id", ""))
    if kind == "input_audio_buffer.speech_stopped":
        return SpeechStopped(audio_end_ms=int(ev.get("audio_end_ms") or 0), item_id=ev.get("item_id", ""))
    if kind == "conversation.item.input_audio_transcription.completed":
        return CallerTranscript(
            item_id=ev.get("item_id", ""),
            text=ev.get("transcript", ""),
            languages=_languages(ev.get("languages")),
        )
    if kind == "response.function_call_arguments.done":
        return FunctionCall(
            call_id=ev.get("call_id", ""),
            name=ev.get("name", ""),
            arguments_json=ev.get("arguments", ""),
            item_id=ev.get("item_id", ""),
        )
    if kind == "response.created":
        return ResponseCreated(response_id=(ev.get("response") or {}).get("id", ""))
    if kind == "response.done":
        response = ev.get("response") or {}
        return ResponseDone(
            response_id=response.get("id", ""),
            status=response.get("status") or "",
            status_details=response.get("status_details"),
        )
    if kind == "error":
        error = ev.get("error") or {}
        return RealtimeError(
            message=str(error.get("message") or "unknown error"),
            code=error.get("code"),
            error_type=str(error.get("type") or ""),
            event_id=error.get("event_id"),
        )
    return None


def _languages(detected: Any) -> tuple[str, ...]:
    if not isinstance(detected, list):
        return ()
    codes = (item.get("code") for item in detected if isinstance(item, dict))
    return tuple(code for code in codes if isinstance(code, str) and code)
