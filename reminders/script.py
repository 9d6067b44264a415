"""What a reminder call says: the opening (who calls, that it is automated, why), the voicemail, the
opt-out. Pure text; `reminders.selectors.reminder_facts(appointment_id=…)` gathers the facts.

Compliance (reference/domain.md): the first sentence names the business, says this is an automated
assistant and why it calls; a callback number is given; no upsells; keypad 9 or "stop calling" opts
out at once; a voicemail says business, day and time, callback number and how to stop calls, and
nothing sensitive (no name, vehicle or price).

The words are data per language in voice.agent.lines (`reminder_*`): the customer's preferred
language picks them, so a known Spanish speaker's reminder starts in Spanish.
"""

import re
from dataclasses import dataclass

from voice.agent.language import language_name
from voice.agent.lines import DEFAULT_LANGUAGE, line

# Recorded on every attempt: change it whenever the words below change.
SCRIPT_VERSION = "reminder-call-v1"
KEYPAD_OPT_OUT = "9"


@dataclass(frozen=True)
class ReminderFacts:
    appointment_id: int
    shop_name: str
    when: str  # "Tuesday, March 4 at 9 AM", in the shop's time zone (where the car must be)
    service: str  # "oil change"
    callback_number: str  # "(312) 555-0100", or "" when the shop has none on file
    customer_name: str = ""
    vehicle: str = ""
    language: str = DEFAULT_LANGUAGE  # the customer's preferred language; `when` is written in it


def spoken_digits(number: str) -> str:
    """'(312) 555-0100' → '3 1 2, 5 5 5, 0 1 0 0': text-to-speech reads it digit by digit."""
    groups = re.findall(r"\d+", number)
    if groups and groups[0] == "1" and len(groups) > 1:
        groups = groups[1:]
    return ", ".join(" ".join(group) for group in groups)


def opening(facts: ReminderFacts) -> str:
    """The first words of a reminder call a person answered."""
    return line(
        "reminder_opening",
        facts.language,
        shop_name=facts.shop_name,
        service=facts.service,
        when=facts.when,
        press=KEYPAD_OPT_OUT,
    )


def voicemail(facts: ReminderFacts) -> str:
    """The message left after the beep."""
    callback = (
        line("reminder_voicemail_call_us", facts.language, digits=spoken_digits(facts.callback_number))
        if facts.callback_number
        else line("reminder_voicemail_give_us_a_call", facts.language)
    )
    return line(
        "reminder_voicemail", facts.language, shop_name=facts.shop_name, when=facts.when, callback=callback
    )


def no_longer_needed(shop_name: str, language: str = DEFAULT_LANGUAGE) -> str:
    """For a call answered after its appointment was cancelled or moved past: nothing to remind."""
    return line("reminder_no_longer_needed", language, shop_name=shop_name)


def instructions(facts: ReminderFacts) -> str:
    """Extra system instructions for the live agent on a reminder call (purpose=reminder)."""
    who = f" The customer on file is {facts.customer_name}." if facts.customer_name else ""
    vehicle = f" Vehicle: {facts.vehicle}." if facts.vehicle else ""
    return (
        "This is an OUTBOUND appointment reminder call that you placed; the person did not call you. "
        f"It is about appointment_id {facts.appointment_id}: {facts.service} on {facts.when}.{vehicle}{who} "
        "Your opening already said who you are, that you are automated, and why you call. "
        "Goal: find out whether they will come. If yes, confirm the appointment. If they want another "
        "time, check availability and reschedule this appointment_id; if they want to cancel, cancel it. "
        "Only discuss account details after they confirm they are the customer. "
        "Do not sell anything: no offers, coupons or extra services. If asked, say truthfully that you are "
        "an automated assistant. If they ask not to be called again (stop calling, don't call me, take me "
        "off your list), record the opt-out at once, say so, and end the call. "
        f"If a callback number is needed: {facts.callback_number or 'the shop main number'}."
        + (
            f" The customer's preferred language is {language_name(facts.language)}: your opening was in "
            f"it; speak {language_name(facts.language)} unless they answer in another language."
            if facts.language != DEFAULT_LANGUAGE
            else ""
        )
    )


_OPT_OUT_PHRASES = re.compile(
    # Spanish: "no me llame(n)", "deje(n) de llamar", "ya no me llamen", "quíteme de la lista", "alto".
    r"\b(no me (?:llamen|llame|vuelva[ns]? a llamar|manden|env[ií]en)\b"
    r"(?!\s+(?:de vuelta|m[aá]s tarde|luego))"
    r"|dej(?:e|en|a) de (?:llamar|llamarme|mandar|enviar)"
    r"|(?:qu[ií]te|qu[ií]ten|s[aá]que|s[aá]quen|b[oó]rre|b[oó]rren)me de (?:la|su|sus) lista"
    r"|no (?:quiero|deseo) (?:m[aá]s )?(?:llamadas|recordatorios|mensajes)"
    r"|stop (?:calling|call|these calls|contacting|texting)"
    r"|(?:do not|don't|dont) (?:call|contact|text)(?! me back| back)"
    r"|(?:take|remove) me off|(?:take|remove) my (?:number|name)|unsubscribe|opt(?: |-)?out"
    r"|no more (?:calls|reminders|texts)|quit calling|never call)",
    re.IGNORECASE,
)


# The texting keywords, said as a whole turn ("¡Alto!"): on their own they can only mean "stop".
_OPT_OUT_ALONE = frozenset({"stop", "alto", "pare", "basta"})


def wants_opt_out(text: str) -> bool:
    """True when the person asks not to be called (or texted) again, in any reasonable words
    (English or Spanish)."""
    alone = " ".join(re.findall(r"[^\W\d_]+", text.lower()))
    return alone in _OPT_OUT_ALONE or bool(_OPT_OUT_PHRASES.search(text))
