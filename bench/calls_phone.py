"""The load generator of bench/calls.py: phones that play Twilio on the server's media-stream socket.

A Phone sends `connected` and `start`, then one tagged 20 ms frame every 20 ms on a fixed schedule
(a frame sent more than 5 ms after its slot is late; one that cannot be sent is dropped). It plays
the agent's audio like Twilio: each `mark` is echoed once the audio before it has had time to play
(or at once with `real_time=False`), and a `clear` flushes what is queued and echoes its marks.
`cue(TURN)` / `cue(BARGE)` puts a tag in the next frame that makes the fake recognizer speak for the
caller; the phone notes when the answer (first agent audio, or `clear`) arrives. Under a latency
profile `speak()` sends the caller's words as loud frames instead (optionally with a pause inside),
the last one carrying the cue: voice-to-voice latency is from that frame to the first agent audio.
The first byte of that audio says which transcript the reply answered (bench.calls_wire.REPLY_*):
a reply to words that were never the final transcript is counted, and so is agent audio that
arrives while the caller is still speaking.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import time
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.calls_wire import (
    AUDIO,
    BARGE,
    FRAME_SECONDS,
    SPEECH,
    TURN,
    TURN_ALT,
    UTTERANCE_FRAMES,
    tagged_payload,
)

LATE_AFTER = 0.005
REACTION = 0.3  # a caller starts talking this long after the agent stops, at the soonest


@dataclass
class Cue:
    """A TURN or BARGE tag the phone sent, and when the server's answer to it arrived."""

    kind: int
    call: int
    seq: int
    sent_at: float
    answered_at: float | None = None
    first_byte: int | None = None  # of the answer's audio
    paused: bool = False  # the caller paused mid-sentence in this turn


@dataclass
class Tally:
    """Counters over every phone (snapshot them to measure a window)."""

    frames_sent: int = 0
    late: int = 0
    dropped: int = 0
    frames_in: int = 0
    media_in: int = 0
    stale_media: int = 0  # agent audio after a `clear`, before the caller's next turn: must stay 0
    wrong_replies: int = 0  # replies heard that answered a transcript that was not the final one
    talked_over: int = 0  # agent audio frames that arrived while the caller was speaking a turn
    max_late_ms: float = 0.0
    cues: list[Cue] = field(default_factory=list)

    def snapshot(self) -> dict[str, float]:
        return {
            "frames_sent": self.frames_sent,
            "late": self.late,
            "dropped": self.dropped,
            "frames_in": self.frames_in,
            "media_in": self.media_in,
            "stale_media": self.stale_media,
            "wrong_replies": self.wrong_replies,
            "talked_over": self.talked_over,
        }


@dataclass(frozen=True)
class Expect:
    """Bytes of agent audio in the greeting and in each reply (known from the fakes' scripts)."""

    greeting: int
    reply: int
    first_byte: dict[int, int] = field(default_factory=dict)  # cue kind -> first byte of the right reply


