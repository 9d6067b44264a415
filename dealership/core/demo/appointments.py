"""Book the demo's next two weeks through the real booking service, at times availability offers."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from crm.models import Customer, Vehicle
from dealership.core.demo.data import APPOINTMENT_NOTES, SERVICES
from dealership.core.errors import ApplicationError
from scheduling.models import Appointment, ServiceType
from scheduling.selectors import availability_find
from scheduling.services import appointment_book
from scheduling.shop import shop_get

DAYS = 14
PER_DAY = (3, 6)
# Most customers drop off first thing; the rest arrive through the day.
EARLY_SHARE = 0.6
EARLY_BEFORE_HOUR = 10
WAITER_SHARE = 0.35
# A full business day has at most 21 half-hour starts; asking for a few more is enough to see them all.
SLOTS_PER_QUERY = 24


def demo_appointments_book(*, customers: list[Customer], now: datetime) -> tuple[int, int, int]:
    """Book 3–6 staff appointments per open day for the next 14 days, unless anything is already booked
    from `now` on. Returns (booked, already present, skipped because the slot was refused)."""
    present = Appointment.objects.filter(start__gte=now).count()
    if present or not customers:
        return 0, present, 0
    zone = shop_get().zone
    active = set(ServiceType.objects.filter(active=True).values_list("code", flat=True))
    services = [s for s in SERVICES if s.code in active]
    if not services:
        return 0, 0, 0
    codes, weights = [s.code for s in services], [s.weight for s in services]
    waiter_ok = dict(ServiceType.objects.filter(code__in=codes).values_list("code", "waiter_eligible"))
    rng = random.Random(14)
    queue = rng.sample(customers, len(customers))
    vehicles: dict[int, list[Vehicle]] = {}
    for vehicle in Vehicle.objects.filter(customer__in=customers).order_by("pk"):
        vehicles.setdefault(vehicle.customer_id, []).append(vehicle)
    today = now.astimezone(zone).date()
    booked = skipped = 0
    for offset in range(DAYS):
        day = today + timedelta(days=offset)
        for _ in range(rng.randint(*PER_DAY)):
            code = rng.choices(codes, weights=weights)[0]
            waiter = waiter_ok.get(code, False) and rng.random() < WAITER_SHARE
            try:
                start = _pick_start(rng, code=code, day=day, waiter=waiter, now=now)
            except ApplicationError:
                break  # closed (holiday, Sunday) or beyond the booking horizon: the whole day is out
            if start is None:
                continue
            customer = queue[(booked + skipped) % len(queue)]
            owned = vehicles.get(customer.pk, [])
            try:
                appointment_book(
                    customer=customer,
                    service_code=code,
                    start=start,
                    channel=Appointment.Channel.STAFF,
                    vehicle=rng.choice(owned) if owned else None,
                    waiter=waiter,
                    notes=_note(rng, code),
                    now=now,
                )
            except ApplicationError:  # SlotTaken included: the demo simply leaves that slot out
                skipped += 1
                continue
            booked += 1
    return booked, 0, skipped


def _pick_start(rng: random.Random, *, code: str, day: date, waiter: bool, now: datetime) -> datetime | None:
    """A start on `day` that availability offers right now, or None when the day has no room for it.
    Raises ApplicationError when the shop is closed that day."""
    result = availability_find(
        service_code=code, preferred_date=day, waiter=waiter, limit=SLOTS_PER_QUERY, now=now
    )
    zone = result.shop.zone
    same_day = [s for s in result.slots if s.astimezone(zone).date() == day]
    if not same_day:
        return None
    early = [s for s in same_day if s.astimezone(zone).hour < EARLY_BEFORE_HOUR]
    if early and rng.random() < EARLY_SHARE:
        return rng.choice(early)
    return rng.choice(same_day)


def _note(rng: random.Random, code: str) -> str:
    if code == "diagnostic":
        return "Check engine light came on yesterday."
    if code == "brake_inspection":
        return "Squeal from the front left when braking."
    return rng.choice(APPOINTMENT_NOTES)
