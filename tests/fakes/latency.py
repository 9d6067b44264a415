"""Provider latency profiles for the fake servers (`bench/calls.py --latency zero|typical|slow`, tests).

`typical` is what a US call sees from the hosted providers on a good day; `slow` doubles every figure.
Where the numbers come from:

- Deepgram streaming STT (nova-3): interim results roughly every 250 ms while audio flows, carrying the
  words so far; `endpointing=300` (our setting) means 300 ms of silence before `speech_final`, and the
  final result arrives ~100 ms after that (Deepgram's docs and our own logs of `stt_ms`). A `Finalize`
  message is answered after the same ~100 ms: it is the same finalisation, only asked for by us
  (developers.deepgram.com/docs/finalize: "process all remaining audio data and return the final
  results").
- OpenAI Chat Completions streaming (gpt-4o class): time to first token ~400 ms for a short phone-call
  prompt, then ~40 tokens/s (one fake token = one word here).
- Deepgram Aura-2 streaming TTS: first audio byte ~200 ms after Flush (Deepgram advertises < 200 ms).
- OpenAI Realtime: server VAD waits `silence_duration_ms` (500 ms, our setting) of silence before
  `speech_stopped`, then the first audio delta of the automatic response ~400 ms later (assumed: the
  same first-token time as the chat model; audio tokens stream faster than real time).
- Deepgram Flux (listen v2): `EagerEndOfTurn` ~200 ms and `EndOfTurn` ~400 ms after the last word
  (eager_eot_threshold 0.5 / eot_threshold 0.7; Deepgram reports ~260 ms median end-of-turn).

`zero` answers at once: what the server itself costs (the CPU and overhead figures of bench/calls.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class LatencyProfile:
    name: str = "zero"
    stt_interim_every: float = 0.0  # seconds between interim results while audio flows
    stt_endpointing: float = 0.0  # silence before speech_final
    stt_final_delay: float = 0.0  # final result after endpointing fired
    stt_finalize_delay: float = 0.0  # final result after a Finalize message arrived
    llm_first_token: float = 0.0
    llm_token_interval: float = 0.0  # seconds per streamed token (a word in the fakes)
    tts_first_byte: float = 0.0  # after each Flush
    realtime_vad_silence: float = 0.0  # silence before speech_stopped
    realtime_first_audio: float = 0.0  # after the response starts
    flux_eager_end: float = 0.0  # last word → EagerEndOfTurn
    flux_end: float = 0.0  # last word → EndOfTurn

    @property
    def stt_turn_end(self) -> float:
        """Last word → final transcript (nova-3)."""
        return self.stt_endpointing + self.stt_final_delay

    def naive_floor(self, first_sentence_tokens: int) -> float:
        """Seconds from the caller's last word to the first agent audio when nothing overlaps: the end
        of turn, the model's first token and the first sentence's tokens, TTS first byte."""
        return (
            self.stt_turn_end
            + self.llm_first_token
            + first_sentence_tokens * self.llm_token_interval
            + self.tts_first_byte
        )

    def speculative_floor(self, started_after: float, first_clause_tokens: int) -> float:
        """The same when the model starts `started_after` seconds after the last word and the first
        clause is spoken once complete; its audio waits for the confirmed turn (never earlier)."""
        text_ready = started_after + self.llm_first_token + first_clause_tokens * self.llm_token_interval
        return max(text_ready, self.stt_turn_end) + self.tts_first_byte

    def doubled(self, name: str) -> LatencyProfile:
        fields = {k: v * 2 for k, v in vars(self).items() if isinstance(v, float)}
        return replace(self, name=name, **fields)


ZERO = LatencyProfile()
TYPICAL = LatencyProfile(
    name="typical",
    stt_interim_every=0.25,
    stt_endpointing=0.3,
    stt_final_delay=0.1,
    stt_finalize_delay=0.1,
    llm_first_token=0.4,
    llm_token_interval=0.025,
    tts_first_byte=0.2,
    realtime_vad_silence=0.5,
    realtime_first_audio=0.4,
    flux_eager_end=0.2,
    flux_end=0.4,
)
SLOW = TYPICAL.doubled("slow")
PROFILES = {p.name: p for p in (ZERO, TYPICAL, SLOW)}
