"""The shop the tool fuzz tests run against: two customers with vehicles and upcoming appointments, a
call in progress, and per argument name the realistic values (real ids, catalog codes, open times) that
make generated arguments reach past "not found" into booking, moving and cancelling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st

from crm.models import Customer, Vehicle
from scheduling.models import Appointment, ServiceType
from tests.strategies import from_json_schema
from voice.models import Call
from voice.tools.context import ToolContext, tool_context_for_call
from voice.tools.registry import Tool

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO)  # a Monday morning


@dataclass
class World:
    customer: Customer
    other: Customer
    vehicle_ids: list[int]
    appointment_ids: list[int]
    codes: list[str]
    call: Call

    def call_context(self) -> ToolContext:
        """A fresh call's context, as a live call starts one: the caller is `customer`."""
        return tool_context_for_call(call_id=self.call.pk, caller_phone=self.customer.phone)

    def realistic(self) -> dict[str, st.SearchStrategy[Any]]:
        phones = [self.customer.phone, "(312) 555-0147", self.other.phone, "312.555.0122", "+13125550111"]
        slot = st.tuples(st.integers(-2, 70), st.integers(12, 40), st.booleans()).map(self._start)
        return {
            "phone": st.sampled_from(phones),
            "customer_phone": st.sampled_from(phones),
            "customer_id": st.sampled_from([self.customer.pk, self.customer.pk, self.other.pk]),
            "vehicle_id": st.sampled_from(self.vehicle_ids),
            "appointment_id": st.sampled_from(self.appointment_ids),
            "service_type": st.sampled_from([*self.codes, "OIL_CHANGE", "oil change"]),
            "datetime": slot,
            "preferred_date": st.integers(-3, 70).map(lambda d: (NOW.date() + timedelta(days=d)).isoformat()),
            "date_of_birth": st.sampled_from(["1984-05-17", "1990-01-01"]),
            "zip_code": st.sampled_from(["60614", "60601", "00000"]),
            "name": st.sampled_from(["Dana Whitfield", "Lee Park"]),
            "email": st.sampled_from(["dana@example.com", "not-an-email"]),
        }

    def typical(self, tool: Tool) -> dict[str, Any]:
        """Arguments a model would send to `tool` that the tool accepts (for the caller, `customer`)."""
        tomorrow_9 = (NOW + timedelta(days=1)).replace(hour=9)
        values = {
            "phone": self.customer.phone,
            "customer_phone": self.customer.phone,
            "customer_id": self.customer.pk,
            "vehicle_id": self.vehicle_ids[0],
            "appointment_id": self.appointment_ids[0],
            "service_type": "oil_change",
            "datetime": tomorrow_9.isoformat(),
            "preferred_date": tomorrow_9.date().isoformat(),
            "time_of_day": "morning",
            "waiter": False,
            "date_of_birth": "1984-05-17",
            "zip_code": "60614",
            "name": "Sam Rivera",
            "email": "sam@example.com",
            "vehicle": {"year": 2018, "make": "Toyota", "model": "Camry", "vin": ""},
            "notes": "squeaky brakes",
            "reason": "billing question",
            "what_they_said": "stop calling me",
            "urgent": False,
            "symptom": "the brake pedal goes to the floor",
        }
        return {name: values[name] for name in tool.parameters["properties"]}

    @staticmethod
    def _start(parts: tuple[int, int, bool]) -> str:
        days, half_hours, with_offset = parts
        moment = datetime.combine(NOW.date() + timedelta(days=days), datetime.min.time(), tzinfo=CHICAGO)
        moment += timedelta(minutes=30 * half_hours)
        return moment.isoformat() if with_offset else moment.replace(tzinfo=None).isoformat()


def valid_arguments(tool: Tool, world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments that satisfy the tool's own JSON Schema: as generated from it, with some arguments
    realistic, or with every argument that has a realistic value realistic (which is what gets past
    "not found" into booking, moving and cancelling)."""
    properties = tool.parameters["properties"]
    realistic = {name: s for name, s in world.realistic().items() if name in properties}
    overrides = st.one_of(
        st.just({}),
        st.fixed_dictionaries({}, optional=realistic),
        st.fixed_dictionaries(realistic),
    )
    return st.tuples(from_json_schema(tool.parameters), overrides).map(lambda pair: {**pair[0], **pair[1]})


@pytest.fixture
def world(shop, catalog: dict[str, ServiceType], customer: Customer, make_appointment) -> World:
    customer.date_of_birth = date(1984, 5, 17)
    customer.save(update_fields=["date_of_birth"])
    other = Customer.objects.create(name="Lee Park", phone="+13125550122", zip_code="60601")
    Vehicle.objects.create(customer=other, year=2020, make="Kia", model="Soul")
    appointments = [
        make_appointment(customer, NOW + timedelta(days=1, hours=2)),
        make_appointment(other, NOW + timedelta(days=2, hours=3), code="tire_rotation"),
        make_appointment(customer, NOW - timedelta(days=3), status=Appointment.Status.COMPLETED),
    ]
    call = Call.objects.create(
        call_sid="CA" + "f" * 32,
        direction=Call.Direction.INBOUND,
        from_number=customer.phone,
        to_number=shop.phone_number,
        engine="cascade",
    )
    return World(
        customer=customer,
        other=other,
        vehicle_ids=list(Vehicle.objects.values_list("pk", flat=True)),
        appointment_ids=[a.pk for a in appointments],
        codes=list(catalog),
        call=call,
    )
