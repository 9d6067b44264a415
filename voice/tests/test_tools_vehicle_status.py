"""get_vehicle_status: "is my car ready?" for the caller's own cars, for another number's only after
verification, and over the HTTP tools API in the contract's shape (DESIGN §5)."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from scheduling.models import Appointment, WorkStatus
from voice.tools.context import APPOINTMENT_PRIVACY_REFUSAL, PRIVACY_REFUSAL, tool_context_for_call
from voice.tools.registry import execute_tool

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=CHICAGO)
PROMISED = datetime(2026, 11, 23, 16, 30, tzinfo=CHICAGO)
NOTE = "The brake pads arrive at two; it will be done by four thirty."
KEY = "tools-test-key-0123456789-abcdefghij"
STRANGER = "+13125550999"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MONDAY_NOON.replace(day=22), tick=False) as traveller:  # Sunday: book
        yield traveller


@pytest.fixture
def in_the_shop(booked: Appointment, clock) -> Appointment:
    clock.move_to(MONDAY_NOON)
    Appointment.objects.filter(pk=booked.pk).update(
        status=Appointment.Status.ARRIVED,
        work_status=WorkStatus.WAITING_PARTS,
        promised_at=PROMISED,
        customer_note=NOTE,
    )
    return booked


def ask(arguments, caller: str) -> dict:
    return execute_tool(
        "get_vehicle_status", arguments, context=tool_context_for_call(call_id=None, caller_phone=caller)
    )


EXPECTED = {
    "service_type": "oil_change",
    "status": "waiting_parts",
    "promised_at": "2026-11-23T16:30:00-06:00",
    "note": NOTE,
    "status_text": "waiting for parts",
    "start": "2026-11-23T09:00:00-06:00",
    "promised_spoken": "Monday, November 23 at 4:30 PM",
}


def test_the_caller_hears_where_their_own_car_is(customer, in_the_shop):
    result = ask({"customer_phone": "(312) 555-0147"}, customer.phone)

    assert result == {"success": True, "appointments": [{"appointment_id": in_the_shop.pk, **EXPECTED}]}


def test_by_appointment_id_too(customer, in_the_shop):
    result = ask({"appointment_id": in_the_shop.pk}, customer.phone)

    assert result["appointments"] == [{"appointment_id": in_the_shop.pk, **EXPECTED}]


@pytest.mark.parametrize("by", ["phone", "appointment"])
def test_another_number_hears_nothing_until_it_verifies(customer, in_the_shop, by):
    arguments = {"customer_phone": customer.phone} if by == "phone" else {"appointment_id": in_the_shop.pk}
    context = tool_context_for_call(call_id=None, caller_phone=STRANGER)

    refused = execute_tool("get_vehicle_status", arguments, context=context)
    verified = execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=context
    )
    answered = execute_tool("get_vehicle_status", arguments, context=context)

    # By appointment number the refusal names no account: the caller says the phone it is under.
    assert refused == {
        "success": False,
        "error": PRIVACY_REFUSAL if by == "phone" else APPOINTMENT_PRIVACY_REFUSAL,
        "verification_required": True,
        "customer_id": customer.pk if by == "phone" else None,
    }
    assert verified["verified"] is True
    assert answered["appointments"][0]["note"] == NOTE


def test_before_the_car_arrives_it_says_it_is_booked_and_never_lists_cancelled_ones(
    customer, booked, make_appointment
):
    make_appointment(customer, MONDAY_NOON.replace(hour=15), status=Appointment.Status.CANCELLED)

    [row] = ask({"customer_phone": customer.phone}, customer.phone)["appointments"]

    assert (row["appointment_id"], row["status"], row["status_text"]) == (
        booked.pk,
        "scheduled",
        "booked, not in the shop yet",
    )
    assert row["promised_at"] is None and row["note"] == ""


def test_it_needs_an_appointment_or_a_phone(customer):
    result = ask({}, customer.phone)

    assert result["success"] is False and "appointment_id or customer_phone" in result["error"]


@override_settings(TOOLS_API_KEY=KEY)
def test_the_http_tools_api_answers_in_the_contracts_shape(client, in_the_shop):
    response = client.post(
        "/tools/get-vehicle-status/",
        data=json.dumps({"appointment_id": in_the_shop.pk}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {KEY}",
    )
    missing = client.post(
        "/tools/get-vehicle-status/",
        data=json.dumps({"appointment_id": 999999}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {KEY}",
    )

    assert response.status_code == 200
    [row] = response.json()["appointments"]
    assert {"appointment_id", "service_type", "status", "promised_at", "note"} <= set(row)
    assert row["status"] == "waiting_parts" and row["promised_at"] == "2026-11-23T16:30:00-06:00"
    assert missing.status_code == 400
    assert missing.json() == {"success": False, "error": "I can't find appointment number 999999."}
