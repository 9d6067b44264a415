"""Bringing a shop's records in from its management system's CSV export: one row per customer, vehicle or
visit (a customer with two cars and five visits is five rows). The column names of the common shop systems
are mapped onto ours; each row is checked like everything else in crm (phones to E.164 in the shop's
region, VINs by crm.vin) and saved so that importing the same file again changes nothing:

- a customer is the one with the row's phone (main number) and name; another name on a number already
  on file is added as a second person on it, so caller ID keeps greeting the customers who were there;
- a vehicle is the customer's one with the row's VIN, or with no VIN the same year, make and model;
  a VIN on file for another customer is refused (the row says whose it is);
- a visit is the vehicle's service record of the same date and description.

`shop_row_clean` reads one row (ApplicationError per column), `shop_row_save` writes the vehicle and visit
of a saved customer; import_resource.py drives both through django-import-export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.models import Customer, ServiceRecord, Vehicle
from crm.phones import normalize_phone
from crm.services import _clean_email, _clean_mileage, _clean_name, _clean_year
from crm.vin import validate_vin
from dealership.core.errors import ApplicationError
from scheduling.models import ServiceType

# Our column -> header names shop systems use (compared lower-case, letters and digits only).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "customer", "customername", "fullname", "customerfullname", "displayname"),
    "first_name": ("firstname", "first", "givenname", "customerfirstname"),
    "last_name": ("lastname", "last", "surname", "familyname", "customerlastname"),
    "phone": (
        "phone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "cell",
        "cellphone",
        "primaryphone",
        "homephone",
        "telephone",
        "customerphone",
        "contactphone",
        "phone1",
    ),
    "email": ("email", "emailaddress", "customeremail", "email1"),
    "address_line": ("address", "addressline", "address1", "addressline1", "street", "streetaddress"),
    "city": ("city", "town"),
    "state": ("state", "province", "region", "st"),
    "zip_code": ("zip", "zipcode", "postalcode", "postcode", "zippostalcode"),
    "vin": ("vin", "vinnumber", "vehicleidentificationnumber", "vehiclevin"),
    "year": ("year", "vehicleyear", "modelyear", "yr"),
    "make": ("make", "vehiclemake", "manufacturer"),
    "model": ("model", "vehiclemodel"),
    "plate": ("plate", "licenseplate", "license", "licenceplate", "tag", "platenumber", "licenseplatenumber"),
    "plate_state": ("platestate", "licensestate", "tagstate"),
    "mileage": ("mileage", "odometer", "currentmileage", "miles", "odometerreading"),
    "service_date": (
        "servicedate",
        "date",
        "visitdate",
        "rodate",
        "invoicedate",
        "repairorderdate",
        "dateclosed",
        "lastservicedate",
        "posteddate",
    ),
    "service": (
        "service",
        "servicedescription",
        "description",
        "work",
        "workperformed",
        "jobs",
        "job",
        "servicetype",
        "concern",
        "lastservice",
    ),
    "cost": ("cost", "total", "amount", "invoicetotal", "rototal", "price", "grandtotal", "totalamount"),
    "service_mileage": ("mileagein", "servicemileage", "odometerin", "milesin", "rodometer"),
    "notes": ("notes", "note", "comments", "techcomments", "recommendations"),
}
_HEADER_LOOKUP = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%d.%m.%Y", "%Y/%m/%d")


def column_for_header(header: str) -> str | None:
    """Our column for a shop system's header ("Cell Phone" -> "phone"), None when unknown."""
    key = re.sub(r"[^a-z0-9]", "", (header or "").lower())
    return _HEADER_LOOKUP.get(key)


def headers_map(headers: list[str]) -> list[str]:
    """The file's headers renamed to our columns (unknown ones kept as they are, then ignored); the first
    header mapped to a column wins. ApplicationError when there is no phone or no name column."""
    mapped, seen = [], set()
    for header in headers:
        column = column_for_header(header)
        if column is None or column in seen:
            mapped.append(header or "")
        else:
            seen.add(column)
            mapped.append(column)
    if "phone" not in seen:
        raise ApplicationError("The file has no phone column (e.g. “Phone”, “Mobile”, “Cell Phone”).")
    if "name" not in seen and not {"first_name", "last_name"} & seen:
        raise ApplicationError("The file has no name column (e.g. “Name” or “First Name” and “Last Name”).")
    return mapped


