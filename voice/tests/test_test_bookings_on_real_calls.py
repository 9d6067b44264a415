"""A browser test call may be placed as a real customer and book for them (a test booking). When that
customer really calls, the receptionist must not know of it: not in what it is told about the caller,
nor in get_customer_by_phone. On a test call the test booking is there, so a tester can go on with it."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

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
