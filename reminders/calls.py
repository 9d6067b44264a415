"""What is special about an answered reminder call, for either engine (the `reminder` CallPurpose).

The reminder webhook starts the stream with `purpose=reminder` and `appointment_id`. The opening then
says who is calling and why (reminders' script), the model gets the reminder instructions, and "stop
calling me" or keypad 9 is recorded as an opt-out the moment it is heard, whatever the model does next.
Registered with voice.agent.purposes by RemindersConfig.ready; voice never imports this module.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async

from reminders import script as reminder_script
from reminders.selectors import reminder_facts
from reminders.services import opt_out_on_call
from voice.agent.purposes import Opening
from voice.engines.base import CallContext

logger = logging.getLogger(__name__)

KEYPAD_OPT_OUT_TEXT = f"[keypad: {reminder_script.KEYPAD_OPT_OUT}]"


def is_reminder_call(call: CallContext) -> bool:
    return call.custom_parameters.get("purpose") == "reminder" and call.direction == "outbound"


def reminder_opening(call: CallContext) -> Opening | None:
    """The opening and extra instructions of a reminder call (sync: reads the appointment)."""
    if not is_reminder_call(call):
        return None
    try:
        appointment_id = int(call.custom_parameters.get("appointment_id", ""))
    except ValueError:
        return None
    facts = reminder_facts(appointment_id=appointment_id)
    if facts is None:
        return None
    return Opening(greeting=reminder_script.opening(facts), instructions=reminder_script.instructions(facts))


def asks_to_stop(text: str) -> bool:
    return text.strip() == KEYPAD_OPT_OUT_TEXT or reminder_script.wants_opt_out(text)


def _record_opt_out(*, customer_id: int, call_id: int, phone: str, text: str) -> None:
    source = "voice_keypad" if text.strip() == KEYPAD_OPT_OUT_TEXT else "voice_phrase"
    # Spooled to local disk first: with the database down it is applied when the database is back.
    opt_out_on_call(customer_id=customer_id, phone=phone, call_id=call_id, source=source, detail=text[:300])


async def note_caller_words(*, call: CallContext, customer_id: int | None, text: str) -> bool:
    """Every caller turn of a reminder call passes here: an opt-out request is stored at once.
    True when it was one (the model is also told, and says goodbye)."""
    if customer_id is None or not is_reminder_call(call) or not asks_to_stop(text):
        return False
    await database_sync_to_async(_record_opt_out)(
        customer_id=customer_id, call_id=call.call_id, phone=call.caller_number, text=text
    )
    logger.info("call=%s reminder opt-out recorded", call.call_sid)
    return True


class ReminderCall:
    """The `reminder` CallPurpose (voice.agent.purposes)."""

    def applies(self, call: CallContext) -> bool:
        return is_reminder_call(call)

    def opening(self, call: CallContext) -> Opening | None:
        return reminder_opening(call)

    async def caller_said(self, call: CallContext, *, customer_id: int | None, text: str) -> bool:
        return await note_caller_words(call=call, customer_id=customer_id, text=text)
