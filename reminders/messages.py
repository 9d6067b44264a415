"""Text-message wording: the reminder text and the replies to STOP, START, HELP and C. Pure.

Informational only (no offers), with the business name first and how to opt out, as carriers and
the TCPA expect. Keep each under one SMS segment where possible.
"""

from reminders.script import ReminderFacts

SMS_SCRIPT_VERSION = "reminder-sms-v1"


def _call_us(callback_number: str) -> str:
    return f"call {callback_number}" if callback_number else "call us"


def reminder_text(facts: ReminderFacts) -> str:
    return (
        f"{facts.shop_name}: reminder of your {facts.service} appointment on {facts.when}. "
        f"Reply C to confirm, or {_call_us(facts.callback_number)} to reschedule. Reply STOP to opt out."
    )


def opted_out_text(shop_name: str, *, cancel_hint: str = "") -> str:
    """`cancel_hint`: the callback number, for someone who replied CANCEL perhaps meaning the visit.
    No `shop_name` (the database is down and the opt-out waits in the local spool): no prefix."""
    hint = f" To cancel an appointment, call {cancel_hint}." if cancel_hint else ""
    return (
        f"{shop_name + ': y' if shop_name else 'Y'}ou won't get any more reminder texts or calls from us. "
        f"Reply START to receive them again.{hint}"
    )


# Anything but an opt-out, when we could not act on it.
SORRY_TEXT = "Sorry, we couldn't process your message just now. Please try again later or give us a call."


def opted_in_text(shop_name: str) -> str:
    return f"{shop_name}: you'll receive appointment reminders again. Reply STOP to opt out."


def help_text(shop_name: str, callback_number: str) -> str:
    return (
        f"{shop_name} appointment reminders. For help, {_call_us(callback_number)}. "
        "Reply C to confirm your next appointment, STOP to opt out. Msg & data rates may apply."
    )


def confirmed_text(shop_name: str, service: str, when: str) -> str:
    return f"{shop_name}: thanks, your {service} appointment on {when} is confirmed. See you then!"


def already_confirmed_text(shop_name: str, service: str, when: str) -> str:
    return f"{shop_name}: your {service} appointment on {when} is already confirmed. See you then!"


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


def message_received_text(shop_name: str, callback_number: str) -> str:
    return (
        f"{shop_name}: thanks, we've passed your message to our service team. "
        f"Reply C to confirm your appointment, or {_call_us(callback_number)}. Reply STOP to opt out."
    )
