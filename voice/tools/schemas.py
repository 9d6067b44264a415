"""Argument models of the agent's tools (DESIGN §5). Each model validates what an LLM or an HTTP client
sent and also produces the JSON Schema the LLM is given, so the two can never disagree.

Lenient on purpose, because LLMs are sloppy: unknown arguments are ignored, null or blank optional
values count as absent, `time_of_day` ignores case, a datetime without a UTC offset is read later as
shop-local time, and a full timestamp given as `preferred_date` keeps only its date. Extension beyond
the contract: `waiter` (true = the customer waits at the shop, false = drop-off) on check_availability
and schedule_appointment.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime as DateTime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DATE_ONLY_RE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_DATE_PREFIX_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[T ]")
YEARS = (1900, 2200)
_ANY_TIME = {"any", "anytime", "any time", "all day", "whenever", "none"}

DATETIME_HELP = (
    "ISO-8601 with the shop's UTC offset, e.g. 2026-11-23T09:00:00-06:00; copy `start` from a slot "
    "returned by check_availability. Without an offset it is read as the shop's local time."
)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(value: Any) -> Any:
    # PostgreSQL refuses NUL characters in text; nobody means them.
    return value.replace("\x00", "") if isinstance(value, str) else value


class ToolArgs(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_blank(cls, data: Any) -> Any:
        # LLMs send null or "" for arguments they mean to leave out.
        if isinstance(data, dict):
            return {k: _clean(v) for k, v in data.items() if not _blank(_clean(v))}
        return data


def _reject_date_only(value: Any) -> Any:
    if isinstance(value, str) and _DATE_ONLY_RE.match(value):
        raise ValueError("needs a time as well as a date, e.g. 2026-11-23T09:00:00-06:00")
    return value


def _plausible_year(value: date | None) -> date | None:
    # Years like 0001 or 9999 overflow time-zone arithmetic; no caller means them.
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"should be in the years {YEARS[0]} to {YEARS[1]}")
    return value


class VehicleArgs(ToolArgs):
    year: int | None = Field(None, ge=1900, le=2100, description="Model year, e.g. 2019.")
    make: str = Field("", max_length=50, description="Manufacturer, e.g. Honda.")
    model: str = Field("", max_length=50, description="Model, e.g. Civic.")
    vin: str = Field("", max_length=20, description="17-character VIN, only if the caller reads it out.")


class GetCustomerByPhoneArgs(ToolArgs):
    phone: str = Field(
        ..., min_length=1, max_length=40, description="The customer's phone number in any format."
    )


class CreateCustomerArgs(ToolArgs):
    name: str = Field(..., min_length=1, max_length=200, description="Full name as the customer gave it.")
    phone: str = Field(..., min_length=1, max_length=40, description="Phone number, E.164 preferred.")
    email: str = Field("", max_length=254, description="Email address, only if the customer offered it.")
    vehicle: VehicleArgs | None = Field(None, description="The customer's vehicle, if known.")


class VerifyCustomerArgs(ToolArgs):
    customer_id: int = Field(..., gt=0, description="customer_id from get_customer_by_phone.")
    date_of_birth: date | None = Field(None, description="Date of birth the caller gives, YYYY-MM-DD.")

    _plausible = field_validator("date_of_birth")(_plausible_year)
    zip_code: str | None = Field(None, max_length=10, description="ZIP code the caller gives, e.g. 60614.")

    @model_validator(mode="after")
    def _one_factor(self) -> VerifyCustomerArgs:
        if self.date_of_birth is None and not self.zip_code:
            raise ValueError("give date_of_birth or zip_code (or both) to verify the customer")
        return self


class GetServiceHistoryArgs(ToolArgs):
    customer_id: int = Field(..., gt=0, description="customer_id from get_customer_by_phone.")
    vehicle_id: int | None = Field(None, gt=0, description="Only this vehicle's history (optional).")


class ListServicesArgs(ToolArgs):
    pass


class CheckAvailabilityArgs(ToolArgs):
    service_type: str = Field(
        ..., min_length=1, max_length=80, description="Service code from list_services, e.g. oil_change."
    )
    preferred_date: date | None = Field(
        None, description="Shop-local date the caller would like, YYYY-MM-DD. Omit for the earliest openings."
    )
    time_of_day: Literal["morning", "afternoon", "evening"] | None = Field(
        None, description="Part of the day the caller prefers (morning = before noon, afternoon = 12-5pm)."
    )
    waiter: bool = Field(
        False, description="True if the customer will wait at the shop; false (default) for a drop-off."
    )

    @field_validator("preferred_date", mode="before")
    @classmethod
    def _date_part(cls, value: Any) -> Any:
        if isinstance(value, str) and (match := _DATE_PREFIX_RE.match(value)):
            return match.group(1)
        return value

    _plausible = field_validator("preferred_date")(_plausible_year)

    @field_validator("time_of_day", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return None if value in _ANY_TIME else value
        return value


class ScheduleAppointmentArgs(ToolArgs):
    customer_id: int | None = Field(None, gt=0, description="customer_id of the customer (preferred).")
    customer_phone: str | None = Field(
        None, max_length=40, description="The customer's phone number, when customer_id is unknown."
    )
    datetime: DateTime = Field(..., description="Appointment start. " + DATETIME_HELP)
    service_type: str = Field(
        ..., min_length=1, max_length=80, description="Service code from list_services, e.g. oil_change."
    )
    vehicle_id: int | None = Field(None, gt=0, description="vehicle_id of the car being serviced.")
    notes: str = Field(
        "", max_length=2000, description="The caller's own words about the problem, for the service advisor."
    )
    waiter: bool = Field(
        False, description="True if the customer will wait at the shop; false (default) for a drop-off."
    )

    _no_date_only = field_validator("datetime", mode="before")(_reject_date_only)
    _plausible = field_validator("datetime")(_plausible_year)

    @model_validator(mode="after")
    def _who(self) -> ScheduleAppointmentArgs:
        if self.customer_id is None and not self.customer_phone:
            raise ValueError("give customer_id or customer_phone to say who the appointment is for")
        return self


class RescheduleAppointmentArgs(ToolArgs):
    appointment_id: int = Field(..., gt=0, description="appointment_id of the booking to move.")
    datetime: DateTime = Field(..., description="New start. " + DATETIME_HELP)

    _no_date_only = field_validator("datetime", mode="before")(_reject_date_only)
    _plausible = field_validator("datetime")(_plausible_year)


class CancelAppointmentArgs(ToolArgs):
    appointment_id: int = Field(..., gt=0, description="appointment_id of the booking to cancel.")
    reason: str = Field("", max_length=200, description="Why, in the caller's words (optional).")


class GetVehicleStatusArgs(ToolArgs):
    appointment_id: int | None = Field(None, gt=0, description="appointment_id of the car being asked about.")
    customer_phone: str | None = Field(
        None,
        max_length=40,
        description="The customer's phone number, to list their cars in the shop (the caller's own number "
        "when they ask about their car).",
    )

    @model_validator(mode="after")
    def _which(self) -> GetVehicleStatusArgs:
        if self.appointment_id is None and not self.customer_phone:
            raise ValueError("give appointment_id or customer_phone to say whose car it is")
        return self


class TransferToHumanArgs(ToolArgs):
    reason: str = Field(
        "", max_length=200, description="Short note for the person taking the call, e.g. 'billing question'."
    )
    urgent: bool = Field(
        False,
        description="True when the caller's matter cannot wait (an unsafe car, a customer stranded); "
        "a message left for an advisor is then called back first.",
    )


class ReportSafetyConcernArgs(ToolArgs):
    symptom: str = Field(
        max_length=200,
        description="What the caller describes, in their words, e.g. 'brake pedal goes to the floor'.",
    )


class EndCallArgs(ToolArgs):
    pass


class ConfirmAppointmentArgs(ToolArgs):
    appointment_id: int = Field(description="The appointment the customer says they will keep.")


class RecordOptOutArgs(ToolArgs):
    what_they_said: str = Field("", max_length=300, description="The customer's words, for the record.")


def llm_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema made plain for LLM function calling: nested models inlined (no $ref),
    `X | None` shown as X (such arguments are simply optional), no titles or null defaults."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def simplify(node: Any) -> Any:
        if isinstance(node, list):
            return [simplify(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        options = node.get("anyOf")
        if options and len(options) == 2 and {"type": "null"} in options:
            other = next(o for o in options if o != {"type": "null"})
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **simplify(other)}
        cleaned = {k: simplify(v) for k, v in node.items() if k != "title"}
        if cleaned.get("default", ...) is None:
            del cleaned["default"]
        return cleaned

    parameters = simplify(schema)
    parameters.setdefault("properties", {})
    parameters.setdefault("required", [])
    return parameters
