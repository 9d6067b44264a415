import pytest

from integrations.stt import SpeechStarted, Transcript, UtteranceEnd
from voice.engines.cascade.turns import AudioClock, CallerTurn, Hold, Speaking, TurnTaker


def final(text, *, speech_final=True, start=0.0, duration=1.0, word_end=None, at=10.0):
    return Transcript(text, True, speech_final, 0.9, start, duration, received_at=at, last_word_end=word_end)


def interim(text, at=9.5):
    return Transcript(text, False, False, 0.8, 0.0, 0.5, received_at=at)


def clock_with(seconds: int, start: float = 100.0) -> AudioClock:
    """Audio arrived in 20 ms frames from `start` (monotonic seconds)."""
    clock = AudioClock()
    for n in range(seconds * 50):
        clock.sent(160, start + (n + 1) * 0.02)
    return clock


def test_it_ends_a_turn_on_speech_final_joining_the_final_segments():
    taker = TurnTaker(clock_with(5))
    assert taker.feed(final("I need an oil change", speech_final=False)) == []

    [turn] = taker.feed(final("for my Civic.", start=1.0))

    assert isinstance(turn, CallerTurn)
    assert turn.text == "I need an oil change for my Civic."
    assert taker.text == ""


def test_it_reports_speech_only_after_voice_activity_with_words():
    taker = TurnTaker(clock_with(5))
    assert taker.feed(interim("wait")) == []  # words without a SpeechStarted: not a barge-in signal

    assert taker.feed(SpeechStarted(0.2, received_at=9.0)) == []
    assert taker.feed(interim("wait, hold")) == [Speaking("wait, hold")]


def test_it_ignores_empty_results():
    taker = TurnTaker(clock_with(5))
    assert taker.feed(SpeechStarted(0.0)) == []
    assert taker.feed(Transcript("", True, True, 0.0, 0.0, 1.0)) == []
    assert taker.feed(UtteranceEnd(1.0)) == []


def test_it_holds_a_turn_that_stops_mid_number_until_utterance_end():
    taker = TurnTaker(clock_with(5))

    assert taker.feed(final("My number is 312 555")) == [Hold()]
    assert taker.holding
    [turn] = taker.feed(UtteranceEnd(2.0, received_at=11.0))

    assert turn.text == "My number is 312 555"


def test_it_ends_a_held_turn_when_the_number_is_finished():
    taker = TurnTaker(clock_with(5))
    taker.feed(final("My number is 312 555"))

    [turn] = taker.feed(final("0147.", start=1.0))

    assert turn.text == "My number is 312 555 0147."


def test_the_hold_timer_can_end_a_held_turn():
    taker = TurnTaker(clock_with(5))
    assert taker.force_end() is None
    taker.feed(final("Call me at 312 555 0147"))

    turn = taker.force_end()

    assert turn is not None and turn.text == "Call me at 312 555 0147"


def test_utterance_end_is_the_fallback_when_endpointing_never_fires():
    taker = TurnTaker(clock_with(5))
    taker.feed(final("Do you do brakes", speech_final=False))

    [turn] = taker.feed(UtteranceEnd(1.0, received_at=10.5))

    assert turn.text == "Do you do brakes"


def test_stt_latency_runs_from_when_the_last_word_reached_us_to_the_final_transcript():
    taker = TurnTaker(clock_with(5, start=100.0))  # audio second s arrived at 100 + s
    taker.feed(SpeechStarted(0.5, received_at=100.6))

    *_, turn = taker.feed(final("Book it.", start=0.5, duration=2.0, word_end=2.0, at=102.25))

    assert turn.speech_started_at == 100.6
    assert turn.speech_ended_at == pytest.approx(102.0)
    assert turn.stt_ms == 250


def test_the_audio_clock_maps_positions_to_arrival_times():
    clock = clock_with(2, start=50.0)

    assert clock.arrival(1.0) == 51.0
    assert clock.arrival(10.0) == 52.0  # beyond what was sent: the latest arrival
    assert clock.arrival(None) is None
    clock.reset()
    assert clock.arrival(1.0) is None
