"""The fake providers of bench/calls.py, in a process of their own.

    python -m bench.calls_fakes --tts-frame-bytes 800 [--latency zero|typical|slow]

The repository's fake servers (tests/fakes) speak each provider's wire protocol; here they share one
aiohttp app, one port and one event loop (no threads fighting over the GIL), so the server under test
is the only thing between a phone and a provider. The fake Deepgram and Realtime read the tags the
phones put in their audio (bench.calls_wire) to time each frame's way through the server and to
speak for the caller on cue. With `--latency zero` (the default) they answer at once and a TURN tag
is a whole caller turn; with another profile (tests.fakes.latency) the phones speak (loud SPEECH
frames ending in a TURN/TURN_ALT frame) and the fakes pace interims, endpointing, the model's tokens,
TTS first bytes and the Realtime VAD by that profile. Prints {"port": N} once listening, then
answers one JSON command per line on stdin: {"cmd": "frames", "since": t0, "until": t1},
{"cmd": "cues"}, {"cmd": "prompts"}, {"cmd": "reset"}, {"cmd": "stop"}.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from array import array
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from bench.calls_wire import (
    BARGE,
    CALLER_BARGE,
    CALLER_TURN,
    CALLER_TURN_ALT,
    FRAME_SECONDS,
    REPLY,
    SPEAKING,
    SPEECH,
    TURN,
    TURN_ALT,
    reply_for,
    tags,
    words_so_far,
)
from tests.fakes.deepgram_messages import (
    flux_connected,
    listen_metadata,
    results_message,
    speech_started_message,
    turn_info,
)
from tests.fakes.fake_deepgram import FakeDeepgram
from tests.fakes.fake_openai import FakeOpenAI, TextReply
from tests.fakes.fake_realtime import FakeRealtime, Say
from tests.fakes.fake_realtime import Session as RealtimeSession
from tests.fakes.fake_twilio import FakeTwilio
from tests.fakes.latency import PROFILES, ZERO, LatencyProfile

OPENAI_KEY = "sk-fake-openai-key"
DEEPGRAM_KEY = "fake-deepgram-key"
REALTIME_MS_PER_WORD = 100  # like the fake TTS: 800 bytes of μ-law a word


class Ledger:
    """Every tagged frame that reached a provider, and when each cue was acted on."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls = array("I")
        self.sent = array("d")
        self.transit = array("d")
        self.cues: dict[str, float] = {}
        self.prompts: list[tuple[int, int, bool | None]] = []  # (chars, messages, prefix kept)
        self._last_messages: dict[int, list[str]] = {}

    def prompt(self, body: dict[str, Any]) -> None:
        """One chat request: its size, and whether it starts with the previous request of the same
        call (system prompt, tools and history unchanged: what provider-side prompt caching needs)."""
        messages = [json.dumps(m, sort_keys=True) for m in body.get("messages", [])]
        tools = json.dumps(body.get("tools"), sort_keys=True)
        key = hash((messages[0] if messages else "", tools))
        before = self._last_messages.get(key)
        kept = None if before is None else messages[: len(before) - 1] == before[:-1]
        self._last_messages[key] = messages
        self.prompts.append((len(json.dumps(body)), len(messages), kept))

    def frame(self, call: int, sent_at: float, arrived_at: float) -> None:
        self.calls.append(call)
        self.sent.append(sent_at)
        self.transit.append(arrived_at - sent_at)

    def cue(self, call: int, seq: int) -> None:
        self.cues[f"{call}:{seq}"] = time.monotonic()

    def frames(self, since: float, until: float) -> dict[str, Any]:
        """Frames sent by the phones between `since` and `until`: how many arrived, per call, and
        how long they took through the server (ms percentiles)."""
        received: dict[int, int] = {}
        transit: list[float] = []
        for call, sent, took in zip(self.calls, self.sent, self.transit, strict=True):
            if since <= sent < until:
                received[call] = received.get(call, 0) + 1
                transit.append(took * 1000)
        transit.sort()

        def pct(p: float) -> float | None:
            return transit[min(len(transit) - 1, int(p / 100 * len(transit)))] if transit else None

        return {
            "received": received,
            "transit_ms": {"p50": pct(50), "p95": pct(95), "p99": pct(99), "max": pct(100)},
        }


