"""When did the caller's audio at a given position reach us? For "end of caller speech" timings.

Speech recognisers (Deepgram, OpenAI Realtime's turn detection) report positions in the audio we
sent them; Twilio delivers that audio in real time, so the moment a frame arrived is the moment the
caller said it (plus network delay). Engines feed every frame with its arrival time and ask for the
arrival of a position, e.g. where the last word ended.
"""

from bisect import bisect_left

BYTES_PER_SECOND = 8000  # μ-law 8 kHz


class AudioClock:
    """Maps a position in the audio sent to a recogniser to when that audio reached us."""

    def __init__(self, keep: int = 6000):
        self._keep = keep
        self._ends: list[int] = []
        self._times: list[float] = []
        self._sent = 0

    def reset(self) -> None:
        """A new recogniser socket starts its audio clock at zero."""
        self._ends.clear()
        self._times.clear()
        self._sent = 0

    def sent(self, size: int, arrived_at: float) -> None:
        self._sent += size
        self._ends.append(self._sent)
        self._times.append(arrived_at)
        if len(self._ends) > 2 * self._keep:
            del self._ends[: self._keep], self._times[: self._keep]

    def arrival(self, seconds: float | None) -> float | None:
        """When the audio at `seconds` into the stream arrived (the latest known if beyond)."""
        if seconds is None or not self._ends:
            return None
        index = bisect_left(self._ends, int(seconds * BYTES_PER_SECOND))
        return self._times[min(index, len(self._times) - 1)]
