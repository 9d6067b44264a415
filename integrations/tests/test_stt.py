import asyncio

import pytest

from integrations.errors import ProviderError
from integrations.stt import DeepgramLiveTranscriber, SpeechStarted, Transcript, UtteranceEnd
from tests.fakes.deepgram_messages import results_message, speech_started_message, utterance_end_message
from tests.fakes.server import unused_local_url

pytestmark = pytest.mark.asyncio

FRAME = b"\xff" * 160  # 20 ms of µ-law silence, as Twilio sends it


async def next_event(stt: DeepgramLiveTranscriber, within: float = 2.0):
    return await asyncio.wait_for(anext(stt), within)


async def test_it_asks_for_phone_audio_with_endpointing_and_vad(fake_deepgram, settings):
    settings.DEEPGRAM_STT_MODEL = "nova-3"

    async with DeepgramLiveTranscriber(call_sid="CA1"):
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)

    assert fake_deepgram.listen.query == {
        "model": "nova-3",
        "encoding": "mulaw",
        "sample_rate": "8000",
        "channels": "1",
        "interim_results": "true",
        "endpointing": "300",
        "utterance_end_ms": "1000",
        "vad_events": "true",
        "smart_format": "true",
        "punctuate": "true",
        "language": "multi",
    }
    assert fake_deepgram.listen.headers["Authorization"] == f"Token {fake_deepgram.api_key}"
    # µ-law audio does not compress: offering permessage-deflate would only cost CPU on every frame.
    assert "Sec-WebSocket-Extensions" not in fake_deepgram.listen.headers


async def test_it_forwards_audio_and_yields_the_transcription_events(fake_deepgram):
    fake_deepgram.script_after_bytes(
        1600,
        speech_started_message(0.2),
        results_message("I need an", is_final=False, speech_final=False),
        results_message("I need an oil change.", start=0.2, duration=1.3, confidence=0.93),
        utterance_end_message(1.5),
    )

    async with DeepgramLiveTranscriber(call_sid="CA1") as stt:
        for _ in range(10):
            await stt.send_audio(FRAME)
        events = [await next_event(stt) for _ in range(4)]

    assert fake_deepgram.listen.audio_bytes == 1600
    started, interim, final, end = events
    assert isinstance(started, SpeechStarted) and started.timestamp == 0.2
    assert isinstance(interim, Transcript)
    assert (interim.text, interim.is_final, interim.speech_final) == ("I need an", False, False)
    assert isinstance(final, Transcript)
    assert (final.text, final.is_final, final.speech_final) == ("I need an oil change.", True, True)
    assert (final.confidence, final.start, final.duration) == (0.93, 0.2, 1.3)
    assert isinstance(end, UtteranceEnd) and end.last_word_end == 1.5


async def test_it_reports_the_languages_the_multilingual_model_heard(fake_deepgram):
    tagged_words = results_message("necesito una cita")
    for word in tagged_words["channel"]["alternatives"][0]["words"]:
        word["language"] = "es"
    async with DeepgramLiveTranscriber() as stt:
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)
        fake_deepgram.emit(results_message("quiero un cambio de aceite", language="es"), tagged_words)
        fake_deepgram.emit(results_message("an oil change"))

        on_alternative, on_words, untagged = [await next_event(stt) for _ in range(3)]

    assert on_alternative.languages == ("es",)
    assert on_words.languages == ("es",)
    assert untagged.languages == ()


async def test_it_can_recognise_one_language_only(fake_deepgram, settings):
    settings.DEEPGRAM_STT_LANGUAGE = "en"

    async with DeepgramLiveTranscriber():
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)

    assert fake_deepgram.listen.query["language"] == "en"


async def test_it_yields_events_the_server_sends_at_any_time(fake_deepgram):
    async with DeepgramLiveTranscriber() as stt:
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)
        fake_deepgram.emit(results_message("yes please"))

        event = await next_event(stt)

    assert isinstance(event, Transcript) and event.text == "yes please"


async def test_it_skips_a_malformed_message_and_keeps_listening(fake_deepgram):
    async with DeepgramLiveTranscriber() as stt:
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)
        fake_deepgram.emit({"type": "Results", "is_final": True}, "{not json", [], results_message("book it"))

        event = await next_event(stt)

    assert isinstance(event, Transcript) and event.text == "book it"


async def test_it_keeps_an_idle_socket_alive(fake_deepgram):
    fake_deepgram.idle_timeout = 0.6  # the fake closes silent sockets like Deepgram does after 10 s

    async with DeepgramLiveTranscriber(keepalive_interval=0.1) as stt:
        await asyncio.sleep(1.0)
        fake_deepgram.emit(results_message("still here"))
        event = await next_event(stt)

    assert event.text == "still here"
    assert fake_deepgram.listen.controls.count("KeepAlive") >= 5


