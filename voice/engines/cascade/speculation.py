"""Speculative replies: start the model on a likely end of the caller's turn, speak only once confirmed.

With nova-3 the likely end is the caller's words so far plus `SPECULATE_AFTER` of silence on their
audio, well before Deepgram's final transcript (300 ms endpointing + its own delay). `PauseWatch`
looks at the caller's audio only while a turn is open, once per batch the listener forwards (every
40 ms, not per frame): one C-speed byte count, no decoding. The reply it starts (reply.Reply with a
`Speculation`) streams the model but says nothing and runs no tool until the turn is confirmed by
the final transcript (same words); if the final differs, or the caller keeps talking, it is
discarded unheard: its stream is cancelled and nothing enters the conversation or the transcript.

Why 150 ms: a shorter pause is mostly the gaps inside a sentence (each one a discarded model
request); a longer one gives back the time the speculation is for. Measured with bench/calls.py
--latency typical, whose callers pause 240 ms mid-sentence in a fifth of their turns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SPECULATE_AFTER = 0.15  # seconds of caller silence after words before the model is asked

# μ-law bytes whose amplitude is below ~-31 dBFS (exponent ≤ 2 once the byte is inverted): line
# noise and silence. A batch with more than a quarter of other bytes is speech.
_QUIET = bytes(b for b in range(256) if ((~b >> 4) & 0x07) <= 2)
_LOUD_SHARE = 4

_WORDS = re.compile(r"[^\w\s]", re.UNICODE)


def same_words(a: str, b: str) -> bool:
    """Whether two transcripts say the same words (case and punctuation aside)."""
    return _WORDS.sub("", a).lower().split() == _WORDS.sub("", b).lower().split()


@dataclass(frozen=True)
class Speculation:
    """The caller's words a speculative reply answers, and the messages standing for them until the
    turn is confirmed (the caller's words, an escalation note)."""

    text: str
    items: list[dict[str, Any]] = field(default_factory=list)


class PauseWatch:
    """Tells when the caller, having said something, has been quiet for `after` seconds
    (`on_pause`), and when they speak again after that (`on_resume`)."""

    def __init__(self, *, after: float, on_pause: Callable[[], None], on_resume: Callable[[], None]):
        self.after = after
        self._on_pause = on_pause
        self._on_resume = on_resume
        self.watching = False
        self._close()

    @property
    def paused(self) -> bool:
        return self._fired

    def open(self) -> None:
        """A caller turn began (voice activity or words): look at their audio from now on."""
        self.watching = True

    def close(self) -> None:
        """The turn ended (final transcript) or was taken over: stop looking."""
        self.watching = False
        self._close()

    def _close(self) -> None:
        self._loud_seen = False
        self._quiet_since: float | None = None
        self._fired = False

    def heard(self, audio: bytes, first_at: float, last_at: float) -> None:
        """One batch of caller audio (arrival times of its first and last frame)."""
        loud = len(audio.translate(None, _QUIET))  # the bytes left once the quiet ones are deleted
        if loud * _LOUD_SHARE > len(audio):
            self._loud_seen = True
            self._quiet_since = None
            if self._fired:
                self._fired = False
                self._on_resume()
            return
        if not self._loud_seen:
            return
        if self._quiet_since is None:
            self._quiet_since = first_at
        if not self._fired and last_at - self._quiet_since >= self.after:
            self._fired = True
            self._on_pause()
