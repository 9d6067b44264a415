from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from dealership.settings import _tts_voices
from scheduling.formatting import say_datetime
from voice.agent.language import from_words, supported, turn_language
from voice.agent.lines import LINES, line
from voice.engines.cascade.speech import tts_voice

CHICAGO = ZoneInfo("America/Chicago")


def test_a_turn_takes_the_language_the_recogniser_reported():
    assert turn_language(reported=("es",), text="quiero una cita") == "es"
    assert turn_language(reported=("es-419", "en"), text="quiero una cita para el oil change") == "es"
    assert turn_language(reported=("fr", "en"), text="je voudrais un rendez-vous") == "en"  # first we speak


def test_without_a_reported_language_common_words_decide():
    assert turn_language(reported=(), text="Hola, necesito un cambio de aceite para mi carro.") == "es"
    assert turn_language(reported=(), text="Hi, I need an oil change for my car.") == "en"
    assert from_words("Honda Civic 2019") is None


def test_a_turn_too_short_to_tell_keeps_the_calls_language():
    assert turn_language(reported=("es",), text="Sí.") is None
    assert turn_language(reported=("en",), text="okay") is None
    assert turn_language(reported=("es",), text="[keypad: 1 2]") is None


def test_language_codes_are_read_as_bcp_47_tags():
    assert supported("ES") == "es" and supported("es_MX") == "es" and supported("en-US") == "en"
    assert supported("de") is None and supported("") is None


def test_every_fixed_line_has_english_and_falls_back_to_it():
    assert all("en" in texts for texts in LINES.values())
    assert line("still_there", "es") == "¿Sigue ahí?"
    assert line("still_there", "fr") == "Are you still there?"  # a language without texts yet


def test_dates_are_said_in_the_callers_language():
    moment = datetime(2026, 3, 11, 10, 30, tzinfo=CHICAGO)
    assert say_datetime(moment, CHICAGO) == "Wednesday, March 11 at 10:30 AM"
    assert say_datetime(moment, CHICAGO, language="es") == "miércoles 11 de marzo a las 10:30 AM"
    assert say_datetime(moment, CHICAGO, language="fr") == "Wednesday, March 11 at 10:30 AM"


def test_a_voice_per_language_from_settings(settings):
    assert _tts_voices("") == {"es": "aura-2-celeste-es"}
    assert _tts_voices("en=aura-2-thalia-en, ES=aura-2-nestor-es,fr=aura-2-agathe-fr") == {
        "en": "aura-2-thalia-en",
        "es": "aura-2-nestor-es",
        "fr": "aura-2-agathe-fr",
    }
    with pytest.raises(ImproperlyConfigured, match="not language=voice"):
        _tts_voices("es:aura-2-celeste-es")

    settings.DEEPGRAM_TTS_MODEL = "aura-2-helena-en"
    settings.DEEPGRAM_TTS_VOICES = {"es": "aura-2-celeste-es"}
    assert tts_voice("es") == "aura-2-celeste-es"
    assert tts_voice("en") == "aura-2-helena-en"  # no English entry: DEEPGRAM_TTS_MODEL
    assert tts_voice("fr") == "aura-2-helena-en"
