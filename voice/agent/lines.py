"""Fixed lines our own code speaks or texts (not the model's words), per language.

Adding a language is data: give each key a text under the new language code. A key without the
caller's language falls back to English, so a half-translated language still speaks.
"""

DEFAULT_LANGUAGE = "en"

# key -> {language code -> text}. Texts may hold str.format fields, e.g. "{shop_name}".
LINES: dict[str, dict[str, str]] = {}


def line(key: str, language: str = DEFAULT_LANGUAGE, **fields: object) -> str:
    """The fixed line `key` in `language` (English when that language has none), fields filled in."""
    texts = LINES[key]
    text = texts.get(language) or texts[DEFAULT_LANGUAGE]
    return text.format(**fields) if fields else text


# Warm hand-off and safety. Kept as one block of their own, added to LINES, so other lines can be
# filled in above without touching these.
LINES.update(
    {
        # Said by our code right after the model reports an unsafe car (report_safety_concern).
        "safety_dont_drive": {
            "en": (
                "For your safety, please don't drive the car until it has been checked. "
                "We can arrange a tow or get you the earliest appointment."
            ),
            "es": (
                "Por su seguridad, no maneje el carro hasta que lo revisemos. "
                "Podemos enviarle una grúa o darle la primera cita disponible."
            ),
        },
        # The caller's side when the advisor line does not take a warm transfer (Twilio says it).
        "transfer_nobody_free": {
            "en": (
                "Sorry, nobody is free to take your call right now. We've passed on your message "
                "and the shop will call you back soon. Goodbye."
            ),
            "es": (
                "Lo siento, en este momento nadie puede atender su llamada. Ya pasamos su mensaje "
                "y el taller le devolverá la llamada pronto. Adiós."
            ),
        },
        # The text the caller gets after that.
        "transfer_callback_text": {
            "en": (
                "{shop_name}: sorry we missed you. An advisor will call you back soon. Reply STOP to opt out."
            ),
            "es": (
                "{shop_name}: lamentamos no haber podido atenderle. Un asesor le devolverá la llamada "
                "pronto. Responda ALTO para no recibir más mensajes."
            ),
        },
    }
)
