"""The caller's language: which languages the receptionist speaks, and what language a turn is in.

Languages are data: LANGUAGES names each one the receptionist speaks (fixed lines in
voice.agent.lines, a TTS voice in DEEPGRAM_TTS_VOICES, words below for the text backstop). Adding a
third language means adding it here and giving it texts and a voice; no engine code changes.

Detection is per caller turn, never per audio frame: speech recognition reports the languages it
heard in the turn (Deepgram's `languages` on the alternative with `language=multi`, OpenAI's
`languages` on a transcription), and when it reports none, a few common words decide. A turn too
short to tell ("okay", "sí") keeps the call's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from voice.agent.lines import DEFAULT_LANGUAGE

# code -> the language's name in English (what the model and advisors read).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Spanish"}

# Common words that tell a language apart in a short phone turn (the backstop when the recogniser
# reports no language). Words shared by the languages are left out.
_MARKERS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "i",
            "i'm",
            "my",
            "the",
            "and",
            "is",
            "are",
            "to",
            "for",
            "you",
            "your",
            "need",
            "want",
            "can",
            "could",
            "would",
            "appointment",
            "car",
            "please",
            "hello",
            "hi",
            "yes",
            "thanks",
            "thank",
            "what",
            "when",
            "how",
            "this",
            "that",
            "with",
            "have",
            "it",
        ]
    ),
    "es": frozenset(
        [
            "hola",
            "quiero",
            "necesito",
            "quisiera",
            "cita",
            "carro",
            "coche",
            "auto",
            "para",
            "por",
            "favor",
            "gracias",
            "buenos",
            "buenas",
            "días",
            "tardes",
            "noches",
            "mi",
            "el",
            "la",
            "los",
            "las",
            "una",
            "un",
            "que",
            "qué",
            "cuándo",
            "cómo",
            "sí",
            "puedo",
            "puede",
            "tengo",
            "es",
            "está",
            "cambio",
            "aceite",
            "llamen",
            "hablo",
            "español",
            "usted",
            "nombre",
            "mañana",
        ]
    ),
}
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MIN_MARKERS = 2  # fewer marker words than this: too short to tell


def supported(code: str) -> str | None:
    """A BCP-47 tag ("es", "es-419", "ES") as one of LANGUAGES' codes, or None."""
    base = (code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def language_or_default(code: str) -> str:
    return supported(code) or DEFAULT_LANGUAGE


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


def from_words(text: str) -> str | None:
    """The language most of `text`'s common words belong to, or None when it cannot tell."""
    words = [w.lower() for w in _WORDS.findall(text)]
    scores = {code: sum(word in markers for word in words) for code, markers in _MARKERS.items()}
    best = max(scores, key=lambda code: scores[code])
    if scores[best] < MIN_MARKERS or list(scores.values()).count(scores[best]) > 1:
        return None
    return best


def turn_language(*, reported: Iterable[str], text: str) -> str | None:
    """The language of one caller turn: the first language the recogniser reported that we speak
    (it sorts them by word count), else the text's common words; None when it cannot tell."""
    if len(_WORDS.findall(text)) < MIN_MARKERS:
        return None  # "okay", "sí", a keypad press: not enough to switch a call's language
    for code in reported:
        if (language := supported(code)) is not None:
            return language
    return from_words(text)


def language_instructions(language: str) -> str:
    """What the model is told about languages (both engines)."""
    names = " or ".join(LANGUAGES.values())
    return (
        f"Languages: you speak {names}. Answer in the language the caller speaks; when they switch, "
        f"switch with them. The caller's language so far: {language_name(language)}. Tool arguments "
        "stay in English (service codes, dates in ISO format, notes and the message of transfer_to_human "
        "translated to English for the advisors); say tool results in the caller's language."
    )


def language_note(language: str) -> str:
    """A system note when the caller's language changed mid-call."""
    return (
        f"The caller is speaking {language_name(language)}. From now on answer only in "
        f"{language_name(language)}."
    )
