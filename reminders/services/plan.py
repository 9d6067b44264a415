"""Deciding the next step of a reminder: a call at some time, a text instead, or nothing and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from crm.models import Customer
from reminders import policy
from reminders.conf import minutes
from reminders.models import Reminder
from reminders.selectors import contact_rules
from reminders.zones import CustomerZones
from scheduling.models import Appointment
from scheduling.shop import shop_get


@dataclass(frozen=True)
class Plan:
    channel: str | None  # Reminder.Channel, or None: nothing will be sent
    at: datetime | None
    reason: str
    zones: CustomerZones | None = None


def number_allowed(phone: str) -> bool:
    """OUTBOUND_CALL_ALLOWLIST, when set, is the only set of numbers we may call or text."""
    allowlist = [n.strip() for n in settings.OUTBOUND_CALL_ALLOWLIST if n.strip()]
    return not allowlist or phone in allowlist


def _join(*parts: str) -> str:
    # A reason handed down twice (a first plan that falls back to a text) is said once.
    return " ".join(dict.fromkeys(p for p in parts if p))[:300]


def sms_plan(
    *, customer: Customer, appointment: Appointment, now: datetime, why: str, first: bool = False
) -> Plan:
    """A text instead of (or after) calls: the day before when `first`, else as soon as allowed."""
    if not customer.sms_allowed:
        return Plan(None, None, _join(why, "The customer opted out of texts too."))
    shop = shop_get()
    rules, where = contact_rules(
        customer=customer, shop=shop, channel="sms", now=now, until=appointment.start
    )
    lead = minutes("REMINDER_MIN_LEAD_MINUTES")
    if first:
        timing = policy.reminder_time(rules, appointment_start=appointment.start, now=now, min_lead=lead)
        at, late = timing.at, timing.reason
    else:
        at = policy.first_allowed(rules, after=now, before=appointment.start - lead)
        late = "No time is left to text before the appointment."
    if at is None:
        return Plan(None, None, _join(why, late), where)
    return Plan(Reminder.Channel.SMS, at, _join(why, "A text reminder is sent instead."), where)


def first_plan(*, appointment: Appointment, now: datetime) -> Plan:
    """How to remind about a newly booked (or moved) appointment."""
    customer = appointment.customer
    if not customer.phone:
        return Plan(None, None, "The customer has no phone number on file.")
    if not customer.calls_allowed:
        return sms_plan(
            customer=customer,
            appointment=appointment,
            now=now,
            why="The customer opted out of calls.",
            first=True,
        )
    rules, where = contact_rules(
        customer=customer, shop=shop_get(), channel="call", now=now, until=appointment.start
    )
    timing = policy.reminder_time(
        rules, appointment_start=appointment.start, now=now, min_lead=minutes("REMINDER_MIN_LEAD_MINUTES")
    )
    if timing.at is not None:
        return Plan(Reminder.Channel.CALL, timing.at, "", where)
    return sms_plan(customer=customer, appointment=appointment, now=now, why=timing.reason, first=True)


def after_unanswered_plan(*, reminder: Reminder, now: datetime, outcome: str) -> Plan:
    """After a call nobody took: one retry later in the window, then a text."""
    appointment, customer = reminder.appointment, reminder.appointment.customer
    why = f"Call {outcome.replace('_', ' ')}."
    if reminder.calls_placed < 2 and outcome in ("no_answer", "busy") and customer.calls_allowed:
        rules, where = contact_rules(
            customer=customer, shop=shop_get(), channel="call", now=now, until=appointment.start
        )
        timing = policy.retry_time(
            rules,
            now=now,
            delay=minutes("REMINDER_RETRY_DELAY_MINUTES"),
            appointment_start=appointment.start,
            min_lead=minutes("REMINDER_MIN_LEAD_MINUTES"),
        )
        if timing.at is not None:
            return Plan(Reminder.Channel.CALL, timing.at, _join(why, "Calling once more later."), where)
        why = _join(why, timing.reason)
    return sms_plan(customer=customer, appointment=appointment, now=now, why=why)


def moved_plan(*, reminder: Reminder, now: datetime, why: str) -> Plan:
    """A pending call whose time is no longer allowed (a holiday added after it was timed): the
    nearest earlier allowed time on a day before the appointment day, else a text as soon as allowed."""
    appointment, customer = reminder.appointment, reminder.appointment.customer
    rules, where = contact_rules(
        customer=customer, shop=shop_get(), channel="call", now=now, until=appointment.start
    )
    timing = policy.moved_reminder_time(
        rules,
        due=reminder.due_at or now,
        appointment_start=appointment.start,
        now=now,
        min_lead=minutes("REMINDER_MIN_LEAD_MINUTES"),
    )
    if timing.at is not None:
        return Plan(
            Reminder.Channel.CALL, timing.at, _join(why, "Moved to the nearest earlier allowed time."), where
        )
    return sms_plan(customer=customer, appointment=appointment, now=now, why=_join(why, timing.reason))
