"""Where is the customer, in time? Address state, else the phone's area code, else the shop's zone.

A state or area code can span several zones (Texas, Florida, Indiana…). Rather than guess one, we keep
every candidate: the calling window must hold in all of them, so a call is never early or late for
the customer wherever in that state they are.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones

E, C, M, P = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"

# US states and territories → IANA zones in use there (first = where most people live).
STATE_ZONES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("CT", "DE", "DC", "GA", "ME", "MD", "MA", "NH", "NJ", "NY", "NC", "OH", "PA", "RI", "SC", "VT"),
        (E,),
    ),
    **dict.fromkeys(("VA", "WV"), (E,)),
    "FL": (E, C),
    "IN": ("America/Indiana/Indianapolis", C),
    "KY": (E, C),
    "MI": ("America/Detroit", "America/Menominee"),
    "TN": (C, E),
    **dict.fromkeys(("AL", "AR", "IL", "IA", "LA", "MN", "MS", "MO", "OK", "WI"), (C,)),
    **dict.fromkeys(("TX", "KS", "NE", "ND", "SD"), (C, M)),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), (M,)),
    "AZ": ("America/Phoenix", M),
    "ID": ("America/Boise", P),
    "OR": (P, "America/Boise"),
    **dict.fromkeys(("CA", "WA", "NV"), (P,)),
    "AK": ("America/Anchorage", "America/Adak"),
    "HI": ("Pacific/Honolulu",),
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "AS": ("Pacific/Pago_Pago",),
    "MP": ("Pacific/Saipan",),
}

STATE_NAMES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN",
    "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO",
    "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH",
    "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT",
    "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "puerto rico": "PR", "guam": "GU",
}  # fmt: skip

# A number whose prefix maps to more zones than this says nothing about where the person is
# (toll-free and non-geographic numbers map to every zone of the country).
MAX_AREA_CODE_ZONES = 3


@dataclass(frozen=True)
class CustomerZones:
    zones: tuple[ZoneInfo, ...]
    source: str  # "address", "area code" or "shop"

    @property
    def label(self) -> str:
        return ", ".join(str(zone) for zone in self.zones)


def zones_for_state(state: str) -> tuple[str, ...]:
    text = " ".join((state or "").replace(".", " ").split()).strip()
    code = text.upper() if len(text) == 2 else STATE_NAMES.get(text.lower(), "")
    return STATE_ZONES.get(code, ())


def zones_for_phone(e164: str) -> tuple[str, ...]:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    names = tuple(
        name
        for name in phone_timezones.time_zones_for_number(parsed)
        if name != phone_timezones.UNKNOWN_TIMEZONE
    )
    return names if 0 < len(names) <= MAX_AREA_CODE_ZONES else ()


def customer_zones(*, state: str, phone: str, shop_zone: ZoneInfo) -> CustomerZones:
    """The customer's candidate time zones and where we learned them."""
    if names := zones_for_state(state):
        return CustomerZones(tuple(ZoneInfo(n) for n in names), "address")
    if names := zones_for_phone(phone):
        return CustomerZones(tuple(ZoneInfo(n) for n in names), "area code")
    return CustomerZones((shop_zone,), "shop")
