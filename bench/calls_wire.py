"""What the phones and the fake providers of bench/calls.py agree on, passed through the real server.

Every 20 ms caller frame starts with a 24-byte tag (magic, kind, call number, frame number, the
monotonic time it was sent) followed by μ-law silence. The server forwards caller audio to the
speech recognizer untouched, so the fake Deepgram (or Realtime) reads the tags back: it times how
long each frame spent in the server, counts the frames that never arrived, and a TURN or BARGE tag
is its cue to say "the caller finished a sentence" or "the caller started talking" on that very
call, noting the instant it did. CLOCK_MONOTONIC is one clock for every process of a Linux machine,
so times taken in different processes can be subtracted.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator

FRAME_BYTES = 160  # 20 ms of μ-law 8 kHz, as Twilio sends it
FRAME_SECONDS = 0.02
TAG = struct.Struct("<4sB3xIId")  # 24 bytes: a multiple of 3, so its base64 joins the silence's
MAGIC = b"\x00BN\x7f"
SILENCE_B64 = base64.b64encode(b"\xff" * (FRAME_BYTES - TAG.size)).decode("ascii")
LOUD_B64 = base64.b64encode(b"\x10" * (FRAME_BYTES - TAG.size)).decode("ascii")  # loud μ-law: "speech"

# Frame kinds. With a latency profile the caller speaks: SPEECH frames (loud), the last one tagged TURN
# (the final transcript will be the words the interims carried) or TURN_ALT (the final differs from
# the interims); silent AUDIO frames between. Without one a TURN tag alone is a whole caller turn.
AUDIO, TURN, BARGE, SPEECH, TURN_ALT = 0, 1, 2, 3, 4
SPEAKING = frozenset({TURN, SPEECH, TURN_ALT})
UTTERANCE_FRAMES = 60  # 1.2 s of caller speech per turn

# What the caller "says" (the fake recognizer's transcripts) and what the fake model answers: plain
# words only, so the spoken text is the written text and its fake audio length is known in advance.
CALLER_TURN = "I would like to book an oil change for my car sometime next week please."
CALLER_BARGE = "wait hold on a second"
CALLER_TURN_ALT = "I would like to book an oil change for my car sometime next week please thanks."
REPLY = (
    "Sure, I can help you with that. We have openings on Monday and Tuesday morning next week. "
    "Which day would work better for you?"
)
# Same length as REPLY, another first word: the phone knows from the first word it hears which
# transcript the reply answered (REPLY_WRONG: one that was never the final one).
REPLY_ALT = "Okay," + REPLY.removeprefix("Sure,")
REPLY_WRONG = "Wrong," + REPLY.removeprefix("Sure,")


def reply_for(caller_text: str) -> str:
    """The fake model's answer to the caller's last words."""
    said = _plain(caller_text)
    if said == _plain(CALLER_TURN):
        return REPLY
    if said == _plain(CALLER_TURN_ALT):
        return REPLY_ALT
    return REPLY_WRONG


def words_so_far(frames: int) -> str:
    """The interim transcript after `frames` speech frames of CALLER_TURN."""
    words = CALLER_TURN.split()
    count = min(len(words), -(-len(words) * frames // UTTERANCE_FRAMES))
    return CALLER_TURN if count == len(words) else " ".join(words[:count])


def _plain(text: str) -> str:
    return " ".join(text.lower().replace(",", "").replace(".", "").split())


def tagged_payload(kind: int, call: int, seq: int, sent_at: float) -> str:
    """The base64 payload of one caller frame carrying its tag (loud while the caller speaks)."""
    tag = TAG.pack(MAGIC, kind, call, seq, sent_at)
    return base64.b64encode(tag).decode("ascii") + (LOUD_B64 if kind in SPEAKING else SILENCE_B64)


def tags(audio: bytes) -> Iterator[tuple[int, int, int, float]]:
    """(kind, call, seq, sent_at) of every tagged frame in a chunk of forwarded caller audio."""
    start = audio.find(MAGIC)
    while start != -1 and start + TAG.size <= len(audio):
        _, kind, call, seq, sent_at = TAG.unpack_from(audio, start)
        yield kind, call, seq, sent_at
        start = audio.find(MAGIC, start + TAG.size)
