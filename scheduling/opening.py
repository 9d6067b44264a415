"""Is the shop open right now, and if not, when does it open? (the phone line's view of the hours)

Read from the shop's weekly hours and closures, the same rules availability uses. Busy time does not
close the phone line, so it is left out. A shop with no hours entered at all counts as open: nothing
says otherwise, and a hand-off that is never tried would be worse than one that rings out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from scheduling import availability as engine
from scheduling.formatting import say_datetime
from scheduling.selectors import calendar_load
from scheduling.shop import shop_get

LOOK_AHEAD_DAYS = 14


@dataclass(frozen=True)
class OpenNow:
    is_open: bool
    opens_at: datetime | None = None  # the next opening (when closed and one is known)

    def opens_in_words(self) -> str:
        """'Monday, November 23 at 7:30 AM' in the shop's time zone, or '' when unknown."""
        return say_datetime(self.opens_at, shop_get().zone) if self.opens_at else ""


def shop_open_now(*, now: datetime | None = None) -> OpenNow:
    """Whether the shop is open at `now` (default: now) by its hours and closures, else its next opening."""
    now = now or timezone.now()
    shop = shop_get()
    zone = shop.zone
    today = now.astimezone(zone).date()
    loaded = calendar_load(shop=shop, first_day=today, last_day=today + timedelta(days=LOOK_AHEAD_DAYS))
    if not any(loaded.hours.values()):
        return OpenNow(True)
    calendar = engine.ShopCalendar(hours=loaded.hours, closures=loaded.closures)
    for offset in range(LOOK_AHEAD_DAYS + 1):
        for start, end in engine.open_intervals(today + timedelta(days=offset), calendar, zone):
            if start <= now < end:
                return OpenNow(True)
            if start > now:
                return OpenNow(False, start)
    return OpenNow(False)


def next_open_day(*, now: datetime | None = None) -> date:
    """The shop-local date to book on by default: today while the shop is (or will still be) open
    today, else the day of its next opening; today when no opening is known."""
    now = now or timezone.now()
    zone = shop_get().zone
    state = shop_open_now(now=now)
    moment = state.opens_at if not state.is_open and state.opens_at is not None else now
    return moment.astimezone(zone).date()
