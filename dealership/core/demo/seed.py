"""Load the demo shop. Idempotent: every row has a natural key (the shop singleton, hour rows and shop
answers only when there are none, service code, customer phone, VIN, a vehicle's existing history, closure
date, "any future appointment"), and rows that already exist are left exactly as they are, so an advisor's
edits in the admin survive `scripts/run` seeding again on every start."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import Customer, ServiceRecord, Vehicle
from crm.phones import normalize_phone
from crm.vin import validate_vin
from dealership.core.demo.appointments import demo_appointments_book
from dealership.core.demo.data import HOURS, SERVICES, SHOP, SHOP_ANSWERS
from dealership.core.demo.desk import demo_desk_seed
from dealership.core.demo.holidays import TRAINING_DAY, holidays_between, training_day
from dealership.core.demo.people import CustomerSpec, demo_customers, vehicle_history
from scheduling.models import BusinessHours, Closure, ServiceType, Shop, ShopAnswer
from scheduling.shop import shop_get
from voice.models import Call, CallbackRequest

logger = logging.getLogger(__name__)

CLOSURE_WINDOW_DAYS = 30


@dataclass
class SeedSummary:
    """What one run created next to what it found already there, per kind of row."""

    created: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, *, created: int, present: int) -> None:
        self.created[kind] = self.created.get(kind, 0) + created
        self.present[kind] = self.present.get(kind, 0) + present

    def line(self) -> str:
        parts = [f"{kind} {self.created[kind]} new/{self.present[kind]} kept" for kind in self.created]
        extra = f" [{'; '.join(self.notes)}]" if self.notes else ""
        return "Demo data: " + ", ".join(parts) + extra


def demo_seed(*, now: datetime | None = None) -> SeedSummary:
    """Create whatever part of the demo shop is missing, in one transaction (all or nothing).

    Future appointments are booked through the normal booking service, so they respect hours, closures
    and capacity; they are only added when nothing is booked from `now` on."""
    now = now or timezone.now()
    summary = SeedSummary()
    with transaction.atomic():
        shop = _seed_shop(summary)
        _seed_hours(summary)
        _seed_catalog(summary)
        _seed_answers(summary)
        _seed_transfer_numbers(summary)
        today = now.astimezone(shop.zone).date()
        customers = _seed_people(summary, shop=shop, today=today)
        _seed_closures(summary, today=today)
        booked, present, skipped = demo_appointments_book(customers=customers, now=now)
        summary.add("appointments", created=booked, present=present)
        if skipped:
            summary.notes.append(f"{skipped} appointment slots skipped as unavailable")
        calls, callbacks = demo_desk_seed(shop=shop, customers=customers, now=now)
        summary.add("calls", created=calls, present=0 if calls else Call.objects.count())
        summary.add(
            "callback requests", created=callbacks, present=0 if calls else CallbackRequest.objects.count()
        )
    return summary


# Where "Transfer to…" on a live call may send a caller (voice.TransferNumber); 555-01xx are fictional.
DEMO_TRANSFER_NUMBERS = (("Parts desk", "+13125550142"), ("Body shop", "+13125550143"))


def _seed_transfer_numbers(summary: SeedSummary) -> None:
    from voice.models import TransferNumber

    created = 0
    for label, phone in DEMO_TRANSFER_NUMBERS:
        created += TransferNumber.objects.get_or_create(phone=phone, defaults={"label": label})[1]
    summary.add("transfer numbers", created=created, present=len(DEMO_TRANSFER_NUMBERS) - created)


def _seed_shop(summary: SeedSummary) -> Shop:
    shop = shop_get()
    # A shop still carrying the model's default name has never been set up (shop_get just made it).
    if shop.name != Shop._meta.get_field("name").default:
        summary.add("shop", created=0, present=1)
        return shop
    for name, value in SHOP.items():
        setattr(shop, name, value)
    shop.full_clean()
    shop.save()
    summary.add("shop", created=1, present=0)
    return shop


def _seed_hours(summary: SeedSummary) -> None:
    existing = BusinessHours.objects.count()
    if existing:
        summary.add("hours", created=0, present=existing)
        return
    BusinessHours.objects.bulk_create(
        [BusinessHours(weekday=weekday, opens=opens, closes=closes) for weekday, opens, closes in HOURS]
    )
    summary.add("hours", created=len(HOURS), present=0)


def _seed_catalog(summary: SeedSummary) -> None:
    created = 0
    for spec in SERVICES:
        _, made = ServiceType.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "synonyms": spec.synonyms,
                "duration_minutes": spec.duration_minutes,
                "price": spec.price,
                "price_is_from": spec.price_is_from,
                "waiter_eligible": spec.waiter_eligible,
                "daily_limit": spec.daily_limit,
            },
        )
        created += made
    summary.add("services", created=created, present=len(SERVICES) - created)


def _seed_answers(summary: SeedSummary) -> None:
    """Like the hours: only into an empty list, so an answer an advisor edited, switched off or
    deleted stays that way."""
    existing = ShopAnswer.objects.count()
    if existing:
        summary.add("shop answers", created=0, present=existing)
        return
    ShopAnswer.objects.bulk_create(
        [
            ShopAnswer(topic=topic, answer=answer, ordering=10 * (position + 1))
            for position, (topic, answer) in enumerate(SHOP_ANSWERS)
        ]
    )
    summary.add("shop answers", created=len(SHOP_ANSWERS), present=0)


def _seed_people(summary: SeedSummary, *, shop: Shop, today: date) -> list[Customer]:
    specs = demo_customers(this_year=today.year)
    phones = [normalize_phone(spec.phone, region=shop.phone_region) for spec in specs]
    by_phone: dict[str, Customer] = {}
    for customer in Customer.objects.filter(phone__in=phones).order_by("-pk"):
        by_phone[customer.phone] = customer  # oldest wins when a number is on file twice
    known_vins = set(
        Vehicle.objects.filter(vin__in=[v.vin for s in specs for v in s.vehicles]).values_list(
            "vin", flat=True
        )
    )
    customers: list[Customer] = []
    new_customers = new_vehicles = 0
    for spec, phone in zip(specs, phones, strict=True):
        customer = by_phone.get(phone)
        if customer is None:
            customer = _customer_create(spec, phone=phone, region=shop.phone_region)
            new_customers += 1
        for vehicle in spec.vehicles:
            if vehicle.vin in known_vins:
                continue
            Vehicle.objects.create(
                customer=customer,
                vin_flagged=not validate_vin(vehicle.vin).check_digit_ok,
                **asdict(vehicle),
            )
            new_vehicles += 1
        customers.append(customer)
    summary.add("customers", created=new_customers, present=len(specs) - new_customers)
    vehicle_total = sum(len(s.vehicles) for s in specs)
    summary.add("vehicles", created=new_vehicles, present=vehicle_total - new_vehicles)
    _seed_history(summary, specs=specs, today=today)
    return customers


def _customer_create(spec: CustomerSpec, *, phone: str, region: str) -> Customer:
    return Customer.objects.create(
        name=spec.name,
        phone=phone,
        alt_phone=normalize_phone(spec.alt_phone, region=region) if spec.alt_phone else "",
        email=spec.email,
        address_line=spec.address_line,
        city=spec.city,
        state=spec.state,
        zip_code=spec.zip_code,
        date_of_birth=spec.date_of_birth,
        notes=spec.notes,
        preferred_language=spec.preferred_language,
    )


def _seed_history(summary: SeedSummary, *, specs: list[CustomerSpec], today: date) -> None:
    """Past visits for demo vehicles that have none yet; a vehicle with any history keeps it as is."""
    wanted = {v.vin: v for s in specs for v in s.vehicles}
    vehicles = {v.vin: v for v in Vehicle.objects.filter(vin__in=wanted).order_by("-pk")}
    with_history = set(
        ServiceRecord.objects.filter(vehicle__in=vehicles.values()).values_list("vehicle_id", flat=True)
    )
    services = {s.code: s for s in ServiceType.objects.all()}
    records: list[ServiceRecord] = []
    for vin, vehicle in vehicles.items():
        if vehicle.pk in with_history:
            continue
        for visit in vehicle_history(wanted[vin], today=today):
            records.append(
                ServiceRecord(
                    vehicle=vehicle,
                    date=visit.date,
                    service_type=services.get(visit.code) if visit.code else None,
                    description=visit.description,
                    mileage=visit.mileage,
                    cost=visit.cost,
                    notes=visit.notes,
                )
            )
    ServiceRecord.objects.bulk_create(records)
    kept = ServiceRecord.objects.filter(vehicle_id__in=with_history).count()
    summary.add("service records", created=len(records), present=kept)


def _seed_closures(summary: SeedSummary, *, today: date) -> None:
    """The real US holidays of the next 30 days, keyed by date; a training day when none falls in it."""
    last = today + timedelta(days=CLOSURE_WINDOW_DAYS)
    created = present = 0
    for day, name in holidays_between(today, last):
        closure, made = Closure.objects.get_or_create(
            date=day, starts=None, ends=None, defaults={"reason": name}
        )
        created += made
        present += not made
        summary.notes.append(f"closed {day.isoformat()} for {closure.reason or name}")
    if not created and not present:
        upcoming = Closure.objects.filter(date__range=(today, last), starts__isnull=True).first()
        if upcoming is None:
            day = training_day(today)
            upcoming = Closure.objects.create(date=day, reason=TRAINING_DAY)
            created += 1
        else:
            present += 1
        summary.notes.append(f"closed {upcoming.date.isoformat()} for {upcoming.reason or 'a closure'}")
    summary.add("closures", created=created, present=present)
