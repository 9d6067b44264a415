"""Fixed lines our own code speaks or texts (not the model's words), per language.

Adding a language is data: give each key a text under the new language code. A key without the
caller's language falls back to English, so a half-translated language still speaks.
"""

DEFAULT_LANGUAGE = "en"

# key -> {language code -> text}. Texts may hold str.format fields, e.g. "{shop_name}".
LINES: dict[str, dict[str, str]] = {
    # Two-party-consent shops (Shop.recording_consent_required): asked in the greeting; the call is
    # recorded only after a clear yes (voice.recordings.consent).
    "recording_question": {
        "en": "I'm the shop's automated assistant. We record calls to serve you better: is that OK?",
        "es": (
            "Soy el asistente automático del taller. Grabamos las llamadas para atenderle mejor: ¿está bien?"
        ),
    },
}


def line(key: str, language: str = DEFAULT_LANGUAGE, **fields: object) -> str:
    """The fixed line `key` in `language` (English when that language has none), fields filled in."""
    texts = LINES[key]
    text = texts.get(language) or texts[DEFAULT_LANGUAGE]
    return text.format(**fields) if fields else text
