"""Fake Deepgram: live STT (WS /v1/listen, Flux on WS /v2/listen), streaming TTS (WS /v1/speak) and
REST TTS (POST /v1/speak).

Point the SDK at it with `DEEPGRAM_BASE_URL = fake.http_url` (the ws:// origin is derived from it).

STT: audio frames are counted; scripted messages go out once enough audio arrived
(`script_after_bytes`) or when a test calls `emit(...)`. KeepAlive is recorded, Finalize answers a
`from_finalize` result, CloseStream answers Metadata and closes. With `idle_timeout` the fake closes an
idle socket the way Deepgram does (NET-0001). `drop_listen()` kills the TCP connection. A v2 (Flux)
socket opens with `Connected`; tests send its TurnInfo messages (`turn_info(...)`: StartOfTurn,
Update, EagerEndOfTurn, TurnResumed, EndOfTurn) with `emit()`; ForceEndTurn answers an EndOfTurn
carrying `finalize_transcript`; both versions share `listen_sessions` (`session.path` tells which).

TTS: text is buffered until Flush, then `BYTES_PER_WORD` µ-law bytes per word (100 ms at 8 kHz) are
streamed in `frame_bytes` binary frames, `frame_interval` seconds apart, followed by Flushed. Clear
stops the audio at once and answers Cleared. `fake_audio_for(text)` is exactly what a flush produces.
With a `latency` profile (tests.fakes.latency) each flush's first audio waits `tts_first_byte`.
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.deepgram_messages import (
    BYTES_PER_WORD,
    fake_audio_for,
    flux_connected,
    listen_metadata,
    results_message,
    speak_metadata,
    speech_started_message,
    turn_info,
    utterance_end_message,
    wav_header,
)
from tests.fakes.latency import ZERO, LatencyProfile
from tests.fakes.server import FakeServer

__all__ = [
    "BYTES_PER_WORD",
    "FakeDeepgram",
    "fake_audio_for",
    "results_message",
    "speech_started_message",
    "turn_info",
    "utterance_end_message",
]

API_KEY = "fake-deepgram-key"


@dataclass
class Session:
    """One WebSocket connection as the fake saw it."""

    query: dict[str, str]
    headers: dict[str, str]
    ws: web.WebSocketResponse
    transport: Any
    controls: list[str] = field(default_factory=list)
    audio_bytes: int = 0
    texts: list[str] = field(default_factory=list)
    closed: bool = False
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    path: str = ""


@dataclass
class RestSpeakRequest:
    query: dict[str, str]
    headers: dict[str, str]
    text: str


class FakeDeepgram(FakeServer):
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        frame_bytes: int = 160,
        frame_interval: float = 0.002,
        idle_timeout: float | None = None,
        latency: LatencyProfile = ZERO,
    ) -> None:
        super().__init__()
        self.latency = latency  # TTS first byte after each Flush (tests.fakes.latency)
        self.api_key = api_key
        self.frame_bytes = frame_bytes
        self.frame_interval = frame_interval
        self.idle_timeout = idle_timeout
        self.listen_sessions: list[Session] = []
        self.speak_sessions: list[Session] = []
        self.rest_requests: list[RestSpeakRequest] = []
        self.listen_script: list[tuple[int, dict[str, Any]]] = []
        self.finalize_transcript = ""
        self.rest_error: tuple[int, str] | None = None
        self.project_requests = 0
        self.projects_hang = False

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/listen", self._listen),
            web.get("/v2/listen", self._listen),
            web.get("/v1/speak", self._speak_ws),
            web.post("/v1/speak", self._speak_rest),
            web.get("/v1/projects", self._projects),
        ]

    async def _projects(self, request: web.Request) -> web.Response:
        """The key's projects (the set-up check's key test); `projects_hang` makes it never answer."""
        with self.lock:
            self.project_requests += 1
        if self.projects_hang:
            await self.until_stopped()
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return web.json_response(
                {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": "fake"},
                status=401,
            )
        return web.json_response({"projects": [{"project_id": "fake-project-1", "name": "Shop"}]})

    # --- scripting (call from tests) ------------------------------------------------------------

    @property
    def listen(self) -> Session:
        return self.listen_sessions[-1]

    @property
    def speak(self) -> Session:
        return self.speak_sessions[-1]

    def script_after_bytes(self, after_bytes: int, *messages: dict[str, Any]) -> None:
        """New listen sessions send `messages` once they received `after_bytes` bytes of audio."""
        self.listen_script.extend((after_bytes, m) for m in messages)

    def emit(self, *messages: Any) -> None:
        """Send `messages` now on the latest listen socket (JSON-encoded; a str goes out as it is)."""
        ws = self.listen.ws

        async def send() -> None:
            for message in messages:
                await ws.send_str(message if isinstance(message, str) else json.dumps(message))

        self.call(send)

    def drop_listen(self) -> None:
        """Cut the latest listen connection without a close frame (a network drop)."""
        self.call(self._abort(self.listen))

    def drop_speak(self) -> None:
        self.call(self._abort(self.speak))

    def _abort(self, session: Session) -> Any:
        async def abort() -> None:
            session.transport.abort()

        return abort

    # --- STT ---------------------------------------------------------------------------------------

    async def _open(self, request: web.Request, sessions: list[Session]) -> Session | None:
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return None
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = Session(
            dict(request.query), dict(request.headers), ws, request.transport, path=request.path
        )
        with self.lock:
            sessions.append(session)
            self.websockets.add(ws)
        return session

    async def _listen(self, request: web.Request) -> web.StreamResponse:
        session = await self._open(request, self.listen_sessions)
        if session is None:
            return web.json_response(
                {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}, status=401
            )
        session.script = list(self.listen_script)
        ws, loop = session.ws, asyncio.get_running_loop()
        if session.path == "/v2/listen":
            await ws.send_str(json.dumps(flux_connected()))
        last_activity = [loop.time()]
        watchdog = asyncio.create_task(self._idle_watchdog(ws, last_activity)) if self.idle_timeout else None
        try:
            async for msg in ws:
                last_activity[0] = loop.time()
                if msg.type == WSMsgType.BINARY:
                    session.audio_bytes += len(msg.data)
                    while session.script and session.script[0][0] <= session.audio_bytes:
                        await ws.send_str(json.dumps(session.script.pop(0)[1]))
                elif msg.type == WSMsgType.TEXT:
                    kind = json.loads(msg.data).get("type", "")
                    session.controls.append(kind)
                    if kind == "ForceEndTurn":
                        await ws.send_str(json.dumps(turn_info("EndOfTurn", self.finalize_transcript)))
                    elif kind == "Finalize":
                        reply = results_message(
                            self.finalize_transcript, speech_final=False, from_finalize=True
                        )
                        await ws.send_str(json.dumps(reply))
                    elif kind == "CloseStream":
                        await ws.send_str(json.dumps(listen_metadata(session.audio_bytes)))
                        await ws.close()
        finally:
            if watchdog:
                watchdog.cancel()
            session.closed = True
            self.websockets.discard(ws)
        return ws

    async def _idle_watchdog(self, ws: web.WebSocketResponse, last_activity: list[float]) -> None:
        assert self.idle_timeout is not None
        loop = asyncio.get_running_loop()
        while not ws.closed:
            await asyncio.sleep(self.idle_timeout / 10)
            if loop.time() - last_activity[0] > self.idle_timeout:
                error = {
                    "type": "Error",
                    "variant": "NET-0001",
                    "description": "No audio received",
                    "message": "",
                }
                await ws.send_str(json.dumps(error))
                await ws.close(
                    code=1011, message=b"NET-0001: no audio or KeepAlive within the timeout window"
                )
                return

    # --- TTS over WebSocket -------------------------------------------------------------------------

    async def _speak_ws(self, request: web.Request) -> web.StreamResponse:
        session = await self._open(request, self.speak_sessions)
        if session is None:
            return web.json_response(
                {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}, status=401
            )
        ws = session.ws
        jobs: asyncio.Queue[str | None] = asyncio.Queue()
        buffer: list[str] = []
        sequence = [0]
        worker = asyncio.create_task(self._speak_worker(session, jobs, sequence))
        await ws.send_str(json.dumps(speak_metadata(session.query.get("model", ""))))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                kind = data.get("type", "")
                session.controls.append(kind)
                if kind == "Speak":
                    session.texts.append(data.get("text", ""))
                    buffer.append(data.get("text", ""))
                elif kind == "Flush":
                    jobs.put_nowait(" ".join(buffer))
                    buffer.clear()
                elif kind == "Clear":
                    buffer.clear()
                    worker.cancel()
                    await asyncio.gather(worker, return_exceptions=True)
                    while not jobs.empty():
                        jobs.get_nowait()
                    await ws.send_str(json.dumps({"type": "Cleared", "sequence_id": sequence[0]}))
                    worker = asyncio.create_task(self._speak_worker(session, jobs, sequence))
                elif kind == "Close":
                    jobs.put_nowait(" ".join(buffer) if buffer else None)
                    jobs.put_nowait(None)
                    await asyncio.gather(worker, return_exceptions=True)
                    await ws.close()
        finally:
            worker.cancel()
            session.closed = True
            self.websockets.discard(ws)
        return ws

    async def _speak_worker(
        self, session: Session, jobs: "asyncio.Queue[str | None]", sequence: list[int]
    ) -> None:
        while True:
            text = await jobs.get()
            if text is None:
                return
            audio = fake_audio_for(text)
            if self.latency.tts_first_byte:
                await asyncio.sleep(self.latency.tts_first_byte)
            for offset in range(0, len(audio), self.frame_bytes):
                frame = audio[offset : offset + self.frame_bytes]
                await session.ws.send_bytes(frame)
                session.audio_bytes += len(frame)
                await asyncio.sleep(self.frame_interval)
            await session.ws.send_str(json.dumps({"type": "Flushed", "sequence_id": sequence[0]}))
            sequence[0] += 1

    # --- TTS over REST --------------------------------------------------------------------------------

    async def _speak_rest(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Token {self.api_key}":
            return web.json_response(
                {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}, status=401
            )
        text = (await request.json()).get("text", "")
        with self.lock:
            self.rest_requests.append(RestSpeakRequest(dict(request.query), dict(request.headers), text))
        if self.rest_error:
            status, message = self.rest_error
            return web.json_response({"err_code": "FAKE_ERROR", "err_msg": message}, status=status)
        audio = fake_audio_for(text)
        # Like Deepgram's REST default, audio comes wrapped in a WAV container unless container=none.
        if request.query.get("container", "wav") != "none":
            audio = wav_header(len(audio)) + audio
            return web.Response(body=audio, content_type="audio/wav")
        return web.Response(body=audio, content_type="audio/basic")
