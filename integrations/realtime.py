"""OpenAI Realtime (GA) speech-to-speech for phone calls, over the SDK's `client.realtime.connect`.

Twilio's µ-law 8 kHz goes in and comes out as it is (`audio/pcmu` both ways), so nothing is
transcoded. The session yields small events of our own (defined in integrations.realtime_events,
re-exported here), never SDK types; what to do with them (playout, barge-in, tools, transfer) belongs
to the engine.

Settings: OPENAI_API_KEY, OPENAI_BASE_URL (the SDK derives the WebSocket URL from it: http→ws,
https→wss, plus "/realtime"), OPENAI_REALTIME_MODEL, OPENAI_VOICE.

Why a send queue: `append_audio` runs ~50 times a second from the call's frame loop and must never wait
on the network, and every client event must leave in the order it was made (a truncate must not
overtake the response it refers to). One writer task drains one FIFO. Audio goes out pre-serialised via
`send_raw`: the SDK's typed send costs ~0.7 ms of CPU per event, too much at 50 frames a second.
"""

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Self, cast

import openai
from django.conf import settings
from websockets.exceptions import ConnectionClosed, InvalidStatus

from integrations.errors import ProviderError, status_is_permanent
from integrations.event_stream import End, EventStream
from integrations.llm import OPENAI_RETRYABLE, openai_base_url, shared_http_client
from integrations.realtime_events import (
    AgentTranscriptDelta,
    AgentTranscriptDone,
    AudioDelta,
    AudioDone,
    CallerTranscript,
    FunctionCall,
    RealtimeError,
    RealtimeEvent,
    ResponseCreated,
    ResponseDone,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    event_from_wire,
)
from integrations.tls import tls_for

__all__ = [
    "DEFAULT_TURN_DETECTION",
    "AgentTranscriptDelta",
    "AgentTranscriptDone",
    "AudioDelta",
    "AudioDone",
    "CallerTranscript",
    "FunctionCall",
    "RealtimeError",
    "RealtimeEvent",
    "RealtimeSession",
    "ResponseCreated",
    "ResponseDone",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
]

logger = logging.getLogger(__name__)

PROVIDER = "openai"
BYTES_PER_MS = 8  # µ-law 8 kHz: one byte per sample
DEFAULT_TURN_DETECTION: dict[str, Any] = {
    "type": "server_vad",
    "silence_duration_ms": 500,
    "create_response": True,
    "interrupt_response": True,
}
# Caller audio goes out 40 ms at a time (two Twilio frames): half the messages to build and send per
# call for at most 20 ms of added delay (the server's VAD times speech by the audio, not its arrival).
AUDIO_BATCH_BYTES = 320
AUDIO_BATCH_SECONDS = 0.03  # a lone frame still leaves this soon
# Audio older than this is useless to a live conversation; past it, audio is dropped, not queued.
MAX_BACKLOG_MESSAGES = 125  # 5 s of 40 ms messages
_APPEND_AUDIO = '{"type":"input_audio_buffer.append","audio":"'


# --- errors ---------------------------------------------------------------------------------------------


def _as_provider_error(exc: BaseException, doing: str) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        permanent = status_is_permanent(status, retryable=OPENAI_RETRYABLE)
        return ProviderError(
            f"OpenAI Realtime refused to {doing} (HTTP {status})", permanent=permanent, provider=PROVIDER
        )
    if isinstance(exc, TimeoutError):
        return ProviderError(
            f"OpenAI Realtime timed out trying to {doing}", permanent=False, provider=PROVIDER
        )
    if isinstance(exc, ConnectionClosed | OSError):
        return ProviderError(f"OpenAI Realtime dropped trying to {doing}", permanent=False, provider=PROVIDER)
    if isinstance(exc, openai.OpenAIError):  # e.g. the realtime extra is not installed
        return ProviderError(f"OpenAI Realtime failed to {doing}: {exc}", permanent=True, provider=PROVIDER)
    return ProviderError(f"OpenAI Realtime failed to {doing}: {exc!r}", permanent=False, provider=PROVIDER)


Send = Callable[[], Awaitable[None]]


# --- the session ----------------------------------------------------------------------------------------


