"""Deepgram live speech-to-text for phone audio (deepgram-sdk `listen.v1` and, for Flux, `listen.v2`).

Twilio's µ-law 8 kHz payloads are forwarded as they are (no resampling). The transcriber yields typed
events; turn-taking decisions (speech_final vs UtteranceEnd, barge-in) belong to the caller.

A `flux-*` model (DEEPGRAM_STT_MODEL=flux-general-en or flux-general-multi) selects listen v2, where
Deepgram takes the turns: its TurnInfo messages become `SpeechStarted` (StartOfTurn) and `FluxTurn`
events (Update, EagerEndOfTurn, TurnResumed, EndOfTurn). v2 has no KeepAlive (the call's audio
never stops) and `finalize()` becomes ForceEndTurn.

Why the SDK's socket client: it gives us `recv()`, typed messages and the control messages we need;
the socket under it is opened in integrations._deepgram (shared TLS context, no compression).
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from deepgram.listen.v1.socket_client import AsyncV1SocketClient
from deepgram.listen.v2.socket_client import AsyncV2SocketClient
from django.conf import settings

from integrations._deepgram import DeepgramSocket

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Transcript:
    """A Deepgram result. Interim results have `is_final=False`; `speech_final=True` marks the end of an
    utterance by endpointing. `text` may be empty (silence). `start`/`duration` are seconds of audio;
    `last_word_end` (seconds of audio) is where the last recognised word ended, None without words.
    `languages`: the languages heard (BCP-47 tags, most words first) when recognition runs with
    `language=multi`; empty when Deepgram did not say (single-language models, some mixed results)."""

    text: str
    is_final: bool
    speech_final: bool
    confidence: float
    start: float
    duration: float
    from_finalize: bool = False
    received_at: float = field(default_factory=time.monotonic)
    last_word_end: float | None = None
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Voice activity began (vad_events); `timestamp` is seconds into the audio."""

    timestamp: float
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class UtteranceEnd:
    """No new words for `utterance_end_ms` after the last finalized word: a fallback end of turn."""

    last_word_end: float
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class FluxTurn:
    """A Flux (listen v2) turn event: `event` is Update, EagerEndOfTurn, TurnResumed or EndOfTurn;
    `text` is everything said in the turn so far; `last_word_end` seconds of audio, None without words."""

    event: str
    text: str
    turn_index: int
    last_word_end: float | None = None
    languages: tuple[str, ...] = ()  # flux-general-multi: detected languages, most frequent first
    received_at: float = field(default_factory=time.monotonic)


SttEvent = Transcript | SpeechStarted | UtteranceEnd | FluxTurn

FLUX_EAGER_EOT_THRESHOLD = 0.5  # EagerEndOfTurn: when a speculative reply starts
FLUX_EOT_THRESHOLD = 0.7  # EndOfTurn (Deepgram's default)


def is_flux(model: str | None = None) -> bool:
    """Whether the STT model is a Flux one (listen v2, Deepgram's own turn-taking)."""
    return (model if model is not None else settings.DEEPGRAM_STT_MODEL).startswith("flux")