class Phone:
    def __init__(self, number: int, url: str, parameters: dict[str, str], tally: Tally, *, real_time: bool):
        self.number = number
        self.url = url
        self.parameters = parameters
        self.tally = tally
        self.real_time = real_time
        self.stream_sid = f"MZ{number:032x}"
        self.ws: ClientConnection | None = None
        self.alive = False
        self.sent_at = array("d")
        self.media_bytes = 0
        self.reply_bytes = 0  # agent audio since the last cue
        self._seq = 0
        self._cue: Cue | None = None
        self._script: deque[int] = deque()  # kinds of the next frames (the caller's words)
        self._speaking = False
        self.expect_first: dict[int, int] = {}
        self._cue_sent: asyncio.Future[Cue] | None = None
        self._awaiting_audio: Cue | None = None
        self._awaiting_clear: Cue | None = None
        self._cleared = False
        self._play_end = 0.0
        self._marks: deque[tuple[str, asyncio.TimerHandle | None]] = deque()
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sending = False

    # --- the call -----------------------------------------------------------------------------------

    async def dial(self) -> None:
        self.ws = await connect(
            self.url, compression=None, ping_interval=None, open_timeout=60, close_timeout=5, max_queue=None
        )
        self.alive = True
        await self.ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "accountSid": "AC" + "0" * 32,
            "streamSid": self.stream_sid,
            "callSid": self.parameters["call_sid"],
            "tracks": ["inbound"],
            "customParameters": self.parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await self.ws.send(
            json.dumps(
                {"event": "start", "sequenceNumber": "1", "start": start, "streamSid": self.stream_sid}
            )
        )
        self._sending = True
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._send_frames()), loop.create_task(self._read())]

    async def hang_up(self) -> None:
        """Twilio's `stop`, then the socket closes."""
        await self.stop_audio()
        if self.ws is not None and self.alive:
            with contextlib.suppress(ConnectionClosed):
                stop = {
                    "event": "stop",
                    "streamSid": self.stream_sid,
                    "stop": {"callSid": self.parameters["call_sid"]},
                }
                await self.ws.send(json.dumps(stop))
            await self.ws.close()
        self.alive = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _, handle in self._marks:
            if handle is not None:
                handle.cancel()
        self._marks.clear()

    async def stop_audio(self) -> None:
        self._sending = False
        if self._tasks:
            self._tasks[0].cancel()
            await asyncio.gather(self._tasks[0], return_exceptions=True)

    # --- the caller speaks ---------------------------------------------------------------------------

    async def cue(self, kind: int) -> Cue:
        """Tag the next frame with `kind`; returns once it was sent."""
        self._cue_sent = asyncio.get_running_loop().create_future()
        self._cue = Cue(kind, self.number, -1, 0.0)
        cue = await self._cue_sent
        self.tally.cues.append(cue)
        self._speaking = False
        if kind in (TURN, TURN_ALT):
            self.reply_bytes = 0
            self._cleared = False
            self._awaiting_audio = cue
        else:
            self._awaiting_clear = cue
        return cue

    async def speak(self, kind: int, *, pause_frames: int = 0) -> Cue:
        """The caller says a sentence (UTTERANCE_FRAMES of loud frames, with `pause_frames` of
        silence in the middle); the cue is its last frame. Returns once that frame was sent."""
        half = UTTERANCE_FRAMES // 2
        self._script = deque(
            [SPEECH] * half + [AUDIO] * pause_frames + [SPEECH] * (UTTERANCE_FRAMES - half - 1)
        )
        self._speaking = True
        cue = await self.cue(kind)
        cue.paused = pause_frames > 0
        return cue

    async def until(self, condition: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0 or not self.alive:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return True

    @property
    def marks_pending(self) -> int:
        return len(self._marks)

    # --- the wire -------------------------------------------------------------------------------------

    async def _send_frames(self) -> None:
        assert self.ws is not None
        ws, tally, sent = self.ws, self.tally, self.sent_at
        template = (
            '{"event":"media","sequenceNumber":"%d","media":{"track":"inbound","chunk":"%d",'
            '"timestamp":"%d","payload":"%s"},"streamSid":"' + self.stream_sid + '"}'
        )
        started = slot = time.monotonic()
        while self._sending:
            delay = slot - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            lateness = now - slot
            kind = AUDIO
            cue = self._cue
            if self._script:
                kind, cue = self._script.popleft(), None
            elif cue is not None:
                kind, cue.seq, cue.sent_at, self._cue = cue.kind, self._seq, now, None
            payload = tagged_payload(kind, self.number, self._seq, now)
            message = template % (self._seq + 2, self._seq + 1, int((slot - started) * 1000), payload)
            try:
                await ws.send(message)
            except ConnectionClosed:
                tally.dropped += 1
                self.alive = False
                self._changed.set()
                return
            sent.append(now)
            tally.frames_sent += 1
            if lateness > LATE_AFTER:
                tally.late += 1
                tally.max_late_ms = max(tally.max_late_ms, lateness * 1000)
            if cue is not None and self._cue_sent is not None:
                self._cue_sent.set_result(cue)
            self._seq += 1
            slot += FRAME_SECONDS

    async def _read(self) -> None:
        assert self.ws is not None
        tally, loop = self.tally, asyncio.get_running_loop()
        try:
            async for message in self.ws:
                now = time.monotonic()
                tally.frames_in += 1
                frame = json.loads(message)
                event = frame.get("event")
                if event == "media":
                    payload = frame["media"]["payload"]
                    size = len(payload) * 3 // 4 - payload.count("=", -2)
                    tally.media_in += 1
                    self.media_bytes += size
                    self.reply_bytes += size
                    if self._cleared:
                        tally.stale_media += 1
                    if self._speaking:
                        tally.talked_over += 1
                    if self._awaiting_audio is not None:
                        answer = self._awaiting_audio
                        answer.answered_at = now
                        answer.first_byte = base64.b64decode(payload[:4])[0]
                        expected = self.expect_first.get(answer.kind)
                        if expected is not None and answer.first_byte != expected:
                            tally.wrong_replies += 1
                        self._awaiting_audio = None
                    self._play_end = max(now, self._play_end) + size / 8000
                elif event == "mark":
                    name = frame["mark"]["name"]
                    if self.real_time and self._play_end > now:
                        self._marks.append((name, loop.call_at(self._play_end, self._echo_played)))
                    else:
                        self._marks.append((name, None))
                        self._echo_played()
                elif event == "clear":
                    if self._awaiting_clear is not None:
                        self._awaiting_clear.answered_at = now
                        self._awaiting_clear = None
                    self._cleared = True
                    self._play_end = now
                    self._echo_all()
                self._changed.set()
        except ConnectionClosed:
            pass
        self.alive = False
        self._changed.set()

    def _echo_played(self) -> None:
        """Echo every mark whose audio has played by now (Twilio echoes them in order)."""
        now = asyncio.get_running_loop().time()
        names = []
        while self._marks and (self._marks[0][1] is None or self._marks[0][1].when() <= now + 0.002):
            names.append(self._marks.popleft()[0])
        self._echo(names)

    def _echo_all(self) -> None:
        names = []
        while self._marks:
            name, handle = self._marks.popleft()
            if handle is not None:
                handle.cancel()
            names.append(name)
        self._echo(names)

    def _echo(self, names: list[str]) -> None:
        if names and self.ws is not None and self.alive:
            asyncio.get_running_loop().create_task(self._send_marks(names))
        self._changed.set()

    async def _send_marks(self, names: list[str]) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            for name in names:
                await self.ws.send(
                    json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
                )

    def frames_sent_between(self, since: float, until: float) -> int:
        return bisect_left(self.sent_at, until) - bisect_left(self.sent_at, since)


# --- scripts ------------------------------------------------------------------------------------------


async def greeted(phone: Phone, expect: Expect, within: float = 60.0) -> bool:
    return await phone.until(lambda: phone.media_bytes >= expect.greeting and not phone.marks_pending, within)


async def reply_heard(phone: Phone, expect: Expect, within: float = 30.0) -> bool:
    return await phone.until(lambda: phone.reply_bytes >= expect.reply and not phone.marks_pending, within)


async def take_turn(phone: Phone, expect: Expect) -> bool:
    """The caller answers the greeting after a moment (REACTION) with one sentence; True once the
    agent's answer has played."""
    await asyncio.sleep(REACTION)
    turn = await phone.cue(TURN)
    if not await phone.until(lambda: turn.answered_at is not None, 10.0):
        return False
    return await reply_heard(phone, expect)


async def caller_turn(phone: Phone, rng: random.Random, speaking: bool) -> Cue:
    """One caller turn. Speaking (a latency profile): 60% plain sentences, 20% whose final transcript
    differs from the interims, 20% with a 240 ms pause mid-sentence (shorter than endpointing)."""
    if not speaking:
        return await phone.cue(TURN)
    draw = rng.random()
    if draw < 0.2:
        return await phone.speak(TURN_ALT)
    return await phone.speak(TURN, pause_frames=12 if draw < 0.4 else 0)


async def converse(
    phone: Phone, expect: Expect, *, done: Callable[[], bool], rng: random.Random, speaking: bool = False
) -> str | None:
    """Turns until `done()`; every other reply is cut short by the caller. None, or what went wrong."""
    if not await greeted(phone, expect):
        return "no greeting"
    phone.expect_first = expect.first_byte
    barge = rng.random() < 0.5
    while not done():
        await asyncio.sleep(rng.uniform(0.4, 1.2))
        if done():
            break
        turn = await caller_turn(phone, rng, speaking)
        if not await phone.until(lambda t=turn: t.answered_at is not None, 10.0):
            return "no answer to a turn"
        if barge:
            await asyncio.sleep(rng.uniform(0.3, 0.8))  # the agent is still talking
            if phone.marks_pending:
                cut = await phone.cue(BARGE)
                if not await phone.until(lambda c=cut: c.answered_at is not None, 5.0):
                    return "no clear after barge-in"
                await asyncio.sleep(0.3)
                turn = await caller_turn(phone, rng, speaking)
                if not await phone.until(lambda t=turn: t.answered_at is not None, 10.0):
                    return "no answer after barge-in"
        if not await reply_heard(phone, expect):
            return "reply did not finish"
        barge = not barge
    return None


def merge_cues(cues: list[Cue], acted: dict[str, float]) -> dict[int, list[float]]:
    """Milliseconds from the fake's act (final transcript / speech start) to the server's answer."""
    out: dict[int, list[float]] = {TURN: [], BARGE: []}
    for cue in cues:
        at = acted.get(f"{cue.call}:{cue.seq}")
        if at is not None and cue.answered_at is not None:
            out[BARGE if cue.kind == BARGE else TURN].append((cue.answered_at - at) * 1000)
    return out


def voice_to_voice(cues: list[Cue], which: Callable[[Cue], bool] = lambda cue: True) -> list[float]:
    """Milliseconds from the caller's last speech frame to the first agent audio at the phone."""
    return [
        (c.answered_at - c.sent_at) * 1000
        for c in cues
        if c.kind != BARGE and c.answered_at is not None and which(c)
    ]


def unanswered(cues: list[Cue]) -> dict[int, int]:
    out = {TURN: 0, BARGE: 0}
    for cue in cues:
        if cue.answered_at is None:
            out[BARGE if cue.kind == BARGE else TURN] += 1
    return out


Json = dict[str, Any]
