"""Reads over customers, vehicles and service history (the agent's lookups and the advisors' search)."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from crm.models import Customer, ServiceRecord, Vehicle
from crm.phones import try_normalize_phone
from dealership.core.errors import NotFound
from scheduling.models import Appointment
from scheduling.shop import shop_get

UPCOMING_STATUSES = (Appointment.Status.SCHEDULED, Appointment.Status.CONFIRMED)

_VIN_CHARS_RE = re.compile(r"^[A-HJ-NPR-Z0-9]+$")
_PHONE_CHARS_RE = re.compile(r"^[\d\s().+\-]+$")
_KEY_STRIP_RE = re.compile(r"[\s\-]")
_MIN_VIN_SUFFIX = 6
_MIN_PHONE_FRAGMENT = 4


def shop_phone_region() -> str:
    """The shop's default region for numbers typed without a country code (from the per-process
    rules copy, scheduling.rules_cache: one small query, never stale)."""
    return shop_get().phone_region or "US"


def _region(region: str | None) -> str:
    return region or shop_phone_region()


def customer_find_by_phone(*, phone: str, region: str | None = None) -> Customer | None:
    """The customer calling from `phone` (any format), matched on their main or alternate number.

    Returns None for an unknown or unparseable number. When several customers share the number
    (a household), customers added later on a call as a second person on the number never win over
    the ones before (an impostor must not take over the real customer's greeting); among the rest
    the one with the latest appointment wins, then the most recently created.
    `region` reads numbers typed without a country code; it defaults to the shop's, which is only
    looked up when the number lacks a leading "+" (Twilio caller IDs never do).
    """
    text = (phone or "").strip()
    if not text:
        return None
    e164 = try_normalize_phone(text, region=region or ("US" if text.startswith("+") else _region(None)))
    if e164 is None:
        return None
    matching = Customer.objects.filter(Q(phone=e164) | Q(alt_phone=e164))
    # Nearly every number belongs to one customer: a bare indexed lookup settles it. Only a
    # shared number pays for ranking by appointments.
    found = list(matching.order_by()[:2])
    if len(found) < 2:
        return found[0] if found else None
    # Real bookings only: a test booking made as someone on the number must not change who is greeted.
    latest = Appointment.objects.real().filter(customer=OuterRef("pk"))
    latest_start = latest.order_by("-start").values("start")[:1]
    return (
        matching.annotate(latest_start=Subquery(latest_start))
        .order_by("secondary_on_phone", F("latest_start").desc(nulls_last=True), "-created_at", "-pk")
        .first()
    )


def customer_summary(
    *, customer: Customer, now: datetime, zone: ZoneInfo | None = None, include_test: bool = False
) -> dict[str, Any]:
    """The `get_customer_by_phone` tool result: who this is, their vehicles and what is booked.

    Upcoming = scheduled or confirmed and starting at or after `now`, earliest first, with times in
    the shop's time zone (`zone` saves the shop lookup when the caller already has it). Test bookings
    (made on browser test calls) only with `include_test` (on a test call): a real caller never hears
    of the booking a tester made as them.
    """
    zone = zone or shop_get().zone
    vehicles = (
        Vehicle.objects.filter(customer=customer)
        .only("pk", "year", "make", "model")
        .order_by(F("year").desc(nulls_last=True), "pk")
    )
    upcoming = Appointment.objects.filter(customer=customer, start__gte=now, status__in=UPCOMING_STATUSES)
    if not include_test:
        upcoming = upcoming.real()
    upcoming = (
        upcoming.select_related("service_type")
        .only("pk", "start", "status", "service_type__code")
        .order_by("start", "pk")
    )
    return {
        "found": True,
        "customer_id": customer.pk,
        "name": customer.name,
        "vehicles": [
            {"vehicle_id": v.pk, "year": v.year, "make": v.make, "model": v.model} for v in vehicles
        ],
        "upcoming_appointments": [
            {
                "appointment_id": a.pk,
                "start": a.start.astimezone(zone).isoformat(),
                "service_type": a.service_type.code,
                "status": a.status,
            }
            for a in upcoming
        ],
    }


def service_history_list(
    *, customer_id: int, vehicle_id: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The `get_service_history` tool result items, newest first.

    Raises NotFound for an unknown customer, or a vehicle that is not this customer's.
    """
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"I couldn't find a customer with ID {customer_id}.")
    records = ServiceRecord.objects.filter(vehicle__customer_id=customer_id)
    if vehicle_id is not None:
        if not Vehicle.objects.filter(pk=vehicle_id, customer_id=customer_id).exists():
            raise NotFound("That vehicle isn't on file for this customer.")
        records = records.filter(vehicle_id=vehicle_id)
    records = records.select_related("service_type").order_by("-date", "-pk")
    if limit is not None:
        records = records[:limit]
    return [
        {
            "date": r.date.isoformat(),
            "service_type": r.service_name,
            "cost": f"{r.cost:.2f}" if r.cost is not None else None,
            "mileage": r.mileage,
            "notes": r.notes,
        }
        for r in records
    ]


def _plate_key(raw: str) -> str:
    return _KEY_STRIP_RE.sub("", raw).upper()


def _vehicle_match(query: str) -> Q | None:
    """Vehicles whose VIN (full, or last 6+ characters) or plate (ignoring case, spaces, dashes)
    matches `query`; None when the query cannot be either."""
    key = _plate_key(query)
    if not key.isalnum():
        return None
    match = Q(plate_key=key)
    if len(key) >= _MIN_VIN_SUFFIX and _VIN_CHARS_RE.fullmatch(key):
        match |= Q(vin=key) if len(key) == 17 else Q(vin__endswith=key)
    return match


