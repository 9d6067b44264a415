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


# --- the caller's language (Spanish work): greeting, idle, goodbyes, hold line, apologies, texts ---------
LINES.update(
    {
        # Greeting of an inbound call: who we are, automated, may be recorded (legal disclosure).
        "greeting_thanks": {
            "en": "Thanks for calling {shop_name}.",
            "es": "Gracias por llamar a {shop_name}.",
        },
        "greeting_thanks_name": {
            "en": "Hi {name}, thanks for calling {shop_name}.",
            "es": "Hola {name}, gracias por llamar a {shop_name}.",
        },
        "greeting_disclosure": {
            "en": "I'm the shop's automated assistant, and this call may be recorded.",
            "es": "Soy el asistente automático del taller, y esta llamada puede ser grabada.",
        },
        "greeting_ask": {
            "en": "How can I help you today?",
            "es": "¿En qué le puedo ayudar hoy?",
        },
        # An outbound call that is not a reminder.
        "outbound_greeting": {
            "en": "Hi, this is the automated assistant at {shop_name}, and this call may be recorded. "
            "Is now a good time?",
            "es": "Hola, le habla el asistente automático de {shop_name}, y esta llamada puede ser "
            "grabada. ¿Es un buen momento?",
        },
        "outbound_greeting_name": {
            "en": "Hi {name}, this is the automated assistant at {shop_name}, and this call may be "
            "recorded. Is now a good time?",
            "es": "Hola {name}, le habla el asistente automático de {shop_name}, y esta llamada puede "
            "ser grabada. ¿Es un buen momento?",
        },
        # Idle caller and the time limit (voice.agent.flow).
        "still_there": {"en": "Are you still there?", "es": "¿Sigue ahí?"},
        "idle_goodbye": {
            "en": "I'll let you go for now. Thanks for calling, goodbye.",
            "es": "Lo dejo por ahora. Gracias por llamar, adiós.",
        },
        "time_limit_goodbye": {
            "en": "We've reached the time limit for this call. An advisor can call you back if you need "
            "more help. Thanks for calling, goodbye.",
            "es": "Llegamos al tiempo máximo de esta llamada. Un asesor puede devolverle la llamada si "
            "necesita más ayuda. Gracias por llamar, adiós.",
        },
        # Control messages from the live view (voice.agent.control).
        "goodbye": {
            "en": "I'm going to end our call here. Thanks for calling, goodbye.",
            "es": "Voy a terminar la llamada aquí. Gracias por llamar, adiós.",
        },
        "transferring": {
            "en": "I'm transferring you to an advisor now, please hold.",
            "es": "Le paso con un asesor ahora, espere en la línea por favor.",
        },
        # The hold line while a tool runs (voice.agent.tooling).
        "one_moment": {"en": "One moment while I check.", "es": "Un momento mientras lo reviso."},
        # Apologies when a provider fails (engines' recovery).
        "apology": {
            "en": "Sorry, I'm having trouble right now.",
            "es": "Disculpe, estoy teniendo problemas en este momento.",
        },
        "message_prompt": {
            "en": "If you tell me your name and a short message, an advisor will call you back.",
            "es": "Si me dice su nombre y un mensaje corto, un asesor le devolverá la llamada.",
        },
        "message_thanks": {
            "en": "Thank you, I've passed your message on, and an advisor will call you back soon. Goodbye.",
            "es": "Gracias, ya pasé su mensaje, y un asesor le devolverá la llamada pronto. Adiós.",
        },
        "hearing_trouble": {
            "en": "Sorry, I'm having trouble hearing you.",
            "es": "Disculpe, tengo problemas para escucharle.",
        },
        "call_you_back": {
            "en": "An advisor will call you back soon. Goodbye.",
            "es": "Un asesor le devolverá la llamada pronto. Adiós.",
        },
        "connect_you": {
            "en": "Let me connect you with someone at the shop.",
            "es": "Le comunico con alguien del taller.",
        },
        "line_cut_out": {
            "en": "Sorry about that, the line cut out for a moment. Could you say that again?",
            "es": "Disculpe, la línea se cortó un momento. ¿Me lo puede repetir?",
        },
        # Texts after a booking change made on a call (voice.agent.actions). The English ones quote
        # the tool's confirmation; other languages build theirs from {service}, {when}, {number}.
        "sms_booked": {
            "en": "{shop_name}: You're booked: {confirmation} Reply STOP to opt out of texts.",
            "es": "{shop_name}: Su cita está reservada: {service}, {when}, número de confirmación "
            "{number}. Responda ALTO para no recibir más mensajes.",
        },
        "sms_rescheduled": {
            "en": "{shop_name}: Your appointment has moved: {confirmation} Reply STOP to opt out of texts.",
            "es": "{shop_name}: Su cita cambió: {service}, {when}, número de confirmación {number}. "
            "Responda ALTO para no recibir más mensajes.",
        },
        "sms_cancelled": {
            "en": "{shop_name}: {confirmation} Reply STOP to opt out of texts.",
            "es": "{shop_name}: Su cita de {service} del {when} está cancelada. "
            "Responda ALTO para no recibir más mensajes.",
        },
    }
)

