"""US holidays a repair shop closes for, so the demo has a real closure coming up."""

from datetime import date, timedelta

TRAINING_DAY = "Staff training day"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def us_shop_holidays(year: int) -> list[tuple[date, str]]:
    """The holidays of `year`, earliest first. One that falls on a Sunday (when the shop is closed anyway)
    is observed on the Monday, as federal holidays are."""
    holidays = [
        (date(year, 1, 1), "New Year's Day"),
        (_last_weekday(year, 5, 0), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    return [
        (day + timedelta(days=1), f"{name} (observed)") if day.weekday() == 6 else (day, name)
        for day, name in holidays
    ]


def holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """Holidays from `first` to `last`, both included."""
    return [
        (day, name)
        for year in range(first.year, last.year + 1)
        for day, name in us_shop_holidays(year)
        if first <= day <= last
    ]


def training_day(today: date) -> date:
    """A weekday about two weeks out, for when no holiday is near."""
    day = today + timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