async def test_it_sends_no_keepalive_while_audio_flows(fake_deepgram):
    async with DeepgramLiveTranscriber(keepalive_interval=0.3) as stt:
        for _ in range(40):  # 0.8 s of audio: longer than the keepalive interval
            await stt.send_audio(FRAME)
            await asyncio.sleep(0.02)

    assert "KeepAlive" not in fake_deepgram.listen.controls


async def test_it_reports_the_server_closing_an_idle_socket_as_transient(fake_deepgram):
    fake_deepgram.idle_timeout = 0.2

    async with DeepgramLiveTranscriber(keepalive_interval=60) as stt:
        with pytest.raises(ProviderError) as failure:
            await next_event(stt)

    assert not failure.value.permanent
    assert "NET-0001" in failure.value.message


async def test_it_reports_a_dropped_socket_as_transient(fake_deepgram):
    async with DeepgramLiveTranscriber() as stt:
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)
        fake_deepgram.drop_listen()

        with pytest.raises(ProviderError) as failure:
            await next_event(stt)
        with pytest.raises(ProviderError) as send_failure:
            await stt.send_audio(FRAME)

    assert not failure.value.permanent
    assert not send_failure.value.permanent
    assert failure.value.provider == "deepgram"


async def test_it_finalizes_what_was_heard_so_far(fake_deepgram):
    fake_deepgram.finalize_transcript = "my VIN is one G four"

    async with DeepgramLiveTranscriber() as stt:
        await stt.send_audio(FRAME)
        await stt.finalize()
        event = await next_event(stt)

    assert isinstance(event, Transcript)
    assert event.text == "my VIN is one G four" and event.from_finalize and event.is_final


async def test_it_closes_the_stream_politely_and_ends_iteration(fake_deepgram):
    stt = DeepgramLiveTranscriber()
    await stt.start()
    await stt.send_audio(FRAME)

    await stt.close()
    remaining = [event async for event in stt]
    await stt.close()  # a second close is harmless

    assert remaining == []
    assert fake_deepgram.listen.controls == ["CloseStream"]
    await fake_deepgram.await_for(lambda: fake_deepgram.listen.closed)


async def test_it_refuses_bad_credentials_permanently(fake_deepgram):
    with pytest.raises(ProviderError) as failure:
        await DeepgramLiveTranscriber(api_key="wrong-key").start()

    assert failure.value.permanent
    assert "401" in failure.value.message


async def test_it_refuses_clearly_when_not_configured(settings):
    settings.DEEPGRAM_API_KEY = ""

    with pytest.raises(ProviderError) as failure:
        await DeepgramLiveTranscriber().start()

    assert failure.value.permanent
    assert failure.value.message == "Deepgram is not configured"


async def test_it_reports_an_unreachable_server_as_transient(settings):
    settings.DEEPGRAM_API_KEY = "key"
    settings.DEEPGRAM_BASE_URL = unused_local_url()

    with pytest.raises(ProviderError) as failure:
        await DeepgramLiveTranscriber().start()

    assert not failure.value.permanent


async def test_flux_opens_listen_v2_and_reads_its_turns(fake_deepgram, settings):
    from integrations.stt import FluxTurn
    from tests.fakes.deepgram_messages import turn_info

    settings.DEEPGRAM_STT_MODEL = "flux-general-en"
    async with DeepgramLiveTranscriber(call_sid="CA1") as stt:
        await fake_deepgram.await_for(lambda: fake_deepgram.listen_sessions)
        fake_deepgram.emit(
            turn_info("StartOfTurn", "", start=0.5),
            turn_info("Update", "I need"),
            turn_info("EagerEndOfTurn", "I need an oil change.", end=1.5),
            turn_info("TurnResumed", "I need an oil change."),
            turn_info("EndOfTurn", "I need an oil change today.", end=2.0),
        )
        events = [await next_event(stt) for _ in range(6)]
        await stt.finalize()
        await fake_deepgram.await_for(lambda: "ForceEndTurn" in fake_deepgram.listen.controls)

    assert fake_deepgram.listen.path == "/v2/listen"
    assert fake_deepgram.listen.query == {
        "model": "flux-general-en",
        "encoding": "mulaw",
        "sample_rate": "8000",
        "eager_eot_threshold": "0.5",
        "eot_threshold": "0.7",
    }
    assert isinstance(events[0], SpeechStarted) and events[0].timestamp == 0.5
    assert [(e.event, e.text) for e in events[1:]] == [
        ("Update", ""),
        ("Update", "I need"),
        ("EagerEndOfTurn", "I need an oil change."),
        ("TurnResumed", "I need an oil change."),
        ("EndOfTurn", "I need an oil change today."),
    ]
    assert all(isinstance(e, FluxTurn) for e in events[1:])
    assert events[-1].last_word_end == 2.0
    assert "KeepAlive" not in fake_deepgram.listen.controls  # v2 has none
