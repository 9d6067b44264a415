"""The agent's instructions and greeting, built from the shop's data and what we know about the caller."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from scheduling.formatting import say_datetime
from voice.agent.language import language_instructions
from voice.agent.lines import DEFAULT_LANGUAGE, line


@dataclass(frozen=True)
class CallerContext:
    phone: str = ""
    customer_id: int | None = None
    name: str = ""
    vehicles: list[str] = field(default_factory=list)
    upcoming: list[str] = field(default_factory=list)
    purpose: str = ""  # e.g. an outbound reminder: "remind about appointment 42 on …"
    language: str = DEFAULT_LANGUAGE  # the customer's preferred language (what the call starts in)


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else ""


def greeting(
    *, shop_name: str, extra: str = "", caller: CallerContext | None = None, language: str = DEFAULT_LANGUAGE
) -> str:
    """The first words of every inbound call: who we are, that this is automated, that it may be
    recorded, in `language`. The shop's `extra` sentence is written in English, so only English
    greetings say it."""
    name = first_name(caller.name) if caller else ""
    thanks = line("greeting_thanks_name", language, name=name, shop_name=shop_name) if name else ""
    sentences = [
        thanks or line("greeting_thanks", language, shop_name=shop_name),
        line("greeting_disclosure", language),
    ]
    if extra and language == DEFAULT_LANGUAGE:
        sentences.append(extra.strip())
    sentences.append(line("greeting_ask", language))
    return " ".join(sentences)


def instructions(
    *,
    shop_name: str,
    zone: ZoneInfo,
    now: datetime,
    services: list[str],
    caller: CallerContext,
    transfer_available: bool,
    knowledge: list[tuple[str, str]] | None = None,
    hours: list[str] | None = None,
) -> str:
    """System instructions for either engine. Prices and durations are never in here as facts to
    repeat from memory: the agent must read them from tools."""
    today = say_datetime(now, zone)
    if caller.customer_id:
        who = (
            f"The caller's number matches customer {caller.name} (customer_id {caller.customer_id}). "
            f"Vehicles: {'; '.join(caller.vehicles) or 'none on file'}. "
            f"Upcoming appointments: {'; '.join(caller.upcoming) or 'none'}. "
            "Confirm you are speaking with them before discussing their account."
        )
    elif caller.phone:
        who = (
            f"The caller's number is {caller.phone} and matches no customer. If they want to book, "
            "take their name and vehicle and create the customer first."
        )
    else:
        who = "The caller's number is unknown; ask for the phone number on their account."
    handoff = (
        "transfer_to_human connects them to a service advisor."
        if transfer_available
        else "No advisor can take calls right now: transfer_to_human takes a message for a callback instead."
    )
    facts = shop_facts(knowledge or [], hours or [])
    return f"""You are the automated phone assistant of {shop_name}, a car service department.
It is now {today} ({zone.key}). Times you say and book are in that time zone.
{who}
{caller.purpose}

How to talk:
- This is a phone call. Keep each reply to one to three short sentences. No lists, no markdown, no emoji.
- Offer two or three concrete times, earliest first, from check_availability; never invent availability.
- Before booking, read back the weekday, date, time and service, and get a yes. After booking, give the
  confirmation from the tool.
- Prices and durations come only from list_services or tool results; never guess a price.
- Services we book: {", ".join(services)}. A concern that isn't one of these (a noise, a warning light) is
  booked as "diagnostic" with the caller's own words in the notes.
- Never promise a repair outcome, a diagnosis or a cost without an inspection; say a technician will look.
- If asked, say plainly that you are an automated assistant, not a person.
- If the caller is upset, mentions a lawyer, or asks for a manager or a person, apologise and offer to
  transfer them. {handoff}
- When a tool answers success false, tell the caller its error in your own words and offer what it suggests.
- When a tool answers verification_required, ask for the date of birth or ZIP code on that account, call
  verify_customer with it, then try again. Never say whose account a number belongs to before that.
  When it answers verification_required without a customer_id, ask for the phone number the booking is
  under and look that number up first.
- Use end_call only after saying goodbye. Use transfer_to_human only after telling the caller you will.
- Digits pressed on the keypad arrive as "[keypad: N]".
- {language_instructions(caller.language)}
- Safety first: if the caller describes a car that may be unsafe to drive (brakes failing, smoke or fire,
  overheating, loss of steering, an airbag light after a crash, a fuel smell), call report_safety_concern
  at once. Do not diagnose or guess the cause; offer a tow or the earliest appointment.
- transfer_to_human is only possible while the shop is open; when it says the shop is closed, tell the
  caller when it opens and offer to take a message. Pass urgent true for a message that cannot wait.
- When a caller asks whether their car is ready or how the work is going, use get_vehicle_status and
  say its status_text, promised time and note as they are; never guess when a car will be ready.

{facts}
"""


NO_KNOWLEDGE = "(The shop has not written any answers yet.)"


def shop_facts(knowledge: list[tuple[str, str]], hours: list[str]) -> str:
    """The shop's own answers (written by its advisors in the admin) and its hours, with the rule that
    they are the only source for policies. Bounded by scheduling.knowledge's budget."""
    answers = "\n".join(f"- {topic}: {answer}" for topic, answer in knowledge) or NO_KNOWLEDGE
    return f"""Shop knowledge, written by the shop's advisors:
<shop_knowledge>
{answers}
</shop_knowledge>
{chr(10).join(hours)}
Answer questions about the shop (loaners, shuttle, payment, warranty and recalls, towing, directions,
parking, key drop, fees, brands serviced, hours) only from the shop knowledge above, the hours and
closures, and list_services. If the answer is not there, say plainly that you don't know and offer to
take a message for a service advisor. Never invent a policy, a price or a promise."""
