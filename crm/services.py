"""Writes to customers and vehicles: creation from a call, identity checks, contact opt-outs."""

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import Customer, Vehicle
from crm.phones import mask_phone, normalize_phone
from crm.selectors import customer_find_by_phone
from crm.vin import validate_vin
from dealership.core.errors import ApplicationError, NotFound, VerificationRequired

logger = logging.getLogger(__name__)

OLDEST_VEHICLE_YEAR = 1950
_VEHICLE_TEXT_FIELDS = ("make", "model", "trim", "plate", "plate_state", "nickname")


def _field_max(name: str) -> int:
    return Vehicle._meta.get_field(name).max_length


def _clean_year(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        year = int(str(raw).strip())
    except ValueError:
        raise ApplicationError(f"'{raw}' isn't a model year I understand.") from None
    latest = timezone.now().year + 1
    if not OLDEST_VEHICLE_YEAR <= year <= latest:
        raise ApplicationError(
            f"The model year should be between {OLDEST_VEHICLE_YEAR} and {latest}; I heard {year}."
        )
    return year


def _clean_mileage(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        mileage = int(str(raw).replace(",", "").strip())
    except ValueError:
        raise ApplicationError(f"'{raw}' isn't a mileage I understand.") from None
    if mileage < 0:
        raise ApplicationError("The mileage can't be negative.")
    return mileage


def vehicle_add(
    *,
    customer: Customer,
    year: Any = None,
    make: str = "",
    model: str = "",
    vin: str = "",
    trim: str = "",
    plate: str = "",
    plate_state: str = "",
    mileage: Any = None,
    nickname: str = "",
) -> Vehicle:
    """Add a vehicle to `customer` after checking what a caller or advisor may get wrong.

    The year must be 1950..next year. A VIN with bad syntax is refused; one whose check digit does
    not verify is kept with `vin_flagged=True`, since many non-North-American VINs have none.
    Raises ApplicationError with a sentence a caller can hear.
    """
    texts = {
        "make": make,
        "model": model,
        "trim": trim,
        "plate": plate,
        "plate_state": plate_state,
        "nickname": nickname,
    }
    cleaned: dict[str, str] = {}
    for name in _VEHICLE_TEXT_FIELDS:
        value = str(texts[name] or "").strip()
        if len(value) > _field_max(name):
            raise ApplicationError(f"The {name.replace('_', ' ')} '{value}' is too long.")
        cleaned[name] = value
    cleaned["plate"] = cleaned["plate"].upper()
    cleaned["plate_state"] = cleaned["plate_state"].upper()
    vin_value, flagged = "", False
    if vin and str(vin).strip():
        check = validate_vin(str(vin))
        vin_value, flagged = check.vin, not check.check_digit_ok
    vehicle = Vehicle.objects.create(
        customer=customer,
        year=_clean_year(year),
        mileage=_clean_mileage(mileage),
        vin=vin_value,
        vin_flagged=flagged,
        **cleaned,
    )
    if flagged:
        logger.info("vehicle %s saved with a VIN whose check digit does not verify", vehicle.pk)
    return vehicle


def _clean_name(name: str) -> str:
    cleaned = re.sub(r"\s+", " ", name or "").strip()
    if not cleaned:
        raise ApplicationError("I need the customer's name.")
    if len(cleaned) > Customer._meta.get_field("name").max_length:
        raise ApplicationError("That name is too long for our records.")
    return cleaned


def _clean_email(email: str) -> str:
    cleaned = (email or "").strip()
    if not cleaned:
        return ""
    try:
        validate_email(cleaned)
    except ValidationError:
        raise ApplicationError(f"'{cleaned}' doesn't look like an email address.") from None
    return cleaned


def _has_vehicle_data(vehicle: dict[str, Any] | None) -> bool:
    return bool(vehicle) and any(str(v).strip() for v in vehicle.values() if v is not None)


def _existing_vehicle(customer: Customer, vehicle: dict[str, Any]) -> Vehicle | None:
    """The vehicle on file that `vehicle` describes again: same VIN, or with no VIN given, same
    year, make and model."""
    vin = str(vehicle.get("vin") or "").strip()
    if vin:
        return customer.vehicles.filter(vin=validate_vin(vin).vin).first()
    year = _clean_year(vehicle.get("year"))
    return customer.vehicles.filter(
        year=year,
        make__iexact=str(vehicle.get("make") or "").strip(),
        model__iexact=str(vehicle.get("model") or "").strip(),
    ).first()


def _vehicle_kwargs(vehicle: dict[str, Any]) -> dict[str, Any]:
    allowed = {"year", "make", "model", "vin", "trim", "plate", "plate_state", "mileage", "nickname"}
    return {k: v for k, v in vehicle.items() if k in allowed and v is not None}


def _vehicle_for(customer: Customer, vehicle: dict[str, Any] | None) -> Vehicle | None:
    if vehicle is None or not _has_vehicle_data(vehicle):
        return None
    existing = _existing_vehicle(customer, vehicle)
    if existing is not None:
        return existing
    return vehicle_add(customer=customer, **_vehicle_kwargs(vehicle))


def _new_customer_fields(
    name: str, phone: str, email: str, vehicle: dict[str, Any] | None, region: str
) -> tuple[str, str, str]:
    """The cleaned name, E.164 phone and email of a customer about to be created, with the phone
    locked until commit. ApplicationError with a sentence a caller can hear when one is unusable."""
    clean_name = _clean_name(name)
    e164 = normalize_phone(phone, region=region)
    clean_email = _clean_email(email)
    if vehicle is not None and not isinstance(vehicle, dict):
        raise ApplicationError("Give the vehicle as its year, make, model and VIN.")
    _lock_phone(e164)
    return clean_name, e164, clean_email


def _lock_phone(e164: str) -> None:
    """Serialise creations for one number until commit, so a tool call the model repeats at once
    cannot slip a duplicate past the "same phone and name" check."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"crm.customer:{e164}"])
    elif connection.vendor == "sqlite":
        # SQLite has one writer: a write that changes nothing takes the database's write lock now
        # rather than at the INSERT, after the duplicate check.
        Customer.objects.filter(pk__lt=0).update(notes="")


@transaction.atomic
def customer_create(
    *,
    name: str,
    phone: str,
    email: str = "",
    vehicle: dict[str, Any] | None = None,
    region: str = "US",
) -> tuple[Customer, Vehicle | None]:
    """Create a customer (and optionally their vehicle) from what a caller said.

    The phone is stored as E.164 (read in `region` when it has no country code). Calling again with
    the same phone and name (any case) returns the existing customer rather than a duplicate, adding
    the vehicle only when it is not already on file. Raises ApplicationError with a readable
    sentence for a missing name, bad phone, email, year or VIN; nothing is saved in that case.
    """
    clean_name, e164, clean_email = _new_customer_fields(name, phone, email, vehicle, region)

    customer = (
        Customer.objects.filter(phone=e164, name__iexact=clean_name).order_by("created_at", "pk").first()
    )
    if customer is None:
        customer = Customer.objects.create(name=clean_name, phone=e164, email=clean_email)
        logger.info("customer %s created for %s", customer.pk, mask_phone(e164))
    elif clean_email and not customer.email:
        customer.email = clean_email
        customer.save(update_fields=["email", "updated_at"])

    return customer, _vehicle_for(customer, vehicle)


@dataclass(frozen=True)
class CallRegistration:
    customer: Customer
    vehicle: Vehicle | None
    created: bool


@transaction.atomic
def customer_create_on_call(
    *,
    name: str,
    phone: str,
    caller_phone: str,
    trusted_ids: Collection[int],
    email: str = "",
    vehicle: dict[str, Any] | None = None,
    region: str = "US",
) -> CallRegistration:
    """create_customer as a phone caller may use it: they act only for the customers on the number
    they call from (`caller_phone`, "" when withheld) and those they verified (`trusted_ids`).

    - An existing customer's details are never edited, whoever calls (the email is not written).
    - A number that is not the calling one and already has customers needs one of them verified:
      otherwise VerificationRequired (for the customer caller ID picks on that number) and nothing
      is written; the refusal names nobody.
    - The same name on a number the caller may act for is that customer: returned as is, with the
      vehicle added when it is not on file yet (the caller adding their own car).
    - A different name on a number that already has customers (a spouse on the family phone) is
      created as a second person: flagged for review and `secondary_on_phone`, so caller ID keeps
      greeting the customers who were there first.
    - A new customer on a number other than the calling one is flagged for review.
    Raises ApplicationError for a missing name, bad phone, email, year or VIN; nothing is saved.
    """
    clean_name, e164, clean_email = _new_customer_fields(name, phone, email, vehicle, region)

    on_number = list(Customer.objects.filter(Q(phone=e164) | Q(alt_phone=e164)).order_by("created_at", "pk"))
    own_number = bool(caller_phone) and e164 == caller_phone
    if on_number and not own_number and not any(c.pk in trusted_ids for c in on_number):
        holder = customer_find_by_phone(phone=e164) or on_number[0]
        raise VerificationRequired(
            "That number already has an account; the caller must verify it first.", customer_id=holder.pk
        )
    same = next((c for c in on_number if c.name.casefold() == clean_name.casefold()), None)
    if same is not None:
        # Verifying one person on a shared number is not verifying the others: naming another
        # one must not open their record.
        if not own_number and same.pk not in trusted_ids:
            raise VerificationRequired(
                "That customer must be verified before the caller acts for them.", customer_id=same.pk
            )
        return CallRegistration(same, _vehicle_for(same, vehicle), created=False)

    if on_number:
        note = f"Added on a call as another person on the number of {on_number[0].name}; check who this is."
    elif not own_number:
        calling = f"…{caller_phone[-4:]}" if caller_phone else "a withheld number"
        note = f"Created on a call from {calling}, not from this customer's own number; check the number."
    else:
        note = ""
    customer = Customer.objects.create(
        name=clean_name, phone=e164, email=clean_email, review_note=note, secondary_on_phone=bool(on_number)
    )
    logger.info(
        "customer %s created on a call for %s (review: %s)", customer.pk, mask_phone(e164), bool(note)
    )
    return CallRegistration(customer, _vehicle_for(customer, vehicle), created=True)


def _parse_dob(raw: date | str | None) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApplicationError("Please give the date of birth as year, month and day.") from None


def _zip5(raw: str) -> str:
    return re.sub(r"\D", "", raw or "")[:5]


def customer_verify(
    *, customer_id: int, date_of_birth: date | str | None = None, zip_code: str | None = None
) -> bool:
    """Whether the caller knows the customer's date of birth and/or ZIP code (first 5 digits).

    Every factor given must match, and a factor we have no record of never matches. Raises
    ApplicationError when no factor is given, NotFound for an unknown customer.
    """
    dob = _parse_dob(date_of_birth)
    zip5 = _zip5(zip_code) if zip_code is not None and zip_code.strip() else None
    if dob is None and zip5 is None:
        raise ApplicationError("I need a date of birth or a ZIP code to verify the customer.")
    customer = Customer.objects.filter(pk=customer_id).only("date_of_birth", "zip_code").first()
    if customer is None:
        raise NotFound(f"I couldn't find a customer with ID {customer_id}.")
    if dob is not None and (customer.date_of_birth is None or customer.date_of_birth != dob):
        return False
    if zip5 is not None:
        on_file = _zip5(customer.zip_code)
        if len(on_file) < 5 or on_file != zip5:
            return False
    return True


Channel = Literal["sms", "calls"]
_OPT_OUT_FIELDS: dict[str, str] = {"sms": "sms_opted_out_at", "calls": "calls_opted_out_at"}


def _opt_out_field(channel: str) -> str:
    try:
        return _OPT_OUT_FIELDS[channel]
    except KeyError:
        raise ApplicationError(f"Unknown contact channel '{channel}'; use 'sms' or 'calls'.") from None


def customer_opt_out(*, customer: Customer, channel: Channel, at: datetime) -> Customer:
    """Stop contacting `customer` on `channel` from `at`. Applies at once in the database; an
    earlier opt-out time already on file is kept, as it is the evidence of when they asked."""
    field = _opt_out_field(channel)
    Customer.objects.filter(pk=customer.pk, **{f"{field}__isnull": True}).update(
        **{field: at, "updated_at": timezone.now()}
    )
    customer.refresh_from_db(fields=[field, "updated_at"])
    logger.info("customer %s opted out of %s", customer.pk, channel)
    return customer


def customer_opt_in(*, customer: Customer, channel: Channel, at: datetime | None = None) -> Customer:
    """Allow contacting `customer` on `channel` again (e.g. after an SMS START at `at`)."""
    field = _opt_out_field(channel)
    # `at` (when they asked) lives in the caller's consent log; the row only records the state.
    Customer.objects.filter(pk=customer.pk).update(**{field: None, "updated_at": timezone.now()})
    customer.refresh_from_db(fields=[field, "updated_at"])
    logger.info("customer %s opted back in to %s", customer.pk, channel)
    return customer


def customer_set_preferred_language(*, customer_id: int, language: str) -> None:
    """Learn the language a customer speaks (heard on a call), so the next call and reminder use it."""
    Customer.objects.filter(pk=customer_id).exclude(preferred_language=language).update(
        preferred_language=language, updated_at=timezone.now()
    )