# --- reminders (reminders.script and reminders.messages): the call, the voicemail and the texts -------
LINES.update(
    {
        "reminder_opening": {
            "en": "Hi, this is the automated assistant for {shop_name}, calling to remind you about your "
            "{service} appointment on {when}. This call may be recorded. Will you be able to make it? "
            "I can also reschedule or cancel it for you. If you'd rather not get these calls, press {press} "
            "or just tell me.",
            "es": "Hola, le habla el asistente automático de {shop_name}, para recordarle su cita de "
            "{service} el {when}. Esta llamada puede ser grabada. ¿Podrá venir? También puedo cambiarla "
            "o cancelarla. Si prefiere no recibir estas llamadas, marque {press} o dígamelo.",
        },
        "reminder_voicemail_call_us": {
            "en": "To confirm, reschedule or cancel, please call us at {digits}. ",
            "es": "Para confirmar, cambiar o cancelar, llámenos al {digits}. ",
        },
        "reminder_voicemail_give_us_a_call": {
            "en": "To confirm, reschedule or cancel, please give us a call. ",
            "es": "Para confirmar, cambiar o cancelar, llámenos por favor. ",
        },
        "reminder_voicemail": {
            "en": "Hello, this is the automated assistant for {shop_name}, with a reminder about your "
            "appointment on {when}. {callback}If you don't want these reminder calls, call us and ask us to "
            "stop, and we will. Thank you, goodbye.",
            "es": "Hola, le habla el asistente automático de {shop_name}, con un recordatorio de su cita "
            "el {when}. {callback}Si no quiere recibir estas llamadas, llámenos y pídanos que paremos, y "
            "lo haremos. Gracias, adiós.",
        },
        "reminder_no_longer_needed": {
            "en": "Hello, this is the automated assistant for {shop_name}. Sorry, this reminder is no longer "
            "needed. Goodbye.",
            "es": "Hola, le habla el asistente automático de {shop_name}. Disculpe, este recordatorio ya no "
            "es necesario. Adiós.",
        },
        "reminder_text": {
            "en": "{shop_name}: reminder of your {service} appointment on {when}. Reply C to confirm, or "
            "{call_us} to reschedule. Reply STOP to opt out.",
            "es": "{shop_name}: recordatorio de su cita de {service} el {when}. Responda C para confirmar, o "
            "{call_us} para cambiarla. Responda ALTO para no recibir más mensajes.",
        },
        "call_number": {"en": "call {number}", "es": "llame al {number}"},
        "call_us": {"en": "call us", "es": "llámenos"},
        "opted_out_text": {
            "en": "You won't get any more reminder texts or calls from us. Reply START to receive them "
            "again.{hint}",
            "es": "Ya no recibirá más mensajes ni llamadas de recordatorio. Responda START para "
            "recibirlos de nuevo.{hint}",
        },
        "opted_out_cancel_hint": {
            "en": " To cancel an appointment, call {number}.",
            "es": " Para cancelar una cita, llame al {number}.",
        },
    }
)

# Replies to a known customer's texts (reminders.services.sms), in their preferred language.
LINES.update(
    {
        "sms_help": {
            "en": "{shop_name} appointment reminders. For help, {call_us}. Reply C to confirm your next "
            "appointment, STOP to opt out. Msg & data rates may apply.",
            "es": "Recordatorios de citas de {shop_name}. Para ayuda, {call_us}. Responda C para confirmar "
            "su próxima cita, ALTO para no recibir más mensajes. Pueden aplicarse tarifas de mensajes y "
            "datos.",
        },
        "sms_confirmed": {
            "en": "{shop_name}: thanks, your {service} appointment on {when} is confirmed. See you then!",
            "es": "{shop_name}: gracias, su cita de {service} el {when} está confirmada. ¡Lo esperamos!",
        },
        "sms_already_confirmed": {
            "en": "{shop_name}: your {service} appointment on {when} is already confirmed. See you then!",
            "es": "{shop_name}: su cita de {service} el {when} ya está confirmada. ¡Lo esperamos!",
        },
        "sms_message_received": {
            "en": "{shop_name}: thanks, we've passed your message to our service team. Reply C to confirm "
            "your appointment, or {call_us}. Reply STOP to opt out.",
            "es": "{shop_name}: gracias, pasamos su mensaje a nuestro equipo de servicio. Responda C para "
            "confirmar su cita, o {call_us}. Responda ALTO para no recibir más mensajes.",
        },
    }
)


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

# --- identity checks that may not be tried now (voice.tools.handlers.verify_customer) ------------------
LINES.update(
    {
        # Too many wrong answers from this number (or for this account, or on this call).
        "verification_locked": {
            "en": (
                "I'm sorry, I can't verify that account over the phone right now. I can put you "
                "through to someone at the shop, or take a message so a service advisor calls you back."
            ),
            "es": (
                "Lo siento, ahora no puedo verificar esa cuenta por teléfono. Puedo pasarle con alguien "
                "del taller, o tomar un mensaje para que un asesor de servicio le devuelva la llamada."
            ),
        },
        # The same for a caller whose number is hidden: every hidden number shares one, lower, limit.
        "verification_locked_withheld": {
            "en": (
                "I'm sorry, I can't verify that account from a hidden number right now. If you call from "
                "the phone number on the account, I can help you straight away; or I can put you through "
                "to someone at the shop, or take a message so a service advisor calls you back."
            ),
            "es": (
                "Lo siento, ahora no puedo verificar esa cuenta desde un número oculto. Si llama desde "
                "el número de teléfono de la cuenta, le ayudo enseguida; o puedo pasarle con alguien "
                "del taller, o tomar un mensaje para que un asesor de servicio le devuelva la llamada."
            ),
        },
        # The attempt counters cannot be read (Redis down): verification fails closed.
        "verification_unavailable": {
            "en": (
                "I'm sorry, I can't check those details right now. I can put you through to someone "
                "at the shop, or take a message so a service advisor calls you back."
            ),
            "es": (
                "Lo siento, en este momento no puedo comprobar esos datos. Puedo pasarle con alguien "
                "del taller, o tomar un mensaje para que un asesor de servicio le devuelva la llamada."
            ),
        },
    }
)
