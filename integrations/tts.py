"""Deepgram text-to-speech in Twilio's format (raw µ-law, 8 kHz, mono): streaming and REST.

Streaming (`DeepgramSpeaker`) is the live-call path: text goes in sentence by sentence, audio frames
come back as soon as Deepgram has them, and `clear()` stops it all for a barge-in. `synthesize()` is a
REST fallback that returns a whole clip (with `container=none`: no WAV header for Twilio to play as a
click).
"""

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from deepgram.speak.v1.socket_client import AsyncV1SocketClient
from deepgram.speak.v1.types import SpeakV1Text, SpeakV1Warning
from django.conf import settings

from integrations._deepgram import DeepgramSocket, as_provider_error, deepgram_client
from integrations.tls import client_tls_context

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Audio:
    """A chunk of raw µ-law 8 kHz audio (any length)."""

    data: bytes
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class Flushed:
    """All audio for the text sent before the matching `flush()` has been delivered."""

    sequence_id: int
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class Cleared:
    """Deepgram confirmed a `clear()`: everything after this is audio for text sent after it."""

    sequence_id: int
    received_at: float = field(default_factory=time.monotonic)


TtsEvent = Audio | Flushed | Cleared


class DeepgramSpeaker(DeepgramSocket[TtsEvent]):
    """One streaming TTS socket (`speak.v1` WebSocket), reusable for every sentence of a call.

    Usage::

        tts = DeepgramSpeaker(call_sid=sid)
        await tts.start()                    # or: async with DeepgramSpeaker(...) as tts:
        await tts.speak("Sure, one moment.")
        await tts.flush()                    # Deepgram synthesizes buffered text on Flush
        async for event in tts: ...          # Audio | Flushed | Cleared
        await tts.clear()                    # barge-in: no audio for earlier text is yielded after this
        await tts.close()

    Deepgram allows at most 20 Flush messages per 60 s, so flush per sentence, not per fragment.
    Failures are ProviderError(permanent=False) except refusing to open with bad credentials.
    """

    what = "speech synthesis"

    def __init__(
        self,
        *,
        call_sid: str = "",
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(call_sid=call_sid)
        self._api_key, self._base_url = api_key, base_url
        self._model = model or settings.DEEPGRAM_TTS_MODEL
        self._pending_clears = 0

    async def start(self) -> None:
        """Open the socket. Raises ProviderError (permanent when unconfigured or unauthorized)."""
        await self._open(
            "/v1/speak",
            {"model": self._model, "encoding": "mulaw", "sample_rate": 8000},
            lambda websocket: AsyncV1SocketClient(websocket=websocket),
            api_key=self._api_key,
            base_url=self._base_url,
        )
        logger.info("call %s: speech synthesis open (%s)", self.call_sid, self._model)

    async def speak(self, text: str) -> None:
        """Queue `text` for synthesis (it is spoken once flushed)."""
        if text.strip():
            await self._send(self._socket.send_text, SpeakV1Text(text=text))

    async def flush(self) -> None:
        """Synthesize everything queued so far; a `Flushed` event follows its last audio."""
        await self._send(self._socket.send_flush)

    async def clear(self) -> None:
        """Drop queued text and stop audio now. Audio not yet read from this speaker is discarded, and
        so is any audio that arrives before Deepgram's `Cleared`."""
        self._pending_clears += 1
        self._discard_queued_audio()
        await self._send(self._socket.send_clear)

    async def close(self) -> None:
        """Close the socket without waiting for pending audio. Idempotent."""
        goodbye = self._socket.send_close if self._socket is not None else None
        await self._shutdown(goodbye=goodbye)

    def _discard_queued_audio(self) -> None:
        self._events.discard(Audio)

    def _on_message(self, message: Any) -> None:
        if isinstance(message, bytes):
            if not self._pending_clears:
                self._emit(Audio(message))
            return
        # The SDK parses Cleared into its Flushed model (same shape), so go by the `type` field.
        if isinstance(message, dict):
            kind, sequence_id = message.get("type"), message.get("sequence_id")
        else:
            kind, sequence_id = getattr(message, "type", None), getattr(message, "sequence_id", None)
        sequence_id = int(sequence_id or 0)
        if kind == "Flushed":
            self._emit(Flushed(sequence_id))
        elif kind == "Cleared":
            self._pending_clears = max(0, self._pending_clears - 1)
            self._emit(Cleared(sequence_id))
        elif isinstance(message, SpeakV1Warning):
            logger.warning(
                "call %s: Deepgram TTS warning %s: %s", self.call_sid, message.code, message.description
            )


async def synthesize(
    text: str,
    *,
    model: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    request_timeout: float = 10.0,
) -> bytes:
    """Synthesize `text` in one REST request; returns headerless µ-law 8 kHz audio."""
    async with httpx.AsyncClient(timeout=request_timeout, verify=client_tls_context()) as http:
        client = deepgram_client(api_key=api_key, base_url=base_url, httpx_client=http)
        try:
            async with asyncio.timeout(request_timeout):
                chunks = [
                    chunk
                    async for chunk in client.speak.v1.audio.generate(
                        text=text,
                        model=model or settings.DEEPGRAM_TTS_MODEL,
                        encoding="mulaw",
                        sample_rate=8000,
                        container="none",
                        request_options={"max_retries": 0},
                    )
                ]
        except Exception as exc:
            raise as_provider_error(exc, "synthesize speech") from exc
    return b"".join(chunks)
