"""The playout clock: what agent audio has the caller actually heard?

Agent audio goes to Twilio in chunks of at most 100 ms, with a `mark` after each full 100 ms of an
utterance and after its last byte. Twilio buffers the audio and echoes each mark when the audio before
it has played, so the echoed marks tell us, to ~100 ms, how much of each utterance was heard.

Barge-in sends `clear` (Twilio drops what it buffered) and forgets the pending marks, so echoes of
flushed audio never count as heard. One lock covers sending audio and interrupting: a chunk sent before
an interrupt is flushed by its `clear`, and audio for an utterance that was interrupted is refused
afterwards, so nothing queued before an interrupt plays after it.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import count

from voice.media_streams import BYTES_PER_MS, Encoder

CHUNK_BYTES = 100 * BYTES_PER_MS  # 100 ms of μ-law


@dataclass(slots=True)
class Utterance:
    """One labelled piece of agent speech and how much of it was sent and heard."""

    label: str
    sent_bytes: int = 0
    heard_bytes: int = 0
    interrupted: bool = False
    final: bool = False
    pending_marks: int = 0
    unmarked_bytes: int = field(default=0, repr=False)

    @property
    def sent_ms(self) -> int:
        return self.sent_bytes // BYTES_PER_MS

    @property
    def heard_ms(self) -> int:
        return self.heard_bytes // BYTES_PER_MS

    @property
    def heard_fraction(self) -> float:
        """Share of the sent audio the caller heard (1.0 for nothing sent), e.g. to cut its text."""
        return min(1.0, self.heard_bytes / self.sent_bytes) if self.sent_bytes else 1.0

    @property
    def fully_heard(self) -> bool:
        return self.final and not self.interrupted and self.heard_bytes >= self.sent_bytes


class Playout:
    """Sends agent audio with marks and tracks which marks came back. Owned by a CallSession."""

    def __init__(self, encoder: Encoder, send_text: Callable[[str], Awaitable[None]]):
        self._encoder = encoder
        self._send = send_text
        self._lock = asyncio.Lock()
        self._marks = count(1)
        # mark name -> (utterance, utterance byte offset it vouches for); insertion order = play order
        self._pending: dict[str, tuple[Utterance, int]] = {}
        self._utterances: dict[str, Utterance] = {}
        self._waiters: list[tuple[str | None, int, asyncio.Future[bool]]] = []
        self._interrupts = 0
        self._closed = False

    @property
    def audio_pending(self) -> bool:
        return bool(self._pending)

    @property
    def utterances(self) -> dict[str, Utterance]:
        return self._utterances

    async def play(self, audio: bytes, *, label: str, final: bool) -> bool:
        async with self._lock:
            utterance = self._utterances.get(label)
            if utterance is None:
                utterance = self._utterances[label] = Utterance(label)
            if self._closed or utterance.interrupted or utterance.final:
                return False
            view = memoryview(audio)
            while view:
                piece = view[: CHUNK_BYTES - utterance.unmarked_bytes]
                view = view[len(piece) :]
                await self._send(self._encoder.media(piece))
                utterance.sent_bytes += len(piece)
                utterance.unmarked_bytes += len(piece)
                if utterance.unmarked_bytes == CHUNK_BYTES:
                    await self._mark(utterance)
            if final:
                utterance.final = True
                if utterance.unmarked_bytes:
                    await self._mark(utterance)
                self._resolve_waiters()
            return True

    async def _mark(self, utterance: Utterance) -> None:
        name = f"m-{next(self._marks)}"
        self._pending[name] = (utterance, utterance.sent_bytes)
        utterance.pending_marks += 1
        utterance.unmarked_bytes = 0
        await self._send(self._encoder.mark(name))

    def on_mark(self, name: str) -> bool:
        """Twilio echoed `name`: it and every mark sent before it were heard. False if not ours."""
        if name not in self._pending:
            return False
        while self._pending:
            key = next(iter(self._pending))
            utterance, offset = self._pending.pop(key)
            utterance.heard_bytes = max(utterance.heard_bytes, offset)
            utterance.pending_marks -= 1
            if key == name:
                break
        self._resolve_waiters()
        return True

    async def interrupt(self) -> dict[str, Utterance]:
        """Flush Twilio's buffer and stop every utterance not yet fully heard; returns those."""
        async with self._lock:
            cut: dict[str, Utterance] = {}
            for utterance in self._utterances.values():
                if not utterance.interrupted and not utterance.fully_heard and utterance.sent_bytes:
                    utterance.interrupted = True
                    utterance.pending_marks = 0
                    cut[utterance.label] = utterance
            self._pending.clear()
            self._interrupts += 1
            if not self._closed:
                await self._send(self._encoder.clear())
            self._resolve_waiters()
            return cut

    async def wait_until_heard(self, label: str | None, max_wait: float | None) -> bool:
        """True once `label` (default: all audio sent so far) has been heard; False if it is
        interrupted, the stream ends, or `max_wait` seconds pass first."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        waiter = (label, self._interrupts, future)
        self._waiters.append(waiter)
        self._resolve_waiters()
        try:
            return await asyncio.wait_for(future, max_wait)
        except TimeoutError:
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def close(self) -> None:
        self._closed = True
        self._pending.clear()
        self._resolve_waiters()

    def _outcome(self, label: str | None, interrupts_at_start: int) -> bool | None:
        """True heard, False not going to be heard, None still playing."""
        if label is None:
            if self._interrupts != interrupts_at_start or self._closed:
                return False
            return None if self._pending else True
        utterance = self._utterances.get(label)
        if utterance is None:
            return not self._closed
        if utterance.interrupted:
            return False
        if utterance.final and utterance.pending_marks == 0:
            return True
        return False if self._closed else None

    def _resolve_waiters(self) -> None:
        for label, interrupts, future in self._waiters:
            if not future.done():
                outcome = self._outcome(label, interrupts)
                if outcome is not None:
                    future.set_result(outcome)
