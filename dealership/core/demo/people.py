"""Deterministic demo customers, vehicles and service history. Pure: the same input gives the same people,
so the natural keys (phone, VIN) match from one run to the next."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from crm.vin import check_digit
from dealership.core.demo.data import (
    EUROPEAN_VEHICLE,
    FIRST_NAMES,
    LAST_NAMES,
    MODELS,
    PLACES,
    SERVICES,
    STREETS,
)

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# Position 10 of a VIN: the model year (letters skip I, O, Q, U, Z; digits for 2001–2009).
_YEAR_CODES = {2000 + i: str(i) for i in range(1, 10)} | {
    2010 + i: c for i, c in enumerate("ABCDEFGHJKLMNPRSTVWXY")
}
EUROPEAN_OWNER_INDEX = 7
_EXTRA_JOBS = [
    ("Wiper blades replaced", Decimal("34.99")),
    ("Cabin air filter replaced", Decimal("39.99")),
    ("Front brake pads and rotors", Decimal("389.50")),
    ("Serpentine belt replaced", Decimal("164.00")),
]
_TRUCKS = ("F-150", "1500", "Silverado 1500", "Sierra 1500", "Tacoma")
_CUSTOMER_NOTES = ["Prefers a text over a call.", "Usually waits in the lounge.", "Has a loaner on file."]


@dataclass(frozen=True)
class VehicleSpec:
    vin: str
    year: int
    make: str
    model: str
    trim: str = ""
    plate: str = ""
    plate_state: str = ""
    mileage: int | None = None
    nickname: str = ""


@dataclass(frozen=True)
class CustomerSpec:
    name: str
    phone: str
    alt_phone: str
    email: str
    address_line: str
    city: str
    state: str
    zip_code: str
    date_of_birth: date | None
    notes: str
    vehicles: tuple[VehicleSpec, ...]
    preferred_language: str = "en"


@dataclass(frozen=True)
class HistorySpec:
    date: date
    code: str | None  # None = a job outside the catalog, described in `description`
    description: str
    mileage: int | None
    cost: Decimal
    notes: str


def make_vin(rng: random.Random, *, wmi: str, year: int) -> str:
    """A syntactically valid North American VIN for `year` with a correct check digit."""
    vds = "".join(rng.choice(VIN_CHARS) for _ in range(5))
    plant = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    serial = f"{rng.randrange(10**6):06d}"
    draft = f"{wmi}{vds}0{_YEAR_CODES[year]}{plant}{serial}"
    return draft[:8] + check_digit(draft) + draft[9:]


def _vehicle(rng: random.Random, *, this_year: int, used_vins: set[str]) -> VehicleSpec:
    make, model, wmi, trims, oldest, newest = rng.choice(MODELS)
    year = rng.randint(oldest, min(newest, this_year))
    vin = make_vin(rng, wmi=wmi, year=year)
    while vin in used_vins:
        vin = make_vin(rng, wmi=wmi, year=year)
    used_vins.add(vin)
    age = max(this_year - year, 0)
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    return VehicleSpec(
        vin=vin,
        year=year,
        make=make,
        model=model,
        trim=rng.choice(trims),
        plate=f"{letters}{rng.randrange(10**5):05d}",
        plate_state="IL",
        mileage=max(1_500, age * rng.randint(9_000, 14_000) + rng.randint(0, 5_000)),
        nickname="work truck" if model in _TRUCKS and rng.random() < 0.4 else "",
    )


# Demo customers who speak Spanish (by position: the random draws of the others stay as they were), so
# their calls are greeted and their reminders made in Spanish.
SPANISH_SPEAKERS = frozenset({3, 11, 24, 38})


def demo_customers(*, count: int = 50, this_year: int) -> list[CustomerSpec]:
    """`count` (at most 50) customers with one to three vehicles each; phones are 555-01xx numbers in the
    312, 773 and 630 area codes."""
    rng = random.Random(20_240_501)
    firsts = rng.sample(FIRST_NAMES, len(FIRST_NAMES))
    lasts = rng.sample(LAST_NAMES, len(LAST_NAMES))
    used_vins: set[str] = {EUROPEAN_VEHICLE["vin"]}
    people: list[CustomerSpec] = []
    for i in range(min(count, len(firsts))):
        first, last = firsts[i], lasts[i]
        area, city, zips = rng.choice(PLACES)
        other_area = "773" if area != "773" else "312"
        vehicle_count = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
        vehicles = [_vehicle(rng, this_year=this_year, used_vins=used_vins) for _ in range(vehicle_count)]
        if i == EUROPEAN_OWNER_INDEX:
            vehicles.append(VehicleSpec(**EUROPEAN_VEHICLE, mileage=148_200))
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(54 * 365))
        people.append(
            CustomerSpec(
                name=f"{first} {last}",
                phone=f"+1{area}555{101 + i:04d}",
                alt_phone=f"+1{other_area}555{199 - i:04d}" if rng.random() < 0.2 else "",
                email=f"{first}.{last}@example.com".lower() if rng.random() < 0.8 else "",
                address_line=f"{rng.randint(100, 4999)} {rng.choice(STREETS)}",
                city=city,
                state="IL",
                zip_code=rng.choice(zips),
                date_of_birth=born if rng.random() < 0.85 else None,
                notes=rng.choice(_CUSTOMER_NOTES) if rng.random() < 0.15 else "",
                vehicles=tuple(vehicles),
                preferred_language="es" if i in SPANISH_SPEAKERS else "en",
            )
        )
    return people


def vehicle_history(vehicle: VehicleSpec, *, today: date) -> list[HistorySpec]:
    """One to four past visits for a vehicle, newest first, none before its model year."""
    rng = random.Random(vehicle.vin)
    codes = [s.code for s in SERVICES]
    weights = [s.weight for s in SERVICES]
    by_code = {s.code: s for s in SERVICES}
    visits: list[HistorySpec] = []
    days_ago = rng.randint(20, 120)
    for _ in range(rng.randint(1, 4)):
        day = today - timedelta(days=days_ago)
        if day.year < vehicle.year:
            break
        mileage = max((vehicle.mileage or 0) - days_ago * rng.randint(25, 40), 100)
        if rng.random() < 0.15:
            description, cost = rng.choice(_EXTRA_JOBS)
            visits.append(HistorySpec(day, None, description, mileage, cost, ""))
        else:
            spec = by_code[rng.choices(codes, weights=weights)[0]]
            extra = Decimal(rng.choice((0, 0, 35, 60))) if spec.price_is_from else Decimal(0)
            visits.append(HistorySpec(day, spec.code, "", mileage, spec.price + extra, spec.history_note))
        days_ago += rng.randint(90, 200)
    return visits
