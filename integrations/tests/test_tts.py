import asyncio

import pytest

from integrations.errors import ProviderError
from integrations.tts import Audio, Cleared, DeepgramSpeaker, Flushed, synthesize
from tests.fakes.deepgram_messages import BYTES_PER_WORD, fake_audio_for

pytestmark = pytest.mark.asyncio

LONG_TEXT = " ".join(["word"] * 40)  # 4 s of audio: long enough to interrupt


async def next_event(tts: DeepgramSpeaker, within: float = 3.0):
    return await asyncio.wait_for(anext(tts), within)


async def audio_until(tts: DeepgramSpeaker, kind: type) -> tuple[bytes, list]:
    """Read events until one of `kind`; return the audio before it and all events seen."""
    audio, seen = b"", []
    while True:
        event = await next_event(tts)
        seen.append(event)
        if isinstance(event, Audio):
            audio += event.data
        if isinstance(event, kind):
            return audio, seen


async def test_it_streams_phone_audio_for_a_sentence(fake_deepgram, settings):
    settings.DEEPGRAM_TTS_MODEL = "aura-2-thalia-en"

    async with DeepgramSpeaker(call_sid="CA1") as tts:
        await tts.speak("Your car is ready for pickup.")
        await tts.flush()
        audio, _ = await audio_until(tts, Flushed)

    assert audio == fake_audio_for("Your car is ready for pickup.")
    assert fake_deepgram.speak.query == {
        "model": "aura-2-thalia-en",
        "encoding": "mulaw",
        "sample_rate": "8000",
    }
    assert fake_deepgram.speak.headers["Authorization"] == f"Token {fake_deepgram.api_key}"


async def test_it_speaks_sentences_in_order_with_a_flushed_after_each(fake_deepgram):
    async with DeepgramSpeaker() as tts:
        await tts.speak("Sure.")
        await tts.flush()
        await tts.speak("Let me check that.")
        await tts.flush()
        first, first_events = await audio_until(tts, Flushed)
        second, second_events = await audio_until(tts, Flushed)

    assert first == fake_audio_for("Sure.")
    assert second == fake_audio_for("Let me check that.")
    assert [first_events[-1].sequence_id, second_events[-1].sequence_id] == [0, 1]


async def test_it_stops_audio_at_once_on_clear(fake_deepgram):
    fake_deepgram.frame_interval = 0.005

    async with DeepgramSpeaker() as tts:
        await tts.speak(LONG_TEXT)
        await tts.flush()
        assert isinstance(await next_event(tts), Audio)
        await asyncio.sleep(0.05)  # more audio is now queued in the speaker, unread

        await tts.clear()
        after_clear = await next_event(tts)
        await tts.speak("Go ahead.")
        await tts.flush()
        new_audio, _ = await audio_until(tts, Flushed)

    assert isinstance(after_clear, Cleared)  # nothing of the interrupted sentence slipped out
    assert new_audio == fake_audio_for("Go ahead.")
    assert fake_deepgram.speak.audio_bytes < len(fake_audio_for(LONG_TEXT)) + 2 * BYTES_PER_WORD
    assert "Clear" in fake_deepgram.speak.controls


async def test_it_ends_iteration_when_closed(fake_deepgram):
    tts = DeepgramSpeaker()
    await tts.start()

    await tts.close()

    assert [event async for event in tts] == []
    await fake_deepgram.await_for(lambda: fake_deepgram.speak.closed)
    assert fake_deepgram.speak.controls == ["Close"]


async def test_it_reports_a_dropped_socket_as_transient(fake_deepgram):
    async with DeepgramSpeaker() as tts:
        await fake_deepgram.await_for(lambda: fake_deepgram.speak_sessions)
        fake_deepgram.drop_speak()

        with pytest.raises(ProviderError) as failure:
            await next_event(tts)

    assert not failure.value.permanent


async def test_it_refuses_bad_credentials_permanently(fake_deepgram):
    with pytest.raises(ProviderError) as failure:
        await DeepgramSpeaker(api_key="wrong-key").start()

    assert failure.value.permanent


class TestRestSynthesis:
    async def test_it_returns_headerless_mulaw_for_twilio(self, fake_deepgram, settings):
        settings.DEEPGRAM_TTS_MODEL = "aura-2-thalia-en"

        audio = await synthesize("Thanks for calling Lakeside Auto.")

        assert audio == fake_audio_for("Thanks for calling Lakeside Auto.")
        assert not audio.startswith(b"RIFF")
        (request,) = fake_deepgram.rest_requests
        assert request.text == "Thanks for calling Lakeside Auto."
        assert request.query == {
            "model": "aura-2-thalia-en",
            "encoding": "mulaw",
            "sample_rate": "8000",
            "container": "none",
        }

    async def test_it_reports_a_server_error_as_transient(self, fake_deepgram):
        fake_deepgram.rest_error = (503, "overloaded")

        with pytest.raises(ProviderError) as failure:
            await synthesize("Hello")

        assert not failure.value.permanent
        assert len(fake_deepgram.rest_requests) == 1  # no hidden retries

    async def test_it_reports_bad_credentials_as_permanent(self, fake_deepgram):
        with pytest.raises(ProviderError) as failure:
            await synthesize("Hello", api_key="wrong-key")

        assert failure.value.permanent
