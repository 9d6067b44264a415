"""Fake OpenAI Realtime (GA) over WebSocket: `GET /v1/realtime?model=…` with `Authorization: Bearer …`.

Point the SDK at it with `OPENAI_BASE_URL = fake.base_url` (the SDK turns http://…/v1 into
ws://…/v1/realtime). The fake records every client event per connection (`fake.sessions`, newest
`fake.session`) and answers like the real API:

- on connect `session.created`; `session.update` → `session.updated` (an `error` if the session lacks
  `"type": "realtime"`, as the GA API does for beta-shaped updates);
- `input_audio_buffer.append` → audio counted (`audio_bytes`) and kept (`caller_audio`);
- `conversation.item.create` → `conversation.item.added`/`.done` (`function_outputs` keeps outputs);
- `conversation.item.truncate` → `conversation.item.truncated`, or the real API's error when
  `audio_end_ms` is past the audio sent for that item: "Audio content of Nms is already shorter than Mms";
- `response.create` → whatever the `on_response_create(session, event)` hook returns (`Say`,
  `CallFunction`, a list of them, or None for an empty response); an error if a response is active;
- `response.cancel` → the active response stops streaming and ends `cancelled`; an error if none.

Tests drive the server side with `speech_started()`, `speech_stopped()`, `caller_transcript()`,
`respond_audio()`, `call_function()`, `respond([parts])`, `emit()`, `expire()` (error + normal close)
and `drop()` (TCP abort); `answer_session_update = False` makes the server ignore session.update.
To script races, `hold_session_updates = True` keeps each session.update unapplied (turn detection
unchanged, no session.updated) until `release_session_updates()`, and `hold_response_creates = True`
does the same for response.create until `release_response_creates()`: the server's own events
(speech, turns committed, auto responses) can then be placed before the request takes effect.
Assistant audio is deterministic µ-law at 8 bytes per ms (`fake_audio(ms)`), streamed in `chunk_ms`
pieces `chunk_interval` seconds apart so a barge-in can land mid-stream. With `interrupt_response` on
(the default), `speech_started()` cancels the active response as the real server VAD does.
With a `latency` profile (tests.fakes.latency) each response starts `realtime_first_audio` late.
"""

import asyncio
import base64
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.latency import ZERO, LatencyProfile
from tests.fakes.realtime_responses import (
    BYTES_PER_MS,
    CallFunction,
    Part,
    Response,
    ResponseStream,
    Say,
    fake_audio,
)
from tests.fakes.server import FakeServer

__all__ = ["BYTES_PER_MS", "CallFunction", "FakeRealtime", "Response", "Say", "Session", "fake_audio"]

API_KEY = "sk-fake-realtime-key"
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")

Hook = Callable[["Session", dict[str, Any]], Part | list[Part] | None]


@dataclass
class Session:
    """One WebSocket connection as the fake saw it."""

    query: dict[str, str]
    headers: dict[str, str]
    ws: web.WebSocketResponse
    transport: Any
    events: list[dict[str, Any]] = field(default_factory=list)
    session_config: dict[str, Any] = field(default_factory=dict)
    audio_bytes: int = 0
    caller_audio: bytearray = field(default_factory=bytearray)
    truncates: list[dict[str, Any]] = field(default_factory=list)
    function_outputs: list[dict[str, Any]] = field(default_factory=list)
    items_audio_ms: dict[str, int] = field(default_factory=dict)
    responses: list[Response] = field(default_factory=list)
    errors_sent: list[dict[str, Any]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)  # client events not processed yet
    active: Response | None = None
    closed: bool = False

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    @property
    def event_types(self) -> list[str]:
        """Client event types in arrival order, appends left out (there are ~50 a second)."""
        return [e["type"] for e in self.events if e.get("type") != "input_audio_buffer.append"]

    @property
    def turn_detection(self) -> dict[str, Any] | None:
        return ((self.session_config.get("audio") or {}).get("input") or {}).get("turn_detection")


