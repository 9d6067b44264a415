"""Data for the scheduling benchmark: a mid-size shop, its catalog, many customers and a partly full book.

Everything comes from one seeded RNG and goes in with bulk_create, so runs measure the same data and
seeding takes seconds. The book is filled through the availability engine itself, so no generated
appointment breaks a capacity rule and the booking plan is known to succeed in any order.
Import only after django.setup().
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import phonenumbers

from crm.models import Customer, Vehicle
from scheduling import availability as engine
from scheduling.models import Appointment, BusinessHours, Closure, ServiceType, Shop
from scheduling.selectors import calendar_load, job_for, rules_for

# code, name, minutes, price, waiter_eligible, daily_limit, share of the existing book
CATALOG = [
    ("oil_change", "oil change", 30, "49.99", True, None, 35),
    ("tire_rotation", "tire rotation", 30, "29.99", True, None, 20),
    ("brake_inspection", "brake inspection", 45, "0.00", True, None, 15),
    ("state_inspection", "state inspection", 30, "25.00", True, None, 10),
    ("battery_replacement", "battery replacement", 45, "189.00", True, None, 10),
    ("diagnostic", "diagnostic", 90, "149.00", False, 2, 10),
]
# Chicago-area numbers: area code + exchange 200-999 (no N11 service codes, no 555) + any line number.
AREA_CODES = (312, 773, 630, 847)
EXCHANGES = tuple(n for n in range(200, 1000) if n % 100 != 11 and n != 555)
FIRST_NAMES = ("Dana", "Luis", "Priya", "Tom", "Aisha", "Marek", "Grace", "Omar", "Jen", "Wei", "Sam", "Rosa")
LAST_NAMES = ("Whitfield", "Garcia", "Patel", "Nowak", "Johnson", "Kim", "Okafor", "Rossi", "Chen", "Brown")
CARS = (
    ("Honda", "Civic"),
    ("Toyota", "Camry"),
    ("Ford", "F-150"),
    ("Chevrolet", "Equinox"),
    ("Subaru", "Outback"),
)
BATCH = 5000


@dataclass
class Population:
    phones: list[str]
    unknown_phones: list[str]
    customer_ids: list[int]


@dataclass
class Book:
    rules: engine.Rules
    calendar: engine.ShopCalendar
    today: date
    open_days: list[date]
    by_day: dict[date, list[engine.Booking]] = field(default_factory=lambda: defaultdict(list))

    def full_days(self, job: engine.Job, now: datetime) -> list[date]:
        """Open days on which `job` has no start time left."""
        return [day for day in self.open_days if not self.slots(day, job, now)]

    def slots(self, day: date, job: engine.Job, now: datetime) -> list[datetime]:
        loads = engine.day_loads(self.by_day.get(day, []), self.rules)
        return engine.day_slots(day, rules=self.rules, calendar=self.calendar, loads=loads, job=job, now=now)

    def add(self, start: datetime, service: ServiceType, *, waiter: bool) -> None:
        day = start.astimezone(self.rules.zone).date()
        self.by_day[day].append(
            engine.Booking(
                start=start,
                local_date=day,
                duration_minutes=service.duration_minutes,
                code=service.code,
                waiter=waiter,
            )
        )


def shop_create(*, now: datetime) -> Shop:
    """A shop with six technicians: four write-ups per half hour, 56 jobs a day, two waiter bays;
    closed one day three weeks out and one afternoon five weeks out."""
    shop = Shop.objects.create(
        name="Bench Auto Service",
        phone_number="+13125550100",
        timezone="America/Chicago",
        slot_minutes=30,
        min_notice_minutes=120,
        horizon_days=60,
        per_slot_capacity=4,
        waiter_capacity=2,
        daily_capacity=56,
        technician_minutes_per_day=6 * 9 * 60,
    )
    today = now.astimezone(shop.zone).date()
    BusinessHours.objects.bulk_create(
        [BusinessHours(weekday=d, opens=time(7, 30), closes=time(18, 0)) for d in range(5)]
        + [BusinessHours(weekday=5, opens=time(8, 0), closes=time(13, 0))]
    )
    Closure.objects.bulk_create(
        [
            Closure(date=today + timedelta(days=21), reason="Staff training"),
            Closure(
                date=today + timedelta(days=35), starts=time(13, 0), ends=time(18, 0), reason="Inventory"
            ),
        ]
    )
    return shop


def catalog_create() -> dict[str, ServiceType]:
    services = ServiceType.objects.bulk_create(
        [
            ServiceType(
                code=code,
                name=name,
                duration_minutes=minutes,
                price=Decimal(price),
                waiter_eligible=waiter,
                daily_limit=limit,
            )
            for code, name, minutes, price, waiter, limit, _share in CATALOG
        ]
    )
    return {s.code: s for s in services}


def _phone(index: int) -> str:
    area, rest = divmod(index, len(EXCHANGES) * 10_000)
    exchange, line = divmod(rest, 10_000)
    return f"+1{AREA_CODES[area]}{EXCHANGES[exchange]}{line:04d}"


def phone_pattern_check() -> None:
    """US validity depends on area code and exchange only: check each pair once instead of 100k numbers."""
    for area in AREA_CODES:
        for exchange in EXCHANGES:
            if not phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}{exchange}0147")):
                raise SystemExit(f"bench phone pattern produces invalid numbers: +1 {area} {exchange}")


def customers_create(*, count: int, rng: random.Random, unknown: int = 500) -> Population:
    """`count` customers with distinct valid E.164 numbers (one in ten also has an alternate number),
    plus `unknown` valid numbers that belong to nobody."""
    phone_pattern_check()
    alternates = count // 10
    space = len(AREA_CODES) * len(EXCHANGES) * 10_000
    numbers = [_phone(i) for i in rng.sample(range(space), count + alternates + unknown)]
    phones, alt_phones, unknown_phones = (
        numbers[:count],
        numbers[count : count + alternates],
        numbers[count + alternates :],
    )
    customers = [
        Customer(
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            phone=phone,
            alt_phone=alt_phones[i] if i < alternates else "",
            zip_code=f"606{rng.randrange(100):02d}",
        )
        for i, phone in enumerate(phones)
    ]
    # No vehicles: nothing measured reads them beyond an indexed, empty per-customer lookup, and
    # 100k more ORM rows would double the seeding time.
    Customer.objects.bulk_create(customers, batch_size=BATCH)
    return Population(phones=phones, unknown_phones=unknown_phones, customer_ids=[c.pk for c in customers])


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
PLATE_STYLES = ("{}{}", "{} {}", "{}-{}")  # as typed in: "ABC1234", "ABC 1234", "ABC-1234"


@dataclass
class Fleet:
    vins: list[str]
    plates: list[str]


def vehicles_create(*, customer_ids: list[int], rng: random.Random) -> Fleet:
    """One vehicle per customer with a distinct random VIN and plate, for the search figures (the
    other figures never read vehicles, so their seeding stays separate and uses its own RNG)."""
    vins: set[str] = set()
    while len(vins) < len(customer_ids):
        vins.add("".join(rng.choices(VIN_CHARS, k=17)))
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    keys: set[tuple[str, str]] = set()
    while len(keys) < len(customer_ids):
        keys.add(("".join(rng.choices(letters, k=3)), f"{rng.randrange(10_000):04d}"))
    plates = [rng.choice(PLATE_STYLES).format(*key) for key in sorted(keys)]
    vehicles = [
        Vehicle(customer_id=cid, vin=vin, year=2010 + i % 15, make=car[0], model=car[1], plate=plate)
        for i, (cid, vin, plate, car) in enumerate(
            zip(customer_ids, sorted(vins), plates, rng.choices(CARS, k=len(plates)), strict=True)
        )
    ]
    rng.shuffle(vehicles)
    Vehicle.objects.bulk_create(vehicles, batch_size=BATCH)
    return Fleet(vins=[v.vin for v in vehicles], plates=[v.plate for v in vehicles])


def book_fill(
    *,
    shop: Shop,
    catalog: dict[str, ServiceType],
    customer_ids: list[int],
    count: int,
    now: datetime,
    rng: random.Random,
) -> Book:
    """`count` active appointments from today to the horizon. Like a real shop, the next two weeks are
    the busiest (they fill up completely) and demand thins out towards the end of the horizon."""
    rules = rules_for(shop)
    today = now.astimezone(rules.zone).date()
    last = engine.last_bookable_date(now, rules)
    calendar = calendar_load(shop=shop, first_day=today, last_day=last)
    days = [today + timedelta(days=i) for i in range((last - today).days + 1)]
    book = Book(
        rules=rules,
        calendar=calendar,
        today=today,
        open_days=[d for d in days if engine.open_intervals(d, calendar, rules.zone)],
    )
    span = max((last - today).days, 1)
    weight = {d: 1.0 if (d - today).days < 14 else 0.25 + 0.75 * (last - d).days / span for d in days}
    codes = [row[0] for row in CATALOG]
    shares = [row[-1] for row in CATALOG]
    smallest = job_for(catalog["oil_change"], waiter=False)
    candidates = list(book.open_days)
    rows: list[Appointment] = []
    while len(rows) < count:
        if not candidates:
            raise SystemExit(f"The shop is full after {len(rows)} appointments; use fewer --appointments.")
        day = rng.choices(candidates, weights=[weight[d] for d in candidates])[0]
        service = catalog[rng.choices(codes, weights=shares)[0]]
        waiter = service.waiter_eligible and rng.random() < 0.2
        slots = book.slots(day, job_for(service, waiter=waiter), now)
        if not slots:
            if not book.slots(day, smallest, now):
                candidates.remove(day)
            continue
        start = rng.choice(slots)
        book.add(start, service, waiter=waiter)
        rows.append(
            _appointment(start, day, service, waiter=waiter, customer_id=rng.choice(customer_ids), rng=rng)
        )
    Appointment.objects.bulk_create(rows, batch_size=BATCH)
    return book


def _appointment(
    start: datetime, day: date, service: ServiceType, *, waiter: bool, customer_id: int, rng: random.Random
) -> Appointment:
    return Appointment(
        customer_id=customer_id,
        service_type=service,
        start=start,
        end=start + timedelta(minutes=service.duration_minutes),
        local_date=day,
        duration_minutes=service.duration_minutes,
        price_quoted=service.price,
        status=Appointment.Status.CONFIRMED if rng.random() < 0.2 else Appointment.Status.SCHEDULED,
        transport=Appointment.Transport.WAITER if waiter else Appointment.Transport.DROP_OFF,
        channel=rng.choice(list(Appointment.Channel)),
    )


def booking_plan(
    *, book: Book, service: ServiceType, count: int, now: datetime, rng: random.Random
) -> list[datetime]:
    """`count` distinct drop-off start times for `service` that all fit on top of the book together.

    Capacity rules only ever cap totals, so a set that fits as a whole fits in any order or subset:
    concurrent bookers of this plan must all succeed. Reserves the plan in `book`."""
    job = job_for(service, waiter=False)
    taken: set[datetime] = set()
    plan: list[datetime] = []
    while len(plan) < count:
        progressed = False
        for day in book.open_days:
            free = [s for s in book.slots(day, job, now) if s not in taken]
            if not free:
                continue
            start = rng.choice(free)
            taken.add(start)
            plan.append(start)
            book.add(start, service, waiter=False)
            progressed = True
            if len(plan) == count:
                break
        if not progressed:
            raise SystemExit(f"Only {len(plan)} open slots left for the booking runs; use fewer bookings.")
    rng.shuffle(plan)
    return plan