class DeepgramLiveTranscriber(DeepgramSocket[SttEvent]):
    """One live transcription socket for one call.

    Usage::

        stt = DeepgramLiveTranscriber(call_sid=sid)
        await stt.start()                      # or: async with DeepgramLiveTranscriber(...) as stt:
        await stt.send_audio(mulaw_bytes)      # Twilio media payload, base64-decoded
        async for event in stt: ...            # Transcript | SpeechStarted | UtteranceEnd
        await stt.close()

    A KeepAlive goes out whenever no audio was sent for `keepalive_interval` seconds (Deepgram closes a
    socket after ~10 s without audio). Failures are ProviderError: refusing to open (permanent for bad
    credentials), sending on a dead socket, or the socket dropping (raised by the iterator).
    """

    what = "speech recognition"

    def __init__(
        self,
        *,
        call_sid: str = "",
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        language: str | None = None,
        keyterms: Sequence[str] = (),
        endpointing_ms: int = 300,
        utterance_end_ms: int = 1000,
        keepalive_interval: float = 4.0,
        close_timeout: float = 1.0,
    ) -> None:
        super().__init__(call_sid=call_sid)
        self._api_key, self._base_url = api_key, base_url
        model = model or settings.DEEPGRAM_STT_MODEL
        self.flux = is_flux(model)
        self._options: dict[str, Any] = {
            "model": model,
            "encoding": "mulaw",
            "sample_rate": 8000,
            "channels": 1,
            "interim_results": True,
            "endpointing": endpointing_ms,
            "utterance_end_ms": utterance_end_ms,
            "vad_events": True,
            "smart_format": True,
            "punctuate": True,
        }
        # "multi": Nova-3 multilingual, English and Spanish on one stream (results carry `languages`).
        language = settings.DEEPGRAM_STT_LANGUAGE if language is None else language
        if language:
            self._options["language"] = language
        if self.flux:  # listen v2 takes none of v1's options (flux-general-multi detects the language)
            self._options = {
                "model": model,
                "encoding": "mulaw",
                "sample_rate": 8000,
                "eager_eot_threshold": FLUX_EAGER_EOT_THRESHOLD,
                "eot_threshold": FLUX_EOT_THRESHOLD,
            }
        if keyterms:
            self._options["keyterm"] = list(keyterms)
        self._keepalive_interval = keepalive_interval
        self._close_timeout = close_timeout
        self._last_sent = 0.0
        self._keepalive: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the socket. Raises ProviderError (permanent when unconfigured or unauthorized)."""
        wrap = AsyncV2SocketClient if self.flux else AsyncV1SocketClient
        await self._open(
            "/v2/listen" if self.flux else "/v1/listen",
            self._options,
            lambda websocket: wrap(websocket=websocket),
            api_key=self._api_key,
            base_url=self._base_url,
        )
        self._last_sent = asyncio.get_running_loop().time()
        if not self.flux:  # v2 has no KeepAlive message: the call's audio keeps the socket alive
            self._keepalive = asyncio.create_task(
                self._keepalive_loop(), name=f"deepgram-keepalive-{self.call_sid}"
            )
        logger.info("call %s: speech recognition open (%s)", self.call_sid, self._options["model"])

    async def send_audio(self, mulaw: bytes) -> None:
        """Send raw µ-law 8 kHz mono audio (any length; Twilio sends 20 ms = 160 bytes)."""
        if not mulaw:
            return
        await self._send(self._socket.send_media, mulaw)
        self._last_sent = asyncio.get_running_loop().time()

    async def finalize(self) -> None:
        """Ask Deepgram to flush what it heard so far; results come back with `from_finalize=True`
        (Flux: ForceEndTurn, answered by an EndOfTurn)."""
        await self._send(self._socket.send_force_end_turn if self.flux else self._socket.send_finalize)

    async def close(self) -> None:
        """CloseStream, wait up to `close_timeout` for the last results, then close. Idempotent."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive
        goodbye = self._socket.send_close_stream if self._socket is not None else None
        await self._shutdown(goodbye=goodbye, drain_timeout=self._close_timeout)

    async def _keepalive_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wait = self._last_sent + self._keepalive_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            try:
                await self._send(self._socket.send_keep_alive)
            except Exception:
                return  # the reader reports the dropped socket
            self._last_sent = loop.time()

    async def _recv(self) -> Any:
        # Read the JSON ourselves: the SDK converts every message by trying each model of its message
        # union in turn (~0.3 ms of CPU per interim result, several a second per talking caller).
        assert self._connection is not None
        return await self._connection.recv()

    def _on_message(self, raw: Any) -> None:
        if not isinstance(raw, str):
            return  # binary frames carry nothing for a transcriber
        message = json.loads(raw)  # unreadable JSON: logged and skipped by the read loop
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "Results":
            # A result without its channel or timing is unreadable (KeyError/TypeError: logged, skipped).
            alternatives = message["channel"]["alternatives"]
            best = alternatives[0] if alternatives else {}
            self._emit(
                Transcript(
                    text=str(best.get("transcript") or ""),
                    is_final=bool(message.get("is_final")),
                    speech_final=bool(message.get("speech_final")),
                    confidence=float(best.get("confidence") or 0.0),
                    start=float(message["start"]),
                    duration=float(message["duration"]),
                    from_finalize=bool(message.get("from_finalize")),
                    last_word_end=_last_word_end(best.get("words")),
                    languages=_languages(best),
                )
            )
        elif kind == "TurnInfo":
            self._turn_info(message)
        elif kind == "SpeechStarted":
            self._emit(SpeechStarted(timestamp=float(message["timestamp"])))
        elif kind == "UtteranceEnd":
            self._emit(UtteranceEnd(last_word_end=float(message["last_word_end"])))
        elif kind == "Error":
            description = message.get("description") or message.get("message") or ""
            code = message.get("variant") or message.get("code") or ""
            self._note_server_error(f"{code} {description}".strip())
        # Metadata and message types newer than this adapter are of no use to a live call.

    def _turn_info(self, message: dict[str, Any]) -> None:
        event = str(message["event"])
        if event == "StartOfTurn":
            self._emit(SpeechStarted(timestamp=float(message.get("audio_window_start") or 0.0)))
            event = "Update"  # its words, if any, are the turn so far
        if event not in ("Update", "EagerEndOfTurn", "TurnResumed", "EndOfTurn"):
            return  # an event type newer than this adapter
        self._emit(
            FluxTurn(
                event=event,
                text=str(message.get("transcript") or ""),
                turn_index=int(message.get("turn_index") or 0),
                last_word_end=_last_word_end(message.get("words")),
                languages=tuple(str(code) for code in message.get("languages") or ()),
            )
        )


def _last_word_end(words: Any) -> float | None:
    if not isinstance(words, list) or not words or not isinstance(words[-1], dict):
        return None
    end = words[-1].get("end")
    return float(end) if end is not None else None


def _languages(alternative: dict[str, Any]) -> tuple[str, ...]:
    """The alternative's `languages` (sorted by word count), else the words' own `language` tags by
    count: Deepgram documents that either may be absent on audio that switches languages."""
    reported = alternative.get("languages")
    if isinstance(reported, list) and reported:
        return tuple(str(code) for code in reported if isinstance(code, str) and code)
    counts: dict[str, int] = {}
    for word in alternative.get("words") or ():
        code = word.get("language") if isinstance(word, dict) else None
        if isinstance(code, str) and code:
            counts[code] = counts.get(code, 0) + 1
    return tuple(sorted(counts, key=lambda code: -counts[code]))
