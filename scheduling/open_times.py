"""Open start times for the booking form, grouped by day and by morning / afternoon (a selector).

The same availability engine as the AI and the tools (`availability_find`), so a time offered here
is one the booking service accepts; it checks again when the form is saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dealership.core.display import money
from scheduling.formatting import clock
from scheduling.selectors import availability_find

DAYS = 5  # the next open days shown
PER_DAY = 16  # start times per day at most
NOON = 12


def _day_label(moment: datetime) -> str:
    return f"{moment:%a %b} {moment.day}"


def open_times(*, service_code: str, waiter: bool, now: datetime | None = None) -> dict[str, Any]:
    """{"service": {...duration and price...}, "days": [{"date", "label", "morning", "afternoon"}]}:
    each time has "time" (what the form's time box takes, "9:00 AM") and "date" (YYYY-MM-DD)."""
    result = availability_find(
        service_code=service_code, waiter=waiter, limit=DAYS * PER_DAY, max_per_day=PER_DAY, now=now
    )
    zone = result.shop.zone
    days: dict[str, dict[str, Any]] = {}
    for slot in _local(result.slots, zone):
        day = days.setdefault(
            slot.date().isoformat(),
            {"date": slot.date().isoformat(), "label": _day_label(slot), "morning": [], "afternoon": []},
        )
        if len(days) > DAYS:
            days.pop(slot.date().isoformat())
            break
        part = "morning" if slot.hour < NOON else "afternoon"
        day[part].append({"date": slot.date().isoformat(), "time": clock(slot)})
    service = result.service
    price = ("from " if service.price_is_from else "") + money(service.price)
    return {
        "service": {"name": service.name, "duration_minutes": service.duration_minutes, "price": price},
        "days": list(days.values()),
    }


def _local(slots: Iterable[datetime], zone: Any) -> list[datetime]:
    return [slot.astimezone(zone) for slot in slots]
