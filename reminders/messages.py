"""Text-message wording: the reminder text and the replies to STOP, START, HELP and C. Pure.

Informational only (no offers), with the business name first and how to opt out, as carriers and
the TCPA expect. Keep each under one SMS segment where possible.
"""

from reminders.script import ReminderFacts
from voice.agent.lines import DEFAULT_LANGUAGE, line

SMS_SCRIPT_VERSION = "reminder-sms-v1"


def _call_us(callback_number: str, language: str = DEFAULT_LANGUAGE) -> str:
    if callback_number:
        return line("call_number", language, number=callback_number)
    return line("call_us", language)


def reminder_text(facts: ReminderFacts) -> str:
    """The reminder text, in the customer's preferred language (`facts.language`)."""
    return line(
        "reminder_text",
        facts.language,
        shop_name=facts.shop_name,
        service=facts.service,
        when=facts.when,
        call_us=_call_us(facts.callback_number, facts.language),
    )


def opted_out_text(shop_name: str, *, cancel_hint: str = "", language: str = DEFAULT_LANGUAGE) -> str:
    """`cancel_hint`: the callback number, for someone who replied CANCEL perhaps meaning the visit.
    No `shop_name` (the database is down and the opt-out waits in the local spool): no prefix.
    `language`: the one the opt-out was asked in (ALTO gets its answer in Spanish)."""
    hint = line("opted_out_cancel_hint", language, number=cancel_hint) if cancel_hint else ""
    text = line("opted_out_text", language, hint=hint)
    return f"{shop_name}: {text[0].lower()}{text[1:]}" if shop_name else text


# Anything but an opt-out, when we could not act on it.
SORRY_TEXT = "Sorry, we couldn't process your message just now. Please try again later or give us a call."


def opted_in_text(shop_name: str) -> str:
    return f"{shop_name}: you'll receive appointment reminders again. Reply STOP to opt out."


def help_text(shop_name: str, callback_number: str, language: str = DEFAULT_LANGUAGE) -> str:
    return line("sms_help", language, shop_name=shop_name, call_us=_call_us(callback_number, language))


def confirmed_text(shop_name: str, service: str, when: str, language: str = DEFAULT_LANGUAGE) -> str:
    return line("sms_confirmed", language, shop_name=shop_name, service=service, when=when)


def already_confirmed_text(shop_name: str, service: str, when: str, language: str = DEFAULT_LANGUAGE) -> str:
    return line("sms_already_confirmed", language, shop_name=shop_name, service=service, when=when)


def no_appointment_text(shop_name: str, callback_number: str) -> str:
    return (
        f"{shop_name}: we couldn't find an upcoming appointment for this number. "
        f"Please {_call_us(callback_number)} and we'll help."
    )


def unknown_number_text(shop_name: str, callback_number: str) -> str:
    return (
        f"{shop_name}: sorry, we don't recognise this number. "
        f"Please {_call_us(callback_number)} and we'll be glad to help. Reply STOP to opt out."
    )


def message_received_text(shop_name: str, callback_number: str, language: str = DEFAULT_LANGUAGE) -> str:
    return line(
        "sms_message_received", language, shop_name=shop_name, call_us=_call_us(callback_number, language)
    )