class RealtimeSession:
    """One Realtime conversation for one call.

    Usage::

        rt = RealtimeSession(call_sid=sid)
        await rt.connect(instructions, tools)      # tools in the flat Realtime shape
        await rt.create_response()                 # e.g. the greeting
        await rt.append_audio(mulaw)               # every Twilio frame (cheap, never waits)
        async for event in rt: ...                 # AudioDelta, SpeechStarted, FunctionCall, ...
        await rt.close()

    Failures are ProviderError(provider="openai"): at connect (permanent for bad credentials or a
    rejected session config), on any call after the socket died, and at the end of the iteration when
    the socket drops (permanent=False). A server `error` event is not fatal: it is yielded as
    RealtimeError. The SDK's auto-reconnect stays off: a new socket would be a new, empty conversation.
    """

    def __init__(
        self,
        *,
        call_sid: str = "",
        api_key: str | None = None,
        base_url: str | None = None,
        model: str | None = None,
        voice: str | None = None,
        connect_timeout: float = 10.0,
        send_timeout: float = 5.0,
    ) -> None:
        self.call_sid = call_sid
        self.model = model or settings.OPENAI_REALTIME_MODEL
        self.voice = voice or settings.OPENAI_VOICE
        self._api_key = api_key if api_key is not None else settings.OPENAI_API_KEY
        # An empty OPENAI_BASE_URL in the environment would otherwise reach the SDK as the origin itself.
        self._base_url = openai_base_url(base_url)
        self._connect_timeout = connect_timeout
        self._send_timeout = send_timeout
        self._client: openai.AsyncOpenAI | None = None
        self._conn: Any = None  # openai AsyncRealtimeConnection
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[tuple[Send, asyncio.Future[None] | None]] = asyncio.Queue()
        self._events: EventStream[RealtimeEvent] = EventStream()
        self._ready: asyncio.Future[None] | None = None
        self._failure: ProviderError | None = None
        self._closing = False  # we are closing the socket: its end is not a drop
        self._closed = False
        self._last_error = ""
        self._audio_bytes: dict[str, int] = {}
        self._dropped_frames = 0
        self._audio = bytearray()
        self._audio_timer: asyncio.TimerHandle | None = None

    # --- lifecycle ---

    async def connect(
        self,
        instructions: str,
        tools: Sequence[Mapping[str, Any]],
        *,
        turn_detection: Mapping[str, Any] | None = None,
        transcription_model: str | None = "gpt-4o-mini-transcribe",
    ) -> None:
        """Open the socket and configure the session; returns once the server confirmed it.

        `turn_detection` replaces DEFAULT_TURN_DETECTION (server_vad, 500 ms of silence, auto response,
        auto interrupt); pass e.g. {"type": "semantic_vad", "eagerness": "high"}. `transcription_model`
        None leaves the caller's speech untranscribed (no CallerTranscript events).
        Raises ProviderError: permanent when unconfigured, unauthorized or the config is refused.
        """
        if not self._api_key:
            raise ProviderError(
                "The realtime voice model is not configured", permanent=True, provider=PROVIDER
            )
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        # Retrieve a failure nobody awaited (connect may already be failing for another reason).
        self._ready.add_done_callback(lambda ready: ready.cancelled() or ready.exception())
        self._client = openai.AsyncOpenAI(
            api_key=self._api_key, base_url=self._base_url, max_retries=0, http_client=shared_http_client()
        )
        # A dead peer shows within ~20 s of pings; closing never waits long for a handshake.
        options: dict[str, Any] = {
            "close_timeout": 1.0,
            "open_timeout": self._connect_timeout,
            "ping_interval": 10,
            "ping_timeout": 10,
        }
        tls = tls_for(self._base_url)
        if tls is not None:  # else the SDK's websockets client builds a TLS context per socket
            options["ssl"] = tls
        try:
            async with asyncio.timeout(self._connect_timeout):
                manager = self._client.realtime.connect(
                    model=self.model, websocket_connection_options=cast(Any, options)
                )
                self._conn = await manager.enter()
            self._reader = asyncio.create_task(self._read_loop(), name=f"realtime-reader-{self.call_sid}")
            self._writer = asyncio.create_task(self._write_loop(), name=f"realtime-writer-{self.call_sid}")
            session = self._session_config(instructions, tools, turn_detection, transcription_model)
            await self._request(lambda: self._conn.session.update(session=session))
            async with asyncio.timeout(self._connect_timeout):
                await self._ready
        except BaseException as exc:
            await self._abandon()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise _as_provider_error(exc, "open the session") from exc
        logger.info("call %s: realtime session open (%s, %s)", self.call_sid, self.model, self.voice)

    def _session_config(
        self,
        instructions: str,
        tools: Sequence[Mapping[str, Any]],
        turn_detection: Mapping[str, Any] | None,
        transcription_model: str | None,
    ) -> dict[str, Any]:
        audio_input: dict[str, Any] = {
            "format": {"type": "audio/pcmu"},
            "turn_detection": dict(turn_detection or DEFAULT_TURN_DETECTION),
        }
        if transcription_model:
            audio_input["transcription"] = {"model": transcription_model}
        return {
            "type": "realtime",
            "output_modalities": ["audio"],
            "instructions": instructions,
            "audio": {
                "input": audio_input,
                "output": {"format": {"type": "audio/pcmu"}, "voice": self.voice},
            },
            "tools": [dict(tool) for tool in tools],
            "tool_choice": "auto",
        }

    async def close(self) -> None:
        """Close the socket and end the iteration (StopAsyncIteration). Idempotent; never raises."""
        if self._closed:
            return
        self._closed = True
        await self._abandon()
        self._events.put(End())

    async def _abandon(self) -> None:
        self._closing = True
        if self._audio_timer is not None:
            self._audio_timer.cancel()
            self._audio_timer = None
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        self._fail_pending(
            ProviderError("OpenAI Realtime session closed", permanent=False, provider=PROVIDER)
        )
        if self._conn is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await self._conn.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        # self._client's HTTP pool is the event loop's shared one (integrations.llm): not ours to close.

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- client events ---

    async def append_audio(self, mulaw: bytes) -> None:
        """Queue caller audio (µ-law 8 kHz, any length) for the server, batched to 40 ms. Never waits
        on the network; audio past a 5 s backlog is dropped. ProviderError once the session has failed."""
        if not mulaw:
            return
        self._check_open()
        self._audio += mulaw
        if len(self._audio) >= AUDIO_BATCH_BYTES:
            self._queue_audio()
        elif self._audio_timer is None:
            loop = asyncio.get_running_loop()
            self._audio_timer = loop.call_later(AUDIO_BATCH_SECONDS, self._queue_audio)

    def _queue_audio(self) -> None:
        if self._audio_timer is not None:
            self._audio_timer.cancel()
            self._audio_timer = None
        if not self._audio or self._closing:
            return
        chunk = base64.b64encode(self._audio).decode()
        self._audio.clear()
        if self._outbox.qsize() >= MAX_BACKLOG_MESSAGES:
            self._dropped_frames += 1
            if self._dropped_frames == 1:
                logger.warning("call %s: realtime send backlog full, dropping caller audio", self.call_sid)
            return
        data = _APPEND_AUDIO + chunk + '"}'  # base64 needs no JSON escaping
        self._outbox.put_nowait((lambda: self._conn.send_raw(data), None))

    async def send_function_result(
        self, call_id: str, output: Mapping[str, Any], *, respond: bool = True
    ) -> None:
        """Give the model a tool's result (as JSON) and, unless `respond=False`, ask it to go on.
        With several calls in one response, send all results with respond=False but the last."""
        item = {"type": "function_call_output", "call_id": call_id, "output": json.dumps(output, default=str)}
        await self._request(lambda: self._conn.conversation.item.create(item=item))
        if respond:
            await self.create_response()

    async def create_response(self, instructions: str | None = None, *, use_tools: bool = True) -> None:
        """Ask the model to speak now. `instructions` REPLACE the session instructions for this one
        response (e.g. "Greet the caller: say exactly '…'"), so make them self-contained.
        `use_tools=False` keeps the model from calling a function instead of speaking."""
        response: dict[str, Any] = {}
        if instructions:
            response["instructions"] = instructions
        if not use_tools:
            response["tool_choice"] = "none"
        if response:
            await self._request(lambda: self._conn.response.create(response=response))
        else:
            await self._request(lambda: self._conn.response.create())

    async def cancel_response(self) -> None:
        """Stop the response in progress (it ends with ResponseDone status "cancelled"). With nothing
        in progress the server answers RealtimeError code "response_cancel_not_active"."""
        await self._request(lambda: self._conn.response.cancel())

    async def truncate(self, item_id: str, audio_end_ms: int) -> None:
        """Cut the assistant item to what the caller heard, so the model forgets the unheard rest.

        The server refuses (RealtimeError "Audio content of Nms is already shorter than Mms") a value
        past the audio it generated: clamp to `audio_ms(item_id)` first. Negative values become 0."""
        end = max(0, int(audio_end_ms))
        await self._request(
            lambda: self._conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=end)
        )

    def audio_ms(self, item_id: str) -> int:
        """Milliseconds of audio received so far for an assistant item (the most truncate accepts)."""
        return self._audio_bytes.get(item_id, 0) // BYTES_PER_MS

    async def send_user_text(self, text: str) -> None:
        """Add a user message in text (e.g. keypad digits, "[keypad: 1 2]"); the model answers it
        at the next `create_response()`."""
        await self._add_message("user", text)

    async def add_system_note(self, text: str) -> None:
        """Add a system message the model takes into account from its next response on."""
        await self._add_message("system", text)

    async def _add_message(self, role: str, text: str) -> None:
        item = {"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}
        await self._request(lambda: self._conn.conversation.item.create(item=item))

    async def update_turn_detection(self, turn_detection: Mapping[str, Any]) -> None:
        """Replace the session's turn detection mid-call (other settings stay), e.g. with
        `interrupt_response` off while a legal disclosure plays. Takes effect for speech the server
        detects after it processed the update, which the SessionUpdated event marks in the event
        stream; a turn committed before it was handled with the previous turn detection."""
        session = {"type": "realtime", "audio": {"input": {"turn_detection": dict(turn_detection)}}}
        await self._request(lambda: self._conn.session.update(session=session))

    # --- the writer ---

    def _check_open(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._conn is None or self._closing:
            raise ProviderError("OpenAI Realtime session is not open", permanent=False, provider=PROVIDER)

    async def _request(self, send: Send) -> None:
        """Queue a control event behind earlier ones (audio the caller already spoke included) and
        wait until it is on the wire."""
        self._check_open()
        self._queue_audio()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.put_nowait((send, done))
        try:
            async with asyncio.timeout(self._send_timeout):
                await done
        except TimeoutError as exc:
            raise ProviderError("OpenAI Realtime send timed out", permanent=False, provider=PROVIDER) from exc

    async def _write_loop(self) -> None:
        while True:
            send, done = await self._outbox.get()
            try:
                await send()
            except asyncio.CancelledError:
                if done is not None and not done.done():
                    done.set_exception(
                        ProviderError("OpenAI Realtime session closed", permanent=False, provider=PROVIDER)
                    )
                raise
            except Exception as exc:
                failure = _as_provider_error(exc, "send")
                self._failure = self._failure or failure
                if done is not None and not done.done():
                    done.set_exception(failure)
                self._fail_pending(failure)
                return  # the reader reports the dropped socket to the iterator
            if done is not None and not done.done():
                done.set_result(None)

    def _fail_pending(self, failure: ProviderError) -> None:
        while not self._outbox.empty():
            _, done = self._outbox.get_nowait()
            if done is not None and not done.done():
                done.set_exception(failure)

    # --- the reader ---

    async def _read_loop(self) -> None:
        while True:
            try:
                raw = await self._conn.recv_bytes()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._on_closed(exc)
                return
            try:
                self._on_event(json.loads(raw))
            except Exception:
                # One malformed event must not end the call; the next may be fine.
                logger.exception("call %s: unreadable realtime event", self.call_sid)

    def _on_closed(self, exc: Exception) -> None:
        if self._closing:
            return
        reason = self._last_error or getattr(exc, "reason", "") or type(exc).__name__
        failure = ProviderError(f"OpenAI Realtime dropped: {reason}", permanent=False, provider=PROVIDER)
        logger.warning("call %s: realtime session dropped: %s", self.call_sid, reason)
        self._failure = self._failure or failure
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(failure)
        self._events.put(failure)

    def _on_event(self, ev: dict[str, Any]) -> None:
        kind = ev.get("type")
        if kind == "session.updated" and self._ready is not None and not self._ready.done():
            self._ready.set_result(None)  # connect's own update; later ones are yielded (SessionUpdated)
            return
        if kind == "conversation.item.input_audio_transcription.failed":
            logger.info("call %s: caller transcription failed: %s", self.call_sid, ev.get("error"))
            return
        event = event_from_wire(ev)
        # The server explains why it closes a session (e.g. its maximum duration) just before closing.
        self._last_error = event.message if isinstance(event, RealtimeError) else ""
        if isinstance(event, AudioDelta):
            self._audio_bytes[event.item_id] = self._audio_bytes.get(event.item_id, 0) + len(event.audio)
        elif isinstance(event, RealtimeError):
            if self._ready is not None and not self._ready.done():
                # Before session.updated the only request in flight is our session.update.
                self._ready.set_exception(
                    ProviderError(
                        f"OpenAI Realtime refused the session: {event.message}",
                        permanent=True,
                        provider=PROVIDER,
                    )
                )
                return
            logger.warning("call %s: realtime error %s: %s", self.call_sid, event.code, event.message)
        if event is not None:
            self._events.put(event)

    # --- iteration ---

    def __aiter__(self) -> AsyncIterator[RealtimeEvent]:
        return self

    async def __anext__(self) -> RealtimeEvent:
        return await self._events.next()
