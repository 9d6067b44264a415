"""Say it for the ear: rewrite text the agent wrote so TTS reads it the way a person would say it.

The conversation keeps the original text; only what goes to TTS is rewritten.
"""

import re

from num2words import num2words

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_PHONE = re.compile(r"(?<![\w$])(?:\+?1[\s.-]?)?\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)")
_MONEY = re.compile(r"\$(\d{1,3}(?:,\d{3})*|\d+)(?:\.(\d{2}))?(?!\d)")
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([AaPp])\.?\s*[Mm]\.?(?=\W|$)")
_DATE = re.compile(rf"\b({_MONTHS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")


def _digits(group: str) -> str:
    return " ".join(group)


def _phone(match: re.Match[str]) -> str:
    return ", ".join(_digits(g) for g in match.groups())


def _money(match: re.Match[str]) -> str:
    dollars = int(match.group(1).replace(",", ""))
    cents = int(match.group(2) or 0)
    if dollars == 0 and cents == 0:
        return "no charge"
    if cents == 0:
        return f"{num2words(dollars)} dollar{'s' if dollars != 1 else ''}"
    if dollars == 0:
        return f"{num2words(cents)} cents"
    # "$59.99" is said "fifty-nine ninety-nine"; "$5.05" reads better as "five dollars and five cents".
    if cents < 10:
        return f"{num2words(dollars)} dollars and {num2words(cents)} cents"
    return f"{num2words(dollars)} {num2words(cents)}"


def _clock(match: re.Match[str]) -> str:
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3).upper()
    if not 1 <= hour <= 12 or minute > 59:
        return match.group(0)
    if minute == 0:
        spoken_minutes = ""
    elif minute < 10:
        spoken_minutes = f" oh {num2words(minute)}"
    else:
        spoken_minutes = f" {num2words(minute)}"
    return f"{num2words(hour)}{spoken_minutes} {half} M"


def _date(match: re.Match[str]) -> str:
    day = int(match.group(2))
    if not 1 <= day <= 31:
        return match.group(0)
    return f"{match.group(1)} {num2words(day, to='ordinal')}"


def for_the_ear(text: str) -> str:
    """Phone numbers as grouped digits, prices, clock times and dates the way people say them."""
    text = _PHONE.sub(_phone, text)
    text = _MONEY.sub(_money, text)
    text = _TIME.sub(_clock, text)
    return _DATE.sub(_date, text)
