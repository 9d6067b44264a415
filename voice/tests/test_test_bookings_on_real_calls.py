"""A browser test call may be placed as a real customer and book for them (a test booking). When that
customer really calls, the receptionist must not know of it: not in what it is told about the caller,
nor in get_customer_by_phone. On a test call the test booking is there, so a tester can go on with it."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from scheduling.models import Appointment
from scheduling.services import appointment_book
from voice.agent.context import caller_context_load
from voice.tools.context import tool_context_for_call
from voice.tools.registry import execute_tool

pytestmark = pytest.mark.django_db


def _next_week_at_ten() -> datetime:
    return (timezone.now() + timedelta(days=7)).replace(hour=15, minute=0, second=0, microsecond=0)


@pytest.mark.parametrize("is_test", [False, True], ids=["real call", "test call"])
def test_a_test_booking_is_known_only_on_test_calls(shop, catalog, customer, open_around_the_clock, is_test):
    booked = appointment_book(
        customer=customer,
        service_code="oil_change",
        start=_next_week_at_ten(),
        channel="ai_phone",
        is_test=True,
        override=True,
    )

    caller = caller_context_load(phone=customer.phone, **({"is_test": True} if is_test else {}))
    context = tool_context_for_call(call_id=None, caller_phone=customer.phone, is_test=is_test)
    found = execute_tool("get_customer_by_phone", {"phone": customer.phone}, context=context)

    ids = [a["appointment_id"] for a in found["upcoming_appointments"]]
    assert ids == ([booked.pk] if is_test else [])
    assert len(caller.upcoming) == (1 if is_test else 0)


def _changes(booking) -> list[tuple[str, dict]]:
    """The tools that change a booking, with arguments for `booking`."""
    later = (booking.start + timedelta(days=1)).isoformat()
    return [
        ("reschedule_appointment", {"appointment_id": booking.pk, "datetime": later}),
        ("cancel_appointment", {"appointment_id": booking.pk, "reason": "plans changed"}),
        ("confirm_appointment", {"appointment_id": booking.pk}),
    ]


def test_a_real_caller_can_neither_see_nor_change_a_test_booking_made_as_them(
    shop, catalog, customer, open_around_the_clock
):
    """Even knowing its number, the customer's own call treats a test booking as no booking at all."""
    booked = appointment_book(
        customer=customer,
        service_code="oil_change",
        start=_next_week_at_ten(),
        channel="ai_phone",
        is_test=True,
        override=True,
    )
    context = tool_context_for_call(call_id=None, caller_phone=customer.phone)

    for tool, arguments in [
        *_changes(booked),
        ("get_vehicle_status", {"appointment_id": booked.pk}),
    ]:
        result = execute_tool(tool, arguments, context=context)
        assert result == {"success": False, "error": f"I can't find appointment number {booked.pk}."}, tool
    by_phone = execute_tool("get_vehicle_status", {"customer_phone": customer.phone}, context=context)

    assert by_phone["appointments"] == []
    booked.refresh_from_db()
    assert (booked.status, booked.start) == (Appointment.Status.SCHEDULED, _next_week_at_ten())


def test_a_test_call_may_look_at_a_real_booking_but_not_change_it(
    shop, catalog, customer, open_around_the_clock
):
    real = appointment_book(
        customer=customer,
        service_code="oil_change",
        start=_next_week_at_ten(),
        channel="staff",
        override=True,
    )
    context = tool_context_for_call(call_id=None, caller_phone=customer.phone, is_test=True)

    looked = execute_tool("get_vehicle_status", {"appointment_id": real.pk}, context=context)
    refused = [execute_tool(tool, arguments, context=context) for tool, arguments in _changes(real)]

    assert looked["success"] and [a["appointment_id"] for a in looked["appointments"]] == [real.pk]
    for result in refused:
        assert not result["success"] and "real customer's booking" in result["error"]
    real.refresh_from_db()
    assert (real.status, real.start) == (Appointment.Status.SCHEDULED, _next_week_at_ten())


def test_a_test_call_changes_its_own_test_booking(shop, catalog, customer, open_around_the_clock):
    context = tool_context_for_call(call_id=None, caller_phone=customer.phone, is_test=True)
    booked = execute_tool(
        "schedule_appointment",
        {
            "customer_id": customer.pk,
            "service_type": "oil_change",
            "datetime": _next_week_at_ten().isoformat(),
        },
        context=context,
    )

    cancelled = execute_tool(
        "cancel_appointment",
        {"appointment_id": booked["appointment_id"], "reason": "testing"},
        context=context,
    )

    assert cancelled["success"]
    appointment = Appointment.objects.get(pk=booked["appointment_id"])
    assert appointment.is_test and appointment.status == Appointment.Status.CANCELLED