class Utterance:
    """What the fake recognizer knows of one call's current caller turn (latency profiles only)."""

    def __init__(self, started_at: float, position: float) -> None:
        self.speech_frames = 0
        self.started_at = position  # seconds of audio
        self.last_interim_at = started_at
        self.end: tuple[int, int] | None = None  # (kind, seq) of the last speech frame
        self.silent_frames = 0
        self.finalized = 0  # words already sent in a final result (Finalize splits a turn)
        self.cued = False  # the final carrying the caller's last words has gone out
        self.call = 0

    def words(self) -> list[str]:
        """Every word a final result would say now: the interims' words, or once the caller's last
        frame is in, the turn's final text (which differs from the interims after a TURN_ALT)."""
        if self.end is None:
            return words_so_far(self.speech_frames).split()
        return (CALLER_TURN_ALT if self.end[0] == TURN_ALT else CALLER_TURN).split()

    def unfinalized(self) -> str:
        """The words no final result has carried yet (what the next final says)."""
        return " ".join(self.words()[self.finalized :])

    def interim(self) -> str:
        """What the next interim result says: the words so far that no final has carried."""
        return " ".join(words_so_far(self.speech_frames).split()[self.finalized :])


class BenchDeepgram(FakeDeepgram):
    """FakeDeepgram whose live transcription speaks for the caller when a frame's tag says so."""

    def __init__(self, ledger: Ledger, **options: Any) -> None:
        super().__init__(**options)
        self.ledger = ledger
        self.speaking = self.latency is not ZERO

    async def _listen(self, request: web.Request) -> web.StreamResponse:
        session = await self._open(request, [])  # not kept: the benchmark opens thousands
        if session is None:
            return web.json_response(
                {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials."}, status=401
            )
        if request.path == "/v2/listen":
            return await self._flux(session)
        ws = session.ws
        utterance: list[Utterance | None] = [None]
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    arrived_at = time.monotonic()
                    session.audio_bytes += len(msg.data)
                    for kind, call, seq, sent_at in tags(msg.data):
                        self.ledger.frame(call, sent_at, arrived_at)
                        if self.speaking and kind != BARGE:
                            await self._paced(ws, session, utterance, kind, call, seq)
                        elif kind == TURN:
                            await self._caller_turn(ws, session.audio_bytes, call, seq)
                        elif kind == BARGE:
                            await self._caller_interrupts(ws, call, seq)
                elif msg.type == WSMsgType.TEXT:
                    kind = json.loads(msg.data).get("type", "")
                    if kind == "Finalize":
                        self._finalize(ws, session, utterance[0])
                    elif kind == "CloseStream":
                        await ws.send_json(listen_metadata(session.audio_bytes))
                        await ws.close()
        finally:
            session.closed = True
            self.websockets.discard(ws)
        return ws

    async def _caller_turn(self, ws: web.WebSocketResponse, audio_bytes: int, call: int, seq: int) -> None:
        heard = audio_bytes / 8000
        duration = min(1.0, heard)
        await ws.send_json(speech_started_message(heard - duration))
        await ws.send_json(results_message("I would like", is_final=False, speech_final=False))
        self.ledger.cue(call, seq)  # the final transcript goes out now
        await ws.send_json(results_message(CALLER_TURN, start=heard - duration, duration=duration))

    async def _paced(
        self,
        ws: web.WebSocketResponse,
        session: Any,
        state: list[Utterance | None],
        kind: int,
        call: int,
        seq: int,
    ) -> None:
        """One frame of a speaking caller under a latency profile: SpeechStarted at the first loud
        frame, interims with the words so far every `stt_interim_every`, and the final result
        `stt_final_delay` after `stt_endpointing` of silence that followed the last speech frame."""
        profile, now = self.latency, time.monotonic()
        position = session.audio_bytes / 8000
        utterance = state[0]
        if kind in SPEAKING:
            if utterance is None or utterance.end is not None:
                utterance = state[0] = Utterance(now, position)
                utterance.call = call
                await ws.send_json(speech_started_message(position))
            utterance.speech_frames += 1
            utterance.silent_frames = 0
            if kind != SPEECH:
                utterance.end = (kind, seq)
        elif utterance is not None:
            utterance.silent_frames += 1
        if utterance is None:
            return
        if now - utterance.last_interim_at >= profile.stt_interim_every:
            utterance.last_interim_at = now
            words = utterance.interim()
            if words:
                duration = position - utterance.started_at
                await ws.send_json(
                    results_message(
                        words,
                        is_final=False,
                        speech_final=False,
                        start=utterance.started_at,
                        duration=duration,
                    )
                )
        if utterance.end is not None and utterance.silent_frames * FRAME_SECONDS >= profile.stt_endpointing:
            # Endpointing: the final for what no Finalize has carried (Deepgram sends an empty one
            # with speech_final when a Finalize already took every word).
            state[0] = None
            spoken = utterance.speech_frames * FRAME_SECONDS
            final = results_message(utterance.unfinalized(), start=utterance.started_at, duration=spoken)
            utterance.finalized = len(utterance.words())
            asyncio.get_running_loop().create_task(
                self._final_later(ws, final, call, utterance, self.latency.stt_final_delay)
            )

    def _finalize(self, ws: web.WebSocketResponse, session: Any, utterance: Utterance | None) -> None:
        """A Finalize message: the words heard so far and not yet final come back as a final
        result (`from_finalize`) after `stt_finalize_delay`; nothing when there are none."""
        if utterance is None or not self.speaking:
            return
        text = utterance.unfinalized()
        if not text:
            return
        spoken = utterance.speech_frames * FRAME_SECONDS
        final = results_message(
            text, speech_final=False, from_finalize=True, start=utterance.started_at, duration=spoken
        )
        utterance.finalized = len(utterance.words())
        call = utterance.call
        asyncio.get_running_loop().create_task(
            self._final_later(ws, final, call, utterance, self.latency.stt_finalize_delay)
        )

    async def _final_later(
        self, ws: web.WebSocketResponse, final: dict[str, Any], call: int, utterance: Utterance, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        if ws.closed:
            return
        if utterance.end is not None and not utterance.cued and utterance.finalized == len(utterance.words()):
            utterance.cued = True
            self.ledger.cue(call, utterance.end[1])  # the final transcript with the last words goes out now
        await ws.send_json(final)

    async def _flux(self, session: Any) -> web.WebSocketResponse:
        """Flux (listen v2) under a latency profile: StartOfTurn at the first loud frame, an Update
        with the words so far every `stt_interim_every`, EagerEndOfTurn after `flux_eager_end` of
        silence, TurnResumed if the caller speaks again, EndOfTurn after `flux_end` of silence."""
        ws, profile = session.ws, self.latency
        await ws.send_json(flux_connected())
        utterance: Utterance | None = None
        eager_sent = False
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    if json.loads(msg.data).get("type") == "CloseStream":
                        await ws.close()
                    continue
                if msg.type != WSMsgType.BINARY:
                    continue
                arrived_at = time.monotonic()
                session.audio_bytes += len(msg.data)
                position = session.audio_bytes / 8000
                for kind, call, seq, sent_at in tags(msg.data):
                    self.ledger.frame(call, sent_at, arrived_at)
                    if kind == BARGE:
                        self.ledger.cue(call, seq)  # the caller starts talking now
                        await ws.send_json(turn_info("StartOfTurn", ""))
                        await ws.send_json(turn_info("Update", CALLER_BARGE))
                        continue
                    now = time.monotonic()
                    if kind in SPEAKING:
                        if utterance is None:
                            utterance = Utterance(now, position)
                            await ws.send_json(turn_info("StartOfTurn", "", start=position, end=position))
                        utterance.speech_frames += 1
                        if eager_sent:
                            eager_sent = False
                            resumed = words_so_far(utterance.speech_frames)
                            await ws.send_json(turn_info("TurnResumed", resumed))
                        utterance.silent_frames = 0
                        if kind != SPEECH:
                            utterance.end = (kind, seq)
                    elif utterance is not None:
                        utterance.silent_frames += 1
                    if utterance is None:
                        continue
                    words = words_so_far(utterance.speech_frames)
                    window = {"start": utterance.started_at, "end": position}
                    if now - utterance.last_interim_at >= profile.stt_interim_every:
                        utterance.last_interim_at = now
                        await ws.send_json(turn_info("Update", words, **window))
                    silence = utterance.silent_frames * FRAME_SECONDS
                    if not eager_sent and utterance.silent_frames and silence >= profile.flux_eager_end:
                        eager_sent = True
                        await ws.send_json(turn_info("EagerEndOfTurn", words, **window))
                    if utterance.end is not None and silence >= profile.flux_end:
                        end_kind, end_seq = utterance.end
                        text = CALLER_TURN_ALT if end_kind == TURN_ALT else CALLER_TURN
                        self.ledger.cue(call, end_seq)  # the end of turn goes out now
                        await ws.send_json(turn_info("EndOfTurn", text, **window))
                        utterance, eager_sent = None, False
        finally:
            session.closed = True
            self.websockets.discard(ws)
        return ws

    async def _caller_interrupts(self, ws: web.WebSocketResponse, call: int, seq: int) -> None:
        self.ledger.cue(call, seq)  # the caller starts talking now
        await ws.send_json(speech_started_message())
        await ws.send_json(results_message(CALLER_BARGE, is_final=False, speech_final=False))


class BenchRealtime(FakeRealtime):
    """FakeRealtime whose server VAD hears the caller when a frame's tag says so."""

    def __init__(self, ledger: Ledger, **options: Any) -> None:
        super().__init__(on_response_create=self._answer, **options)
        self.ledger = ledger
        self.speaking = self.latency is not ZERO
        self._turns: dict[int, list[int]] = {}  # id(session) -> [speech frames, silent frames, seq]

    @staticmethod
    def _answer(session: RealtimeSession, event: dict[str, Any]) -> Say:
        return Say(REPLY, ms_per_word=REALTIME_MS_PER_WORD)

    async def _handle(self, session: RealtimeSession, event: dict[str, Any]) -> None:
        if event.get("type") != "input_audio_buffer.append":
            await super()._handle(session, event)
            return
        if session.events and session.events[-1] is event:
            session.events.pop()  # ~50 appends a second per call: not kept
        arrived_at = time.monotonic()
        audio = base64.b64decode(event.get("audio", ""))
        session.audio_bytes += len(audio)  # caller_audio is not kept: hours of it across calls
        for kind, call, seq, sent_at in tags(audio):
            self.ledger.frame(call, sent_at, arrived_at)
            if self.speaking and kind != BARGE:
                await self._vad(session, kind, call, seq)
            elif kind == TURN:
                await self._caller_turn(session, call, seq)
            elif kind == BARGE:
                await self._caller_interrupts(session, call, seq)

    async def _vad(self, session: RealtimeSession, kind: int, call: int, seq: int) -> None:
        """Server VAD under a latency profile: speech_started at the first loud frame, the turn ends
        after `realtime_vad_silence` of silence following the last speech frame."""
        turn = self._turns.get(id(session))
        if kind in SPEAKING:
            if turn is None:
                turn = self._turns[id(session)] = [0, 0, -1]
                start_ms = session.audio_bytes // 8
                await self._send(
                    session,
                    {
                        "type": "input_audio_buffer.speech_started",
                        "audio_start_ms": start_ms,
                        "item_id": self._id("item"),
                    },
                )
            turn[0] += 1
            turn[1] = 0
            if kind != SPEECH:
                turn[2] = seq
        elif turn is not None:
            turn[1] += 1
            if turn[2] >= 0 and turn[1] * FRAME_SECONDS >= self.latency.realtime_vad_silence:
                del self._turns[id(session)]
                await self._caller_turn(session, call, turn[2], started=True)

    async def _caller_turn(
        self, session: RealtimeSession, call: int, seq: int, started: bool = False
    ) -> None:
        end_ms = session.audio_bytes // 8
        item_id = self._id("item")
        if not started:
            await self._send(
                session,
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": max(0, end_ms - 1000),
                    "item_id": item_id,
                },
            )
        self.ledger.cue(call, seq)  # end of the caller's turn, as server VAD reports it
        await self._send(
            session, {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end_ms, "item_id": item_id}
        )
        committed = {"type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": None}
        await self._send(session, committed)
        detection = session.turn_detection or {}
        if detection and detection.get("create_response", True):
            self._start_response(session, self._scripted(session, committed))
        await self._send(
            session,
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item_id,
                "content_index": 0,
                "transcript": CALLER_TURN,
                "usage": {"type": "duration", "seconds": 1.0},
            },
        )

    async def _caller_interrupts(self, session: RealtimeSession, call: int, seq: int) -> None:
        self.ledger.cue(call, seq)
        item_id = self._id("item")
        start_ms = session.audio_bytes // 8
        await self._send(
            session,
            {"type": "input_audio_buffer.speech_started", "audio_start_ms": start_ms, "item_id": item_id},
        )
        detection = session.turn_detection or {}
        if session.active is not None and detection.get("interrupt_response", True):
            session.active.cancel_reason = "turn_detected"


