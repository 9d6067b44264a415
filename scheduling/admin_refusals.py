"""Refusals in the back office's words: a full slot names the capacity rule that is full ("Slot full:
write-ups at 9:30 AM, 2 of 2"), not the caller's "was just taken"; other refusals keep the service's
sentence. The nearest open times follow, in the back office's time format."""

from __future__ import annotations

from datetime import datetime

from dealership.core.errors import ApplicationError, SlotTaken
from scheduling.agenda import agenda_for_day
from scheduling.formatting import clock
from scheduling.models import ServiceType
from scheduling.shop import shop_get


def _full_rules(*, start: datetime, service: ServiceType | None, waiter: bool) -> list[str]:
    """Which of the day's capacity rules leave no room at `start` (from the agenda's own figures)."""
    local = start.astimezone(shop_get().zone)
    agenda = agenda_for_day(day=local.date())
    needs = service.duration_minutes if service else 0
    full = []
    for usage in agenda.day_usage:
        short = usage.label == "technician minutes" and usage.left is not None and usage.left < needs
        if usage.full or short:
            full.append(f"{usage.label} {usage.used} of {usage.capacity}")
    for slot in agenda.slots:
        if slot.start == local.time().replace(second=0, microsecond=0):
            if slot.write_ups.full and not waiter:
                full.append(
                    f"write-ups at {clock(slot.start)}, {slot.write_ups.used} of {slot.write_ups.capacity}"
                )
            if slot.waiters.full and waiter:
                full.append(f"waiters at {clock(slot.start)}, {slot.waiters.used} of {slot.waiters.capacity}")
    for usage in agenda.services:
        if service is not None and usage.label == service.name and usage.full:
            full.append(f"{usage.label} per day, {usage.used} of {usage.capacity}")
    return full


def _nearby(error: ApplicationError) -> str:
    times = []
    for alternative in error.extra.get("alternatives", []):
        try:
            moment = datetime.fromisoformat(alternative["start"])
        except (KeyError, TypeError, ValueError):
            continue
        times.append(f"{moment:%a %b} {moment.day}, {clock(moment)}")
    return f" Open nearby: {'; '.join(times)} (or pick one of the open times under Time)." if times else ""


def staff_refusal(
    error: ApplicationError,
    *,
    start: datetime | None = None,
    service: ServiceType | None = None,
    waiter: bool = False,
) -> str:
    """The sentence an advisor reads when the booking service refuses."""
    if isinstance(error, SlotTaken) and start is not None:
        full = _full_rules(start=start, service=service, waiter=waiter)
        head = f"Slot full: {'; '.join(full)}." if full else "Slot full at that time."
    else:
        head = error.message
    return head + _nearby(error)
