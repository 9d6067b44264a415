"""The call-only tools a reminder call uses: confirm the appointment, record an opt-out."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.models import ConsentEvent
from scheduling.models import Appointment
from scheduling.services import appointment_book
from voice.tools.context import ToolContext
from voice.tools.registry import execute_tool

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(shop, catalog, customer) -> Appointment:
    start = datetime.combine(NOW.date() + timedelta(days=1), time(9), tzinfo=CHICAGO)
    return appointment_book(customer=customer, service_code="oil_change", start=start, channel="staff")


def on_the_call(customer) -> ToolContext:
    return ToolContext(channel="ai_phone", caller_phone=customer.phone, caller_customer_id=customer.pk)


def test_it_confirms_the_callers_appointment(customer, booked):
    result = execute_tool("confirm_appointment", {"appointment_id": booked.pk}, context=on_the_call(customer))
    assert result == {
        "success": True,
        "appointment_id": booked.pk,
        "confirmation": "Monday, November 23 at 9 AM is confirmed.",
    }
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CONFIRMED


def test_it_will_not_confirm_someone_elses_appointment(customer, booked):
    stranger = ToolContext(channel="ai_phone", caller_phone="+13125550999")
    result = execute_tool("confirm_appointment", {"appointment_id": booked.pk}, context=stranger)
    assert result["success"] is False and result["verification_required"] is True
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.SCHEDULED


def test_it_records_an_opt_out_with_the_callers_words(customer):
    result = execute_tool(
        "record_opt_out", {"what_they_said": "take me off your list"}, context=on_the_call(customer)
    )
    assert result["success"] is True
    customer.refresh_from_db()
    assert customer.calls_opted_out_at is not None
    assert ConsentEvent.objects.get(customer=customer).detail == "take me off your list"


def test_they_are_not_offered_over_http(shop, customer):
    web = ToolContext(channel="web")
    assert execute_tool("record_opt_out", {}, context=web)["success"] is False