@dataclass
class ShopRow:
    """One cleaned row: the customer's fields, and the vehicle's and the visit's when the row has them."""

    customer: dict[str, Any]
    vehicle: dict[str, Any] = field(default_factory=dict)
    visit: dict[str, Any] = field(default_factory=dict)


class RowErrors(ApplicationError):
    """Every unusable column of a row: `errors` maps our column name to a sentence."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _text(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def _parse_date(raw: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ApplicationError(f"'{raw}' isn't a date I understand (use YYYY-MM-DD or MM/DD/YYYY).")


def _parse_cost(raw: str) -> Decimal:
    try:
        cost = Decimal(raw.replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        raise ApplicationError(f"'{raw}' isn't an amount I understand.") from None
    if cost < 0 or cost >= Decimal("10000000") or cost != cost.quantize(Decimal("0.01")):
        raise ApplicationError(f"'{raw}' isn't a usable amount (0 to 9,999,999.99).")
    return cost


def _limited(row: dict[str, Any], column: str, model: type, field_name: str) -> str:
    value = _text(row, column)
    limit = model._meta.get_field(field_name).max_length
    if len(value) > limit:
        raise ApplicationError(f"'{value[:30]}…' is longer than {limit} characters.")
    return value


def _clean(errors: dict[str, str], column: str, work: Any) -> Any:
    try:
        return work()
    except ApplicationError as error:
        errors[column] = error.message
        return None


def shop_row_clean(row: dict[str, Any], *, region: str) -> ShopRow:
    """One row of a shop export (columns already mapped) checked and normalised. Raises RowErrors naming
    every unusable column; a row with neither a vehicle nor a visit is a customer alone."""
    errors: dict[str, str] = {}
    name = _text(row, "name") or " ".join(p for p in (_text(row, "first_name"), _text(row, "last_name")) if p)
    customer = {
        "name": _clean(errors, "name", lambda: _clean_name(name)),
        "phone": _clean(errors, "phone", lambda: normalize_phone(_text(row, "phone"), region=region)),
        "email": _clean(errors, "email", lambda: _clean_email(_text(row, "email"))),
    }
    for column in ("address_line", "city", "state", "zip_code"):
        customer[column] = _clean(errors, column, lambda c=column: _limited(row, c, Customer, c))
    vehicle: dict[str, Any] = {}
    if any(_text(row, c) for c in ("vin", "year", "make", "model", "plate")):
        vin = _text(row, "vin")
        check = _clean(errors, "vin", lambda: validate_vin(vin)) if vin else None
        vehicle = {
            "vin": check.vin if check else "",
            "vin_flagged": bool(check and not check.check_digit_ok),
            "year": _clean(errors, "year", lambda: _clean_year(_text(row, "year"))),
            "mileage": _clean(errors, "mileage", lambda: _clean_mileage(_text(row, "mileage"))),
        }
        for column in ("make", "model", "plate", "plate_state"):
            vehicle[column] = _clean(errors, column, lambda c=column: _limited(row, c, Vehicle, c)) or ""
        vehicle["plate"], vehicle["plate_state"] = vehicle["plate"].upper(), vehicle["plate_state"].upper()
    visit: dict[str, Any] = {}
    if _text(row, "service_date") or _text(row, "service"):
        if not vehicle:
            errors["service"] = "A visit needs its vehicle (VIN, or year, make and model) on the same row."
        raw_date = _text(row, "service_date")
        if not raw_date:
            errors["service_date"] = "A visit needs its date."
        raw_cost, raw_miles = _text(row, "cost"), _text(row, "service_mileage")
        visit = {
            "date": _clean(errors, "service_date", lambda: _parse_date(raw_date)) if raw_date else None,
            "description": _clean(
                errors, "service", lambda: _limited(row, "service", ServiceRecord, "description")
            ),
            "cost": _clean(errors, "cost", lambda: _parse_cost(raw_cost)) if raw_cost else None,
            "mileage": _clean(errors, "service_mileage", lambda: _clean_mileage(raw_miles)),
            "notes": _text(row, "notes"),
        }
    if errors:
        raise RowErrors(errors)
    return ShopRow(customer=customer, vehicle=vehicle, visit=visit)


def shop_customer_match(clean: ShopRow) -> Customer | None:
    """The customer on file this row describes: same main phone and name (any case)."""
    return (
        Customer.objects.filter(phone=clean.customer["phone"], name__iexact=clean.customer["name"])
        .order_by("created_at", "pk")
        .first()
    )


def shop_customer_prepare(customer: Customer, clean: ShopRow) -> None:
    """Before a new customer is saved: a number already on file makes them a second person on it."""
    if customer.pk is not None:
        return
    holder = Customer.objects.filter(phone=clean.customer["phone"]).order_by("created_at", "pk").first()
    if holder is not None:
        customer.secondary_on_phone = True
        customer.review_note = f"Imported on the number of {holder.name}; check who this is."[:300]


def _vehicle_match(customer: Customer, vehicle: dict[str, Any]) -> Vehicle | None:
    if vehicle["vin"]:
        found = Vehicle.objects.filter(vin=vehicle["vin"]).select_related("customer").first()
        if found is not None and found.customer_id != customer.pk:
            raise RowErrors(
                {
                    "vin": f"VIN {vehicle['vin']} is on file for {found.customer.name}: fix the row "
                    "or move the vehicle first."
                }
            )
        return found
    if customer.pk is None:
        return None
    return customer.vehicles.filter(
        vin="", year=vehicle["year"], make__iexact=vehicle["make"], model__iexact=vehicle["model"]
    ).first()


def _visit_match(vehicle: Vehicle, visit: dict[str, Any]) -> ServiceRecord | None:
    if vehicle.pk is None:
        return None
    return vehicle.service_records.filter(
        date=visit["date"], description__iexact=visit["description"]
    ).first()


def _changed(instance: Any, values: dict[str, Any]) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


def _kept(values: dict[str, Any]) -> dict[str, Any]:
    """What a row sets on a record already on file: blank cells leave what is there."""
    return {name: value for name, value in values.items() if value not in ("", None)}


def _vehicle_changes(vehicle: Vehicle, values: dict[str, Any]) -> dict[str, Any]:
    """What the row changes on a vehicle on file. An odometer only goes up: the mileage of an older
    visit (rows of one car come in any order) never lowers the one on file."""
    kept = {name: value for name, value in _kept(values).items() if getattr(vehicle, name) != value}
    if "mileage" in kept and vehicle.mileage is not None and kept["mileage"] < vehicle.mileage:
        del kept["mileage"]
    return kept


def shop_row_pending(customer: Customer, clean: ShopRow) -> bool:
    """Whether saving the row would add or change its vehicle or visit (read only; RowErrors for a VIN
    on file for someone else)."""
    if not clean.vehicle:
        return False
    vehicle = _vehicle_match(customer, clean.vehicle)
    if vehicle is None or _vehicle_changes(vehicle, clean.vehicle):
        return True
    if not clean.visit:
        return False
    visit = _visit_match(vehicle, clean.visit)
    return visit is None or _changed(visit, _kept(clean.visit))


def _service_type(description: str) -> ServiceType | None:
    if not description:
        return None
    return (
        ServiceType.objects.filter(name__iexact=description).first()
        or ServiceType.objects.filter(code__iexact=description.replace(" ", "_")).first()
    )


def shop_row_save(customer: Customer, clean: ShopRow) -> tuple[Vehicle | None, ServiceRecord | None]:
    """Add or update the row's vehicle and visit for the saved `customer`. RowErrors for a VIN on file
    for another customer."""
    if not clean.vehicle:
        return None, None
    vehicle = _vehicle_match(customer, clean.vehicle)
    if vehicle is None:
        vehicle = Vehicle.objects.create(customer=customer, **clean.vehicle)
    elif changes := _vehicle_changes(vehicle, clean.vehicle):
        for name, value in changes.items():
            setattr(vehicle, name, value)
        vehicle.save()
    if not clean.visit:
        return vehicle, None
    visit = _visit_match(vehicle, clean.visit)
    if visit is None:
        visit = ServiceRecord.objects.create(
            vehicle=vehicle, service_type=_service_type(clean.visit["description"]), **clean.visit
        )
    elif _changed(visit, _kept(clean.visit)):
        for name, value in _kept(clean.visit).items():
            setattr(visit, name, value)
        visit.save()
    return vehicle, visit


def describe_vehicle(vehicle: Vehicle | None) -> str:
    if vehicle is None:
        return ""
    tail = f" · VIN …{vehicle.vin[-6:]}" if vehicle.vin else ""
    return f"{vehicle}{tail}"


def describe_visit(visit: ServiceRecord | None) -> str:
    if visit is None:
        return ""
    cost = f" · ${visit.cost:,.2f}" if visit.cost is not None else ""
    return f"{visit.date:%b %-d, %Y} {visit.description}{cost}"
