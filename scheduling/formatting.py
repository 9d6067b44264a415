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


# Other languages than English, as data: weekday names (Monday first), month names, and the sentence.
_DATE_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "es": (
        ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        (
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        "{weekday} {day} de {month} a las {time}",
    ),
}


def say_datetime(moment: datetime, zone: ZoneInfo, *, language: str = "en") -> str:
    """ "Tuesday, March 4 at 9 AM" in the shop's zone; in `language` when it has date words (above)."""
    words = _DATE_WORDS.get(language)
    if words is None:
        return f"{say_date(moment.astimezone(zone).date())} at {say_time(moment, zone)}"
    weekdays, months, sentence = words
    day = moment.astimezone(zone).date()
    return sentence.format(
        weekday=weekdays[day.weekday()], day=day.day, month=months[day.month - 1], time=say_time(moment, zone)
    )


def iso_local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()
