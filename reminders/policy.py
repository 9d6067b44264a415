"""When may we call or text a customer about an appointment? Pure functions over instants (UTC-aware).

Calls: inside the shop's reminder window (9:00–20:00 by default) in the customer's local time, Monday
to Saturday, never on a shop holiday. Texts: a wider courtesy window (8:00–21:00) on any day.
The reminder goes out the day before the appointment; when that day is not allowed, on the nearest
earlier allowed day; when the appointment is less than a day away, in any slot left before it.
A timed reminder whose time stops being allowed (a holiday added later) moves to the nearest earlier
allowed day, never onto the appointment day (`moved_reminder_time`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SUNDAY = 6
# How far back from the day before we look for an allowed day (a long holiday weekend fits).
MAX_DAYS_EARLIER = 7


@dataclass(frozen=True)
class ContactRules:
    """The window in which one kind of contact (call or text) may reach this customer."""

    zones: tuple[ZoneInfo, ...]  # every candidate zone of the customer; the window must hold in all
    shop_zone: ZoneInfo
    window_start: time
    window_end: time
    sundays: bool = False
    closed_days: frozenset[date] = frozenset()  # shop-local dates of full-day closures
    honour_closures: bool = True

    @property
    def home(self) -> ZoneInfo:
        return self.zones[0]


@dataclass(frozen=True)
class Timing:
    """A decision: send at `at`, or (when `at` is None) don't, because of `reason`."""

    at: datetime | None
    reason: str = ""


def day_window(rules: ContactRules, day: date) -> tuple[datetime, datetime] | None:
    """The instants [start, end) of customer-local `day` when contact is allowed in every zone."""
    if day.weekday() == SUNDAY and not rules.sundays:
        return None
    if rules.honour_closures and day in rules.closed_days:
        return None
    start = max(datetime.combine(day, rules.window_start, tzinfo=zone) for zone in rules.zones)
    end = min(datetime.combine(day, rules.window_end, tzinfo=zone) for zone in rules.zones)
    if start >= end:
        return None
    if rules.honour_closures:
        shop_days = {
            start.astimezone(rules.shop_zone).date(),
            (end - timedelta(seconds=1)).astimezone(rules.shop_zone).date(),
        }
        if shop_days & rules.closed_days:
            return None
    return start, end


def is_allowed(rules: ContactRules, at: datetime) -> bool:
    window = day_window(rules, at.astimezone(rules.home).date())
    return window is not None and window[0] <= at < window[1]


def first_allowed(rules: ContactRules, *, after: datetime, before: datetime) -> datetime | None:
    """The earliest allowed instant in [after, before), or None."""
    day = after.astimezone(rules.home).date()
    last = before.astimezone(rules.home).date()
    while day <= last:
        window = day_window(rules, day)
        if window is not None:
            start, end = max(window[0], after), min(window[1], before)
            if start < end:
                return start
        day += timedelta(days=1)
    return None


def _candidate_days(target: date, today: date, appointment_day: date, short_notice: bool) -> Iterator[date]:
    day = target
    while day >= today and target - day <= timedelta(days=MAX_DAYS_EARLIER):
        yield day
        day -= timedelta(days=1)
    if short_notice:
        day = max(target + timedelta(days=1), today)
        while day <= appointment_day:
            yield day
            day += timedelta(days=1)


def reminder_time(
    rules: ContactRules, *, appointment_start: datetime, now: datetime, min_lead: timedelta
) -> Timing:
    """When to remind about an appointment at `appointment_start`, judged at `now`.

    The day before (customer-local) at the start of its window, or from `now` if that window is open;
    else the nearest earlier allowed day; for an appointment less than a day away, also any window
    left on the way to it. Never later than `min_lead` before the appointment.
    """
    deadline = appointment_start - min_lead
    if deadline <= now:
        return Timing(None, "The appointment is too close for a reminder.")
    appointment_day = appointment_start.astimezone(rules.home).date()
    today = now.astimezone(rules.home).date()
    short_notice = appointment_start - now < timedelta(days=1)
    for day in _candidate_days(appointment_day - timedelta(days=1), today, appointment_day, short_notice):
        window = day_window(rules, day)
        if window is None:
            continue
        start, end = max(window[0], now), min(window[1], deadline)
        if start < end:
            return Timing(start)
    if short_notice:
        return Timing(None, "No calling-window time is left before the appointment.")
    return Timing(None, "No allowed time before the appointment (Sundays, holidays or outside the window).")


def moved_reminder_time(
    rules: ContactRules, *, due: datetime, appointment_start: datetime, now: datetime, min_lead: timedelta
) -> Timing:
    """A reminder timed for `due`, which is no longer allowed (e.g. a holiday added since): the
    nearest earlier allowed day (window start, or `now` if that window is open), else later the
    same or a following day — but only on days before the appointment day: a call on the appointment
    day is not a day-before reminder. None when no such time is left (the caller texts instead)."""
    appointment_day = appointment_start.astimezone(rules.home).date()
    day_before_ends = datetime.combine(appointment_day, time(0), tzinfo=rules.home)
    deadline = min(appointment_start - min_lead, day_before_ends)
    due_day = min(due.astimezone(rules.home).date(), appointment_day - timedelta(days=1))
    today = now.astimezone(rules.home).date()
    earlier = (due_day - timedelta(days=n) for n in range(MAX_DAYS_EARLIER + 1))
    later = (due_day + timedelta(days=n) for n in range(1, (appointment_day - due_day).days))
    for day in (*(d for d in earlier if d >= today), *later):
        window = day_window(rules, day)
        if window is None:
            continue
        start, end = max(window[0], now), min(window[1], deadline)
        if start < end:
            return Timing(start)
    return Timing(None, "No calling-window time is left on the days before the appointment.")


def retry_time(
    rules: ContactRules, *, now: datetime, delay: timedelta, appointment_start: datetime, min_lead: timedelta
) -> Timing:
    """The one retry after no answer: the first allowed time at least `delay` from now."""
    at = first_allowed(rules, after=now + delay, before=appointment_start - min_lead)
    return Timing(at, "" if at else "No time is left for a second call before the appointment.")


def local_time_label(at: datetime, zones: tuple[ZoneInfo, ...]) -> str:
    """'2025-03-08 09:00 CST (America/Chicago)' for the attempt log, one entry per candidate zone."""
    return "; ".join(f"{at.astimezone(zone):%Y-%m-%d %H:%M %Z} ({zone})" for zone in zones)[:80]
