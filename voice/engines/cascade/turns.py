"""Turn-taking from Deepgram's live events: is the caller talking, and when have they finished?

A turn ends on `speech_final` (endpointing, 300 ms of silence) or, as the fallback, on UtteranceEnd
(1000 ms after the last finalized word); the `is_final` segments in between are joined. A caller
reading out a phone number or a VIN pauses between digit groups, so when the text so far ends in a
digit with no punctuation, `speech_final` does not end the turn: UtteranceEnd does (or the engine's
hold timer, see `Hold`), so they are not cut off mid-number.

With Flux (listen v2) Deepgram takes the turns: an Update is the turn so far (Speaking),
EagerEndOfTurn is a likely end (`LikelyEnd`: a speculative reply may start), TurnResumed takes it
back (`Resumed`) and EndOfTurn ends the turn.

Latency: `CallerTurn.stt_ms` is "end of caller speech → final transcript". The end of speech is the
audio position where the last recognised word ended (Deepgram word timings, else the end of the
final segment); `AudioClock` turns that position into the moment that audio reached us from Twilio,
and the final transcript's arrival time is subtracted from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrations.stt import FluxTurn, SpeechStarted, SttEvent, Transcript, UtteranceEnd
from voice.agent.audio_clock import AudioClock
from voice.agent.records import ms_between

ENDS_MID_NUMBER = re.compile(r"\d[\s-]*$")


@dataclass(frozen=True)
class CallerTurn:
    """What the caller said in one turn, with monotonic timings for latency figures."""

    text: str
    speech_started_at: float | None = None
    speech_ended_at: float | None = None
    transcribed_at: float | None = None
    keypad: bool = False
    languages: tuple[str, ...] = ()  # what speech recognition heard in the turn, most words first

    @property
    def stt_ms(self) -> int | None:
        return ms_between(self.speech_ended_at, self.transcribed_at)


@dataclass(frozen=True)
class Speaking:
    """The caller is talking (voice activity, then words): `text` is this turn so far."""

    text: str


@dataclass(frozen=True)
class Hold:
    """Endpointing fired mid-number: the turn waits for UtteranceEnd or the engine's hold timer."""


@dataclass(frozen=True)
class LikelyEnd:
    """Flux's EagerEndOfTurn: the caller has probably finished saying `text`."""

    text: str


@dataclass(frozen=True)
class Resumed:
    """Flux's TurnResumed: the caller went on after a likely end."""


Signal = Speaking | Hold | CallerTurn | LikelyEnd | Resumed


class TurnTaker:
    """Feed it every STT event; it returns what happened (Speaking, Hold, a finished CallerTurn)."""

    def __init__(self, clock: AudioClock):
        self._clock = clock
        self._reset()

    def _reset(self) -> None:
        self._finals: list[str] = []
        self._interim = ""
        self._started_at: float | None = None
        self._heard_speech_start = False
        self._last_word_end: float | None = None
        self._last_final_at: float | None = None
        self._languages: dict[str, int] = {}  # language -> final segments it led, this turn
        self.holding = False

    @property
    def text(self) -> str:
        return " ".join(part for part in [*self._finals, self._interim] if part)

    def feed(self, event: SttEvent) -> list[Signal]:
        if isinstance(event, SpeechStarted):
            self._heard_speech_start = True
            self._started_at = self._started_at or event.received_at
            return []
        if isinstance(event, UtteranceEnd):
            if not self._finals:
                return []
            return [self._end(event.last_word_end, self._last_final_at)]
        if isinstance(event, FluxTurn):
            return self._flux(event)
        return self._transcript(event)

    def _flux(self, event: FluxTurn) -> list[Signal]:
        text = event.text.strip()
        if text and self._started_at is None:
            self._started_at = event.received_at
        if event.event == "EndOfTurn":
            if not text:
                self._reset()
                return []
            self._finals, self._interim = [text], ""
            count = len(event.languages)
            self._languages = {code: count - rank for rank, code in enumerate(event.languages)}
            return [self._end(event.last_word_end, event.received_at)]
        if event.event == "TurnResumed":
            return [Resumed()]
        signals: list[Signal] = []
        if text and text != self._interim:
            self._interim = text
            if self._heard_speech_start:
                signals.append(Speaking(text))
        if event.event == "EagerEndOfTurn" and text:
            signals.append(LikelyEnd(text))
        return signals

    def _transcript(self, event: Transcript) -> list[Signal]:
        text = event.text.strip()
        signals: list[Signal] = []
        if text:
            if self._started_at is None:
                self._started_at = event.received_at
            if event.is_final:
                self._finals.append(text)
                self._interim = ""
                self._last_word_end = (
                    event.last_word_end if event.last_word_end is not None else event.start + event.duration
                )
                self._last_final_at = event.received_at
                if event.languages:
                    lead = event.languages[0]
                    self._languages[lead] = self._languages.get(lead, 0) + 1
            else:
                self._interim = text
            if self._heard_speech_start:
                signals.append(Speaking(self.text))
        if event.is_final and event.speech_final and self._finals:
            if ENDS_MID_NUMBER.search(self.text):
                self.holding = True
                signals.append(Hold())
            else:
                signals.append(
                    self._end(self._last_word_end, event.received_at if text else self._last_final_at)
                )
        return signals

    @property
    def finalized(self) -> bool:
        """Every word of the turn so far is final (no interim pending): it could end as it is."""
        return bool(self._finals) and not self._interim and not self.holding

    def end_finalized(self) -> CallerTurn | Hold | None:
        """End the turn on its final words when endpointing never came (see CascadeTimings.
        finalized_end_after); Hold when they end mid-number (as speech_final would); None if the
        turn has more to come."""
        if not self.finalized:
            return None
        if ENDS_MID_NUMBER.search(self.text):
            self.holding = True
            return Hold()
        return self._end(self._last_word_end, self._last_final_at)

    def force_end(self) -> CallerTurn | None:
        """End a held turn now (the hold timer ran out); None if there is nothing to end."""
        if not self.holding or not self._finals:
            return None
        return self._end(self._last_word_end, self._last_final_at)

    def _end(self, word_end: float | None, transcribed_at: float | None) -> CallerTurn:
        turn = CallerTurn(
            text=" ".join(self._finals),
            speech_started_at=self._started_at,
            speech_ended_at=self._clock.arrival(word_end),
            transcribed_at=transcribed_at,
            languages=tuple(sorted(self._languages, key=lambda code: -self._languages[code])),
        )
        self._reset()
        return turn
