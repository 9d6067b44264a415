"""How dates and times read in sentences the agent says and advisors see (shop-local time)."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def clock(moment: time | datetime) -> str:
    """The back office's one time format: "8:00 AM" (12-hour, no seconds)."""
    return moment.strftime("%-I:%M %p")


def say_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")


def say_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"


def say_datetime(moment: datetime, zone: ZoneInfo) -> str:
    return f"{say_date(moment.astimezone(zone).date())} at {say_time(moment, zone)}"


def iso_local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()
