"""Deepgram wire messages and deterministic fake audio, shared by the fake server and tests."""

import uuid
import zlib
from typing import Any

BYTES_PER_WORD = 800
WAV_HEADER_SIZE = 44


def fake_audio_for(text: str) -> bytes:
    """Deterministic µ-law for `text`: 800 bytes per word, each word its own byte value (never silence)."""
    return b"".join(
        bytes([0x08 + zlib.crc32(word.encode()) % 0x70]) * BYTES_PER_WORD for word in text.split()
    )


def results_message(
    text: str,
    *,
    is_final: bool = True,
    speech_final: bool = True,
    start: float = 0.0,
    duration: float = 1.0,
    confidence: float = 0.98,
    from_finalize: bool = False,
    language: str | None = None,
) -> dict[str, Any]:
    """A `Results` message. With `language` (a BCP-47 tag such as "es"), it is shaped as Deepgram's
    multilingual model (`language=multi`) reports it: `languages` on the alternative, `language` on
    each word (developers.deepgram.com/docs/multilingual-code-switching; SDK
    ListenV1ResultsChannelAlternativesItem.languages / ...WordsItem.language)."""
    words = [
        {
            "word": w.lower().strip(".,?!"),
            "start": start,
            "end": start + duration,
            "confidence": confidence,
            "punctuated_word": w,
            **({"language": language} if language else {}),
        }
        for w in text.split()
    ]
    alternative: dict[str, Any] = {"transcript": text, "confidence": confidence, "words": words}
    if language:
        alternative["languages"] = [language]
    return {
        "type": "Results",
        "channel_index": [0, 1],
        "duration": duration,
        "start": start,
        "is_final": is_final,
        "speech_final": speech_final,
        "from_finalize": from_finalize,
        "channel": {"alternatives": [alternative]},
        "metadata": {
            "request_id": str(uuid.uuid4()),
            "model_info": {"name": "fake", "version": "0", "arch": "fake"},
            "model_uuid": str(uuid.uuid4()),
        },
    }


def speech_started_message(timestamp: float = 0.0) -> dict[str, Any]:
    return {"type": "SpeechStarted", "channel": [0], "timestamp": timestamp}


def utterance_end_message(last_word_end: float = 1.0) -> dict[str, Any]:
    return {"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": last_word_end}


def wav_header(data_size: int) -> bytes:
    fmt = (
        (16).to_bytes(4, "little")
        + (7).to_bytes(2, "little")  # µ-law
        + (1).to_bytes(2, "little")
        + (8000).to_bytes(4, "little")
        + (8000).to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (8).to_bytes(2, "little")
    )
    header = (
        b"RIFF"
        + (36 + data_size).to_bytes(4, "little")
        + b"WAVEfmt "
        + fmt
        + b"data"
        + data_size.to_bytes(4, "little")
    )
    assert len(header) == WAV_HEADER_SIZE
    return header


def listen_metadata(audio_bytes: int) -> dict[str, Any]:
    return {
        "type": "Metadata",
        "transaction_key": "deprecated",
        "request_id": str(uuid.uuid4()),
        "sha256": "0" * 64,
        "created": "2026-11-21T00:00:00.000Z",
        "duration": audio_bytes / 8000,
        "channels": 1,
    }


def speak_metadata(model: str) -> dict[str, Any]:
    return {
        "type": "Metadata",
        "request_id": str(uuid.uuid4()),
        "model_name": model,
        "model_version": "fake",
        "model_uuid": str(uuid.uuid4()),
    }


# --- Flux (listen v2) ---------------------------------------------------------------------------------


def flux_connected() -> dict[str, Any]:
    return {"type": "Connected", "request_id": str(uuid.uuid4()), "sequence_id": 0}


def turn_info(
    event: str,
    transcript: str = "",
    *,
    turn_index: int = 0,
    start: float = 0.0,
    end: float = 1.0,
    end_of_turn_confidence: float = 0.5,
) -> dict[str, Any]:
    """A v2 TurnInfo message: `event` is StartOfTurn, Update, EagerEndOfTurn, TurnResumed or EndOfTurn."""
    words = transcript.split()
    step = (end - start) / max(1, len(words))
    message: dict[str, Any] = {
        "type": "TurnInfo",
        "request_id": str(uuid.uuid4()),
        "sequence_id": 1,
        "event": event,
        "turn_index": turn_index,
        "audio_window_start": start,
        "audio_window_end": end,
        "transcript": transcript,
        "words": [
            {"word": w, "confidence": 0.98, "start": start + i * step, "end": start + (i + 1) * step}
            for i, w in enumerate(words)
        ],
        "end_of_turn_confidence": end_of_turn_confidence,
    }
    if event == "EndOfTurn":
        message["trigger"] = "model"
    return message