def _keep_little(fake: Any, *names: str) -> None:
    """The fakes record every request for tests; a benchmark keeps only the last few."""
    for name in names:
        setattr(fake, name, deque(maxlen=8))


def _answer_chat(ledger: Ledger) -> Any:
    def answer(body: dict[str, Any]) -> TextReply:
        ledger.prompt(body)
        said = [m.get("content") or "" for m in body.get("messages", []) if m.get("role") == "user"]
        return TextReply(reply_for(said[-1] if said else ""))

    return answer


async def serve(tts_frame_bytes: int, latency: LatencyProfile) -> None:
    ledger = Ledger()
    deepgram = BenchDeepgram(
        ledger, api_key=DEEPGRAM_KEY, frame_bytes=tts_frame_bytes, frame_interval=0.0, latency=latency
    )
    openai = FakeOpenAI(_answer_chat(ledger), api_key=OPENAI_KEY, latency=latency)
    realtime = BenchRealtime(
        ledger, api_key=OPENAI_KEY, chunk_ms=tts_frame_bytes // 8, chunk_interval=0.0, latency=latency
    )
    twilio = FakeTwilio()
    _keep_little(openai, "requests", "headers")
    _keep_little(twilio, "requests")
    app = web.Application()
    for fake in (deepgram, openai, realtime, twilio):
        app.add_routes(fake.routes())
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)

    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    while line := await commands.readline():
        command = json.loads(line)
        name = command.get("cmd")
        answer: dict[str, Any] = {}
        if name == "frames":
            answer = ledger.frames(command["since"], command["until"])
        elif name == "cues":
            answer = {"cues": ledger.cues}
        elif name == "prompts":
            answer = {"prompts": ledger.prompts}
        elif name == "reset":
            ledger.reset()
            deepgram.speak_sessions.clear()
            realtime.sessions.clear()
        elif name == "stop":
            break
        print(json.dumps(answer), flush=True)
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tts-frame-bytes", type=int, default=800)
    parser.add_argument("--latency", choices=sorted(PROFILES), default="zero")
    args = parser.parse_args()
    asyncio.run(serve(args.tts_frame_bytes, PROFILES[args.latency]))


if __name__ == "__main__":
    main()
