"""How the back office writes times, phone numbers and prices: one format everywhere.

Times in the shop's zone, 12-hour, no seconds ("8:00 AM"); phone numbers in the shop's national format
("(312) 555-0147"); prices with the currency sign ("$49.99"). Used by admin columns and templates alike
(template filters in `dealership/core/templatetags/desk.py`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from crm.phones import format_phone_for_display
from scheduling.shop import shop_get

TIME = "%-I:%M %p"


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, shop_get().zone) if timezone.is_aware(moment) else moment


def shop_time(moment: datetime | time | None) -> str:
    """ "8:00 AM" (a datetime is read in the shop's zone)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = _local(moment)
    return moment.strftime(TIME)


def shop_when(moment: datetime | None, *, today: date | None = None) -> str:
    """ "8:00 AM" today, "Tue Dec 8, 8:00 AM" on another day (shop's zone)."""
    if moment is None:
        return ""
    local = _local(moment)
    today = today or _local(timezone.now()).date()
    if local.date() == today:
        return local.strftime(TIME)
    fmt = "%a %b %-d, " + TIME if local.year == today.year else "%a %b %-d %Y, " + TIME
    return local.strftime(fmt)


def day(value: date | None) -> str:
    """ "Nov 9, 2026" (a calendar date, no time)."""
    if value is None:
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def phone(e164: str | None) -> str:
    """A stored E.164 number in the shop's national format; anything else as it is."""
    return format_phone_for_display(e164 or "", region=shop_get().phone_region)


def money(amount: Decimal | int | float | None) -> str:
    """ "$49.99" (the shop's prices are dollars)."""
    if amount is None:
        return ""
    return f"${Decimal(amount):,.2f}"


def duration(span: timedelta | None) -> str:
    """ "45 min", "3 h 5 min", "2 days 4 h" (how long someone waited); "" for None."""
    if span is None:
        return ""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


# The phone line's answering-machine detection ("AnsweredBy"), in words.
_ANSWERED_BY = {
    "human": "A person",
    "machine_start": "Answering machine",
    "machine_end_beep": "Answering machine (left after the beep)",
    "machine_end_silence": "Answering machine",
    "machine_end_other": "Answering machine",
    "fax": "A fax machine",
    "unknown": "Could not tell",
}


def answered_by(value: str | None) -> str:
    """ "A person", "Answering machine" …; "—" when nothing was detected."""
    if not value:
        return "—"
    return _ANSWERED_BY.get(value, value.replace("_", " ").capitalize())