def _vehicles_with_plate_key() -> QuerySet[Vehicle]:
    # Plates are typed every which way ("abc 123", "ABC-123"); compare them stripped and upper-cased.
    stripped = Replace(Replace(F("plate"), Value(" "), Value("")), Value("-"), Value(""))
    return Vehicle.objects.annotate(plate_key=Upper(stripped))


def _phone_match(query: str, region: str | None) -> Q | None:
    if not _PHONE_CHARS_RE.fullmatch(query):
        return None
    e164 = try_normalize_phone(query, region=_region(region))
    if e164 is not None:
        return Q(phone=e164) | Q(alt_phone=e164)
    digits = re.sub(r"\D", "", query)
    if len(digits) < _MIN_PHONE_FRAGMENT:
        return None
    # A fragment such as the last four digits: advisors type what the customer reads out.
    return Q(phone__contains=digits) | Q(alt_phone__contains=digits)


def _name_match(query: str) -> Q:
    match = Q()
    for word in query.split():
        match &= Q(name__icontains=word)
    return match


def _email_fragment(query: str) -> bool:
    """One word of 3+ characters with a letter, as a piece of an email address can be."""
    return len(query) >= 3 and " " not in query and any(c.isalpha() for c in query)


def _owner_match(query: str, region: str | None) -> Q:
    # Names have letters: a typed number skips the name arm (a table scan on SQLite; on PostgreSQL
    # a trigram index search that cannot match anyway).
    match = _name_match(query) if any(c.isalpha() for c in query) else Q(pk__in=[])
    if _email_fragment(query):
        # Any part of an address ("campbell@", "kevin.c", "example.com"): the help text promises email.
        match |= Q(email__icontains=query)
    phone = _phone_match(query, region)
    if phone is not None:
        match |= phone
    return match


def customer_search(*, query: str, region: str | None = None) -> QuerySet[Customer]:
    """Customers matching `query` as a phone number in any format (or a fragment of 4+ digits),
    a name (every word, case-insensitive), an email, a VIN (full or last 6+) or a plate."""
    query = (query or "").strip()
    if not query:
        return Customer.objects.all()
    # A UNION of the two id lists rather than one OR: PostgreSQL cannot serve "name LIKE … OR
    # id IN (subquery)" with indexes and scans the whole table, while each arm of the union is an
    # index scan (the pg_trgm and plate-key indexes of crm 0003).
    ids = Customer.objects.filter(_owner_match(query, region)).order_by().values("pk")
    vehicle = _vehicle_match(query)
    if vehicle is not None:
        ids = ids.union(_vehicles_with_plate_key().filter(vehicle).order_by().values("customer_id"))
    return Customer.objects.filter(pk__in=ids)


def vehicle_search(*, query: str, region: str | None = None) -> QuerySet[Vehicle]:
    """Vehicles matching `query` by VIN, plate, or their owner's name, phone or email."""
    query = (query or "").strip()
    if not query:
        return Vehicle.objects.all()
    owners = Customer.objects.filter(_owner_match(query, region)).values("pk")
    # A UNION for the same reason as in customer_search: an OR with a subquery scans every vehicle.
    ids = Vehicle.objects.filter(customer_id__in=owners).order_by().values("pk")
    vehicle = _vehicle_match(query)
    if vehicle is not None:
        ids = ids.union(_vehicles_with_plate_key().filter(vehicle).order_by().values("pk"))
    return _vehicles_with_plate_key().filter(pk__in=ids)


@dataclass(frozen=True)
class CustomerCard:
    """What the top of a customer's page shows: their cars, next visit, open messages and recent calls."""

    vehicles: list[Vehicle]
    next_appointment: Any
    open_callbacks: int
    calls: int


def customer_card(*, customer: Customer) -> CustomerCard:
    from voice.models import Call, CallbackRequest  # voice depends on crm, not the other way round

    upcoming = (
        # A test booking (made on a browser test call as this customer) is no real visit.
        customer.appointments.real()
        .filter(start__gte=timezone.now(), status__in=UPCOMING_STATUSES)
        .select_related("service_type", "vehicle")
        .order_by("start")
        .first()
    )
    return CustomerCard(
        vehicles=list(customer.vehicles.order_by("-year", "make", "pk")),
        next_appointment=upcoming,
        # Browser test calls placed as this customer are left out, as the lists linked from the card do.
        open_callbacks=CallbackRequest.objects.filter(customer=customer, handled=False)
        .exclude(call_id__in=Call.objects.test().values("pk"))
        .count(),
        calls=Call.objects.real().filter(customer=customer).count(),
    )


def customers_sharing_phone(*, phone: str, exclude_id: int | None = None) -> QuerySet[Customer]:
    """Other customers whose main or alternate number is `phone` (E.164): caller ID picks one of them."""
    if not phone:
        return Customer.objects.none()
    return Customer.objects.filter(Q(phone=phone) | Q(alt_phone=phone)).exclude(pk=exclude_id).order_by("pk")


def vehicle_pick(*, customer_id: int | None, query: str = "") -> QuerySet[Vehicle]:
    """One customer's vehicles for a booking, narrowed by `query` words matched against year, make,
    model, trim, plate or VIN. No customer: none (a booking's car is always the customer's own)."""
    if customer_id is None:
        return Vehicle.objects.none()
    vehicles = Vehicle.objects.filter(customer_id=customer_id)
    for word in (query or "").split():
        vehicles = vehicles.filter(
            Q(make__icontains=word)
            | Q(model__icontains=word)
            | Q(trim__icontains=word)
            | Q(plate__icontains=word)
            | Q(vin__icontains=word)
            | Q(year__startswith=word)
        )
    return vehicles.order_by("-year", "make", "model", "pk")
