"""The instant most scheduling tests run at (a Sunday noon in the shop's zone, see the `frozen` fixture)
and `at()` for shop-local times on the Monday after."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)  # a Sunday
MONDAY = NOW.date() + timedelta(days=1)


def at(hh: int, mm: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CHICAGO)