class FakeRealtime(FakeServer):
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        chunk_ms: int = 20,
        chunk_interval: float = 0.002,
        on_response_create: Hook | None = None,
        latency: LatencyProfile = ZERO,
    ) -> None:
        super().__init__()
        self.latency = latency  # a response's first event waits `realtime_first_audio`
        self.api_key = api_key
        self.chunk_ms = chunk_ms
        self.chunk_interval = chunk_interval
        self.on_response_create = on_response_create
        self.sessions: list[Session] = []
        self.rejected_handshakes = 0
        self.answer_session_update = True  # False: session.update goes unanswered (a stuck server)
        self.hold_session_updates = False  # True: session.update waits for release_session_updates()
        self.hold_response_creates = False  # True: response.create waits for release_response_creates()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.http_url}/v1"

    @property
    def session(self) -> Session:
        return self.sessions[-1]

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v1/realtime", self._realtime)]

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids)}"

    # --- scripting (call from tests; each runs on the server's loop) --------------------------------

    def speech_started(self, audio_start_ms: int = 0, *, item_id: str | None = None) -> str:
        """VAD heard the caller start; cancels the active response unless interrupt_response is off.
        Returns the caller item's id."""
        item_id = item_id or self._id("item")
        session = self.session

        async def act() -> None:
            await self._send(
                session,
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": audio_start_ms,
                    "item_id": item_id,
                },
            )
            detection = session.turn_detection or {}
            if session.active is not None and detection.get("interrupt_response", True):
                session.active.cancel_reason = "turn_detected"

        self.call(act)
        return item_id

    def speech_stopped(self, audio_end_ms: int = 0, *, item_id: str | None = None) -> str:
        """VAD heard the caller stop: speech_stopped + committed, then (with create_response on, the
        default) a response produced by the `on_response_create` hook."""
        item_id = item_id or self._id("item")
        session = self.session

        async def act() -> None:
            await self._send(
                session,
                {
                    "type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": audio_end_ms,
                    "item_id": item_id,
                },
            )
            committed = {"type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": None}
            await self._send(session, committed)
            detection = session.turn_detection or {}
            if detection and detection.get("create_response", True) and self.on_response_create:
                self._start_response(session, self._scripted(session, committed))

        self.call(act)
        return item_id

    def caller_transcript(
        self, text: str, *, item_id: str | None = None, language: str | None = None
    ) -> None:
        """The caller's speech transcribed (needs `audio.input.transcription` in the session). With
        `language`, the event reports it as language-detecting transcription models do
        (`languages: [{"code": "es"}]`, openai ConversationItemInputAudioTranscriptionCompletedEvent)."""
        session = self.session
        event = {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": item_id or self._id("item"),
            "content_index": 0,
            "transcript": text,
            "usage": {"type": "duration", "seconds": 1.0},
        }
        if language:
            event["languages"] = [{"code": language}]
        self.call(lambda: self._send(session, event))

    def respond_audio(self, text: str, *, item_id: str | None = None, ms_per_word: int = 200) -> Response:
        """Start a server-initiated response speaking `text` (returns at once; audio streams on)."""
        return self.respond([Say(text, item_id, ms_per_word)])

    def call_function(
        self, name: str, args: dict[str, Any] | str | None = None, *, call_id: str | None = None
    ) -> Response:
        """Start a response that is one function call."""
        return self.respond([CallFunction(name, args if args is not None else {}, call_id)])

    def respond(self, parts: list[Part]) -> Response:
        session = self.session

        async def act() -> Response:
            return self._start_response(session, parts)

        return self.call(act)

    def emit(self, *events: dict[str, Any]) -> None:
        """Send raw server events on the latest socket."""
        session = self.session

        async def act() -> None:
            for event in events:
                await self._send(session, event)

        self.call(act)

    def expire(self) -> None:
        """End the latest session the way the real API does at its maximum duration: an error, then a
        normal close."""
        session = self.session

        async def act() -> None:
            await self._error(
                session, "Your session hit the maximum duration of 60 minutes.", code="session_expired"
            )
            await session.ws.close(code=1000)

        self.call(act)

    def release_session_updates(self) -> None:
        """Stop holding session.update and process the held ones, in order."""
        self._release("session.update")

    def release_response_creates(self) -> None:
        """Stop holding response.create and process the held ones, in order."""
        self._release("response.create")

    def _release(self, kind: str) -> None:
        session = self.session

        async def act() -> None:
            if kind == "session.update":
                self.hold_session_updates = False
            else:
                self.hold_response_creates = False
            held = [event for event in session.held if event.get("type") == kind]
            session.held = [event for event in session.held if event.get("type") != kind]
            for event in held:
                await self._handle(session, event)

        self.call(act)

    def drop(self) -> None:
        """Cut the latest connection without a close frame (a network drop)."""
        session = self.session

        async def act() -> None:
            session.transport.abort()

        self.call(act)

    # --- the socket -----------------------------------------------------------------------------------

    async def _realtime(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            with self.lock:
                self.rejected_handshakes += 1
            error = {
                "message": "Incorrect API key provided.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
            return web.json_response({"error": error}, status=401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = Session(dict(request.query), dict(request.headers), ws, request.transport)
        session.session_config = {
            "type": "realtime",
            "model": request.query.get("model", ""),
            "output_modalities": ["audio"],
            "instructions": "You are a helpful assistant.",
            "audio": {
                "input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": None},
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"},
            },
            "tools": [],
            "tool_choice": "auto",
        }
        with self.lock:
            self.sessions.append(session)
            self.websockets.add(ws)
        await self._send(session, {"type": "session.created", "session": self._session_object(session)})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    event = json.loads(msg.data)
                except ValueError:
                    await self._error(session, "Invalid JSON in client event.", code="invalid_json")
                    continue
                session.events.append(event)
                await self._handle(session, event)
        finally:
            if session.active is not None:
                session.active.cancel_reason = "client_cancelled"
            session.closed = True
            self.websockets.discard(ws)
        return ws

    async def _handle(self, session: Session, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if (kind == "session.update" and self.hold_session_updates) or (
            kind == "response.create" and self.hold_response_creates
        ):
            session.held.append(event)
            return
        if kind == "input_audio_buffer.append":
            audio = base64.b64decode(event.get("audio", ""))
            session.audio_bytes += len(audio)
            session.caller_audio.extend(audio)
        elif kind == "session.update":
            await self._session_update(session, event)
        elif kind == "conversation.item.create":
            item = dict(event.get("item") or {})
            item.setdefault("id", self._id("item"))
            if item.get("type") == "function_call_output":
                session.function_outputs.append(item)
            await self._send(session, {"type": "conversation.item.added", "item": item})
            await self._send(session, {"type": "conversation.item.done", "item": item})
        elif kind == "conversation.item.truncate":
            await self._truncate(session, event)
        elif kind == "response.create":
            if session.active is not None:
                await self._error(
                    session,
                    f"Conversation already has an active response in progress: {session.active.id}. "
                    "Wait until the response is finished before creating a new one.",
                    code="conversation_already_has_active_response",
                    event=event,
                )
                return
            self._start_response(session, self._scripted(session, event))
        elif kind == "response.cancel":
            if session.active is None:
                await self._error(
                    session,
                    "Cancellation failed: no active response found",
                    code="response_cancel_not_active",
                    event=event,
                )
                return
            session.active.cancel_reason = "client_cancelled"
        elif kind in ("input_audio_buffer.commit", "input_audio_buffer.clear"):
            pass
        else:
            await self._error(session, f"Invalid value: '{kind}'.", code="invalid_value", event=event)

    async def _session_update(self, session: Session, event: dict[str, Any]) -> None:
        if not self.answer_session_update:
            return
        update = event.get("session") or {}
        if update.get("type") != "realtime":
            await self._error(
                session,
                "Missing required parameter: 'session.type'.",
                code="missing_required_parameter",
                param="session.type",
                event=event,
            )
            return
        voice = ((update.get("audio") or {}).get("output") or {}).get("voice")
        if isinstance(voice, str) and voice not in VOICES:
            supported = ", ".join(f"'{v}'" for v in VOICES)
            await self._error(
                session,
                f"Invalid value: '{voice}'. Supported values are: {supported}.",
                code="invalid_value",
                param="session.audio.output.voice",
                event=event,
            )
            return
        _merge(session.session_config, update)
        await self._send(session, {"type": "session.updated", "session": self._session_object(session)})

    async def _truncate(self, session: Session, event: dict[str, Any]) -> None:
        item_id = event.get("item_id", "")
        audio_end_ms = event.get("audio_end_ms")
        if item_id not in session.items_audio_ms:
            await self._error(
                session, f"Item with item_id '{item_id}' not found.", code="item_not_found", event=event
            )
            return
        sent_ms = session.items_audio_ms[item_id]
        if not isinstance(audio_end_ms, int) or audio_end_ms < 0:
            await self._error(session, "Invalid 'audio_end_ms'.", code="invalid_value", event=event)
            return
        if audio_end_ms > sent_ms:
            await self._error(
                session, f"Audio content of {sent_ms}ms is already shorter than {audio_end_ms}ms", event=event
            )
            return
        session.truncates.append(event)
        await self._send(
            session,
            {
                "type": "conversation.item.truncated",
                "item_id": item_id,
                "content_index": event.get("content_index", 0),
                "audio_end_ms": audio_end_ms,
            },
        )

    # --- responses --------------------------------------------------------------------------------------

    def _scripted(self, session: Session, trigger: dict[str, Any]) -> list[Part]:
        reply = self.on_response_create(session, trigger) if self.on_response_create else None
        if reply is None:
            return []
        return reply if isinstance(reply, list) else [reply]

    def _start_response(self, session: Session, parts: list[Part]) -> Response:
        response = Response(self._id("resp"), parts)
        session.responses.append(response)
        session.active = response
        asyncio.get_running_loop().create_task(self._run_response(session, response))
        return response

    async def _run_response(self, session: Session, response: Response) -> None:
        stream = ResponseStream(
            send=lambda event: self._send(session, event),
            new_id=self._id,
            items_audio_ms=session.items_audio_ms,
            chunk_ms=self.chunk_ms,
            chunk_interval=self.chunk_interval,
        )
        try:
            if self.latency.realtime_first_audio:
                await asyncio.sleep(self.latency.realtime_first_audio)
            await stream.run(response)
        except (ConnectionError, RuntimeError):
            response.status = "cancelled"  # the client went away mid-response
        finally:
            response.finished = True
            if session.active is response:
                session.active = None

    # --- wire helpers -------------------------------------------------------------------------------------

    async def _send(self, session: Session, event: dict[str, Any]) -> None:
        if session.ws.closed:
            raise ConnectionError("socket closed")
        await session.ws.send_str(json.dumps({"event_id": self._id("event"), **event}))

    async def _error(
        self,
        session: Session,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        event: dict[str, Any] | None = None,
    ) -> None:
        error = {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
            "event_id": (event or {}).get("event_id"),
        }
        session.errors_sent.append(error)
        await self._send(session, {"type": "error", "error": error})

    def _session_object(self, session: Session) -> dict[str, Any]:
        return {
            "id": f"sess_fake{id(session) % 10_000}",
            "object": "realtime.session",
            **session.session_config,
        }


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    """Nested objects merge (a later update keeps fields it does not mention); other values replace."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
