"""The call channel's rule, tool by tool: a caller acts only for the customers on the number they call
from, and for anyone else only after verifying a date of birth or ZIP; before that no result names
the other customer's data and nothing is written. The HTTP tools API is a trusted client (tested in
test_tools_api.py)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm.models import Customer, Vehicle
from crm.selectors import customer_find_by_phone
from scheduling.models import Appointment
from voice.tools.context import (
    APPOINTMENT_PRIVACY_REFUSAL,
    PRIVACY_REFUSAL,
    ToolContext,
    tool_context_for_call,
)
from voice.tools.registry import TOOLS, execute_tool

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)  # Sunday noon
MONDAY_9 = "2026-11-23T09:00:00-06:00"
TUESDAY_10 = "2026-11-24T10:00:00-06:00"
STRANGER = "+13125550999"
# Anything of Dana's that an impostor must not hear before verifying.
DANA_SECRETS = ("Dana", "Whitfield", "Honda", "Civic", "60614", "dana@example.com", "0147")


@pytest.fixture(autouse=True)
def sunday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


def own_number(customer: Customer) -> ToolContext:
    return tool_context_for_call(call_id=None, caller_phone=customer.phone)


def stranger() -> ToolContext:
    return tool_context_for_call(call_id=None, caller_phone=STRANGER)


def verified_stranger(customer: Customer) -> ToolContext:
    context = stranger()
    result = execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=context
    )
    assert result == {"success": True, "verified": True}
    return context


def state(customer: Customer) -> dict[str, Any]:
    """Everything a refused tool must leave as it was."""
    customer.refresh_from_db()
    return {
        "customers": list(Customer.objects.order_by("pk").values_list("pk", "name", "phone", "email")),
        "vehicles": Vehicle.objects.count(),
        "appointments": list(Appointment.objects.order_by("pk").values_list("pk", "start", "status")),
        "dana": (customer.email, customer.calls_opted_out_at, customer.review_note),
    }


@dataclass(frozen=True)
class Case:
    tool: str
    arguments: Callable[[Customer, Appointment], dict[str, Any]]
    succeeded: Callable[[dict[str, Any]], bool] = lambda result: result["success"] is True


# Every tool that reads or changes a customer, with arguments aimed at Dana (the customer fixture).
ACTING_FOR_DANA = [
    Case(
        "get_customer_by_phone",
        lambda c, a: {"phone": "(312) 555-0147"},
        lambda r: r["success"] and r["name"] == "Dana Whitfield" and r["vehicles"],
    ),
    Case("get_service_history", lambda c, a: {"customer_id": c.pk}),
    Case(
        "schedule_appointment",
        lambda c, a: {"customer_phone": c.phone, "datetime": TUESDAY_10, "service_type": "tire_rotation"},
    ),
    Case(
        "schedule_appointment",
        lambda c, a: {"customer_id": c.pk, "datetime": TUESDAY_10, "service_type": "tire_rotation"},
    ),
    Case("reschedule_appointment", lambda c, a: {"appointment_id": a.pk, "datetime": TUESDAY_10}),
    Case("cancel_appointment", lambda c, a: {"appointment_id": a.pk, "reason": "car sold"}),
    Case("confirm_appointment", lambda c, a: {"appointment_id": a.pk}),
    Case(
        "get_vehicle_status",
        lambda c, a: {"appointment_id": a.pk},
        lambda r: r["success"] and len(r["appointments"]) == 1,
    ),
    Case(
        "get_vehicle_status",
        lambda c, a: {"customer_phone": "(312) 555-0147"},
        lambda r: r["success"] and len(r["appointments"]) == 1,
    ),
    Case(
        "create_customer",
        lambda c, a: {"name": "Dana Whitfield", "phone": c.phone, "email": "new@example.com"},
        lambda r: r["success"] and r["customer_id"] is not None,
    ),
    Case(
        "create_customer",
        lambda c, a: {
            "name": "Dana Whitfield",
            "phone": c.phone,
            "vehicle": {"year": 2021, "make": "Subaru", "model": "Forester"},
        },
    ),
    Case("create_customer", lambda c, a: {"name": "Eve Mallory", "phone": c.phone}),
]
IDS = [f"{case.tool}-{index}" for index, case in enumerate(ACTING_FOR_DANA)]


def test_every_tool_that_touches_a_customer_is_covered():
    covered = {case.tool for case in ACTING_FOR_DANA}
    no_customer = {"list_services", "check_availability", "transfer_to_human", "end_call"}
    call_itself = {"report_safety_concern"}  # marks the call it is used on, nothing of a customer's
    verification = {"verify_customer"}
    own_only = {"record_opt_out"}  # acts on the caller-ID match only; see test_tools_reminder_calls
    assert set(TOOLS) == covered | no_customer | verification | own_only | call_itself


@pytest.mark.parametrize("case", ACTING_FOR_DANA, ids=IDS)
def test_a_stranger_cannot_act_for_or_learn_about_another_customer(shop, catalog, customer, booked, case):
    before = state(customer)

    result = execute_tool(case.tool, case.arguments(customer, booked), context=stranger())

    if case.tool == "get_customer_by_phone":
        # Only that an account exists, so the agent can ask for verification.
        assert result["found"] is True and result["verification_required"] is True
        assert result["name"] is None and result["vehicles"] == [] and result["upcoming_appointments"] == []
    else:
        assert result["success"] is False and result["verification_required"] is True
        if "appointment_id" in case.arguments(customer, booked):
            # An appointment number must not tell a stranger whose account it is.
            assert result["error"] == APPOINTMENT_PRIVACY_REFUSAL and result["customer_id"] is None
        else:
            assert result["error"] == PRIVACY_REFUSAL
    said = json.dumps(result)
    assert not [secret for secret in DANA_SECRETS if secret in said], said
    assert state(customer) == before


@pytest.mark.parametrize("case", ACTING_FOR_DANA, ids=IDS)
def test_the_customer_calling_from_their_own_number_may(shop, catalog, customer, booked, case):
    result = execute_tool(case.tool, case.arguments(customer, booked), context=own_number(customer))

    assert case.succeeded(result), result


@pytest.mark.parametrize("case", ACTING_FOR_DANA, ids=IDS)
def test_a_caller_who_verified_may(shop, catalog, customer, booked, case):
    result = execute_tool(case.tool, case.arguments(customer, booked), context=verified_stranger(customer))

    assert case.succeeded(result), result


@pytest.mark.parametrize(
    "tool", ["list_services", "check_availability", "transfer_to_human", "end_call", "report_safety_concern"]
)
@pytest.mark.parametrize("who", ["own", "stranger", "withheld"])
def test_tools_about_no_customer_work_for_any_caller(
    open_around_the_clock, catalog, customer, settings, tool, who
):
    settings.TRANSFER_PHONE_NUMBER = "+13125550100"
    context = {
        "own": own_number(customer),
        "stranger": stranger(),
        "withheld": tool_context_for_call(call_id=None, caller_phone=""),
    }[who]
    arguments = {
        "check_availability": {"service_type": "oil_change"},
        "transfer_to_human": {"reason": "x"},
        "report_safety_concern": {"symptom": "smoke from under the hood"},
    }

    result = execute_tool(tool, arguments.get(tool, {}), context=context)

    assert result["success"] is True, result


class TestCreateCustomerOnACall:
    def test_it_never_edits_an_existing_customer_even_their_own(self, shop, customer):
        result = execute_tool(
            "create_customer",
            {"name": "dana whitfield", "phone": customer.phone, "email": "other@example.com"},
            context=own_number(customer),
        )

        assert result == {"success": True, "customer_id": customer.pk, "vehicle_id": None}
        customer.refresh_from_db()
        assert customer.email == "dana@example.com" and customer.name == "Dana Whitfield"

    def test_a_second_person_on_the_family_phone_is_flagged_and_never_takes_the_caller_id(
        self, shop, catalog, customer, booked
    ):
        context = own_number(customer)

        created = execute_tool(
            "create_customer", {"name": "Chris Whitfield", "phone": customer.phone}, context=context
        )
        later = execute_tool(
            "schedule_appointment",
            {"customer_id": created["customer_id"], "datetime": TUESDAY_10, "service_type": "oil_change"},
            context=context,
        )

        assert created["success"] and later["success"], (created, later)
        spouse = Customer.objects.get(pk=created["customer_id"])
        assert spouse.secondary_on_phone is True
        assert "Dana Whitfield" in spouse.review_note
        # The spouse now has the latest appointment, yet Dana calling in is still greeted as Dana.
        assert customer_find_by_phone(phone=customer.phone) == customer
        assert own_number(customer).caller_customer_id == customer.pk

    def test_an_impostor_cannot_add_a_person_to_another_number(self, shop, customer):
        result = execute_tool(
            "create_customer", {"name": "Eve Mallory", "phone": customer.phone}, context=stranger()
        )

        assert result["error"] == PRIVACY_REFUSAL
        assert list(Customer.objects.filter(phone=customer.phone)) == [customer]
        assert customer_find_by_phone(phone=customer.phone) == customer

    def test_after_verifying_a_caller_may_add_a_person_to_that_number_flagged(self, shop, customer):
        result = execute_tool(
            "create_customer",
            {"name": "Chris Whitfield", "phone": customer.phone},
            context=verified_stranger(customer),
        )

        spouse = Customer.objects.get(pk=result["customer_id"])
        assert spouse.secondary_on_phone and spouse.review_note
        assert customer_find_by_phone(phone=customer.phone) == customer

    def test_a_new_customer_on_a_number_that_is_not_calling_is_flagged(self, shop):
        result = execute_tool(
            "create_customer", {"name": "Pat Lee", "phone": "(312) 555-0177"}, context=stranger()
        )

        created = Customer.objects.get(pk=result["customer_id"])
        assert created.phone == "+13125550177" and not created.secondary_on_phone
        assert "…0999" in created.review_note

    def test_a_new_caller_creating_themselves_is_not_flagged(self, shop):
        result = execute_tool(
            "create_customer",
            {
                "name": "Pat Lee",
                "phone": STRANGER,
                "vehicle": {"year": 2018, "make": "Ford", "model": "F-150"},
            },
            context=stranger(),
        )

        created = Customer.objects.get(pk=result["customer_id"])
        assert created.review_note == "" and not created.secondary_on_phone
        assert result["vehicle_id"] == created.vehicles.get().pk
        # ...and they may go on to book for the record they just made.
        assert execute_tool("get_service_history", {"customer_id": created.pk}, context=stranger())["success"]


def test_a_household_member_on_the_calling_number_is_the_callers_to_act_for(shop, catalog, customer):
    spouse = Customer.objects.create(name="Chris Whitfield", phone="+13125550188", alt_phone=customer.phone)
    context = own_number(customer)

    result = execute_tool(
        "schedule_appointment",
        {"customer_id": spouse.pk, "datetime": MONDAY_9, "service_type": "oil_change"},
        context=context,
    )

    assert result["success"] is True, result


def test_one_call_cannot_sweep_many_accounts_by_guessing(shop, customer):
    others = [
        Customer.objects.create(name=f"Other {n}", phone=f"+1312555020{n}", zip_code="60601")
        for n in range(3)
    ]
    context = stranger()
    for other in others[:2]:
        for zip_code in ("10001", "10002"):
            execute_tool("verify_customer", {"customer_id": other.pk, "zip_code": zip_code}, context=context)
    execute_tool("verify_customer", {"customer_id": others[2].pk, "zip_code": "10003"}, context=context)

    right = execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=context
    )

    assert right["success"] is False
    assert not context.may_see(customer.pk)


def test_verifying_one_person_on_a_shared_number_does_not_open_the_others(shop, customer):
    """Naming another person on a number whose first customer the caller verified must not return
    (and so trust) that other person."""
    sam = Customer.objects.create(name="Sam Whitfield", phone=customer.phone, zip_code="60601")
    context = verified_stranger(customer)

    result = execute_tool(
        "create_customer",
        {
            "name": "sam whitfield",
            "phone": customer.phone,
            "vehicle": {"year": 2020, "make": "Kia", "model": "Soul"},
        },
        context=context,
    )

    assert result["error"] == PRIVACY_REFUSAL and result["customer_id"] == sam.pk
    assert not sam.vehicles.exists()
    assert not execute_tool("get_service_history", {"customer_id": sam.pk}, context=context)["success"]


def test_guessing_one_customer_across_many_calls_locks_that_number_out_of_that_account(shop, customer):
    """Each call stops after a few misses; new calls must not get fresh tries at the same account.
    (Who else stays able to verify: test_tools_verification_locks.py.)"""
    for _ in range(4):  # four calls, three wrong ZIP codes each: ten misses in all would be reached
        context = stranger()
        for guess in ("60601", "60602", "60603"):
            execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": guess}, context=context)

    right_answer = execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=stranger()
    )

    assert right_answer["success"] is False and right_answer["locked"] == "caller_and_customer"
    # Another customer's account is not locked by these misses.
    other = Customer.objects.create(name="Sam Lee", phone="+13125550123", zip_code="60601")
    other_check = execute_tool(
        "verify_customer", {"customer_id": other.pk, "zip_code": "60601"}, context=stranger()
    )
    assert other_check == {"success": True, "verified": True}


def test_guesses_on_browser_test_calls_do_not_lock_a_real_customers_account(shop, customer):
    """A tester trying wrong ZIP codes on test calls must not lock the real customer out for a day."""
    for _ in range(4):
        context = tool_context_for_call(call_id=None, caller_phone=STRANGER, is_test=True)
        for guess in ("60601", "60602", "60603"):
            execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": guess}, context=context)

    real_call = execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=stranger()
    )

    assert real_call == {"success": True, "verified": True}


def test_the_http_tools_api_is_not_locked_by_failed_checks_on_calls(shop, customer):
    for _ in range(4):
        context = stranger()
        for guess in ("60601", "60602", "60603"):
            execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": guess}, context=context)

    result = execute_tool(
        "verify_customer",
        {"customer_id": customer.pk, "zip_code": "60614"},
        context=ToolContext(channel="web"),
    )

    assert result == {"success": True, "verified": True}


def test_the_calling_number_opens_whoever_has_it_as_main_or_alternate_number_and_a_withheld_one_nobody(
    shop, customer
):
    """One rule (voice.tools.handlers._is_calling_number) for looking someone up, reading their
    history and booking: the call's number matches a customer's main or alternate number; a withheld
    number (empty caller ID) never matches a customer without an alternate number."""
    spouse = Customer.objects.create(name="Chris Whitfield", phone="+13125550188", alt_phone=customer.phone)
    on_the_line = own_number(customer)
    withheld = tool_context_for_call(call_id=None, caller_phone="")

    looked_up = execute_tool("get_customer_by_phone", {"phone": spouse.phone}, context=on_the_line)
    history = execute_tool("get_service_history", {"customer_id": spouse.pk}, context=own_number(customer))
    hidden = execute_tool("get_customer_by_phone", {"phone": customer.phone}, context=withheld)

    assert looked_up["name"] == "Chris Whitfield" and "verification_required" not in looked_up
    assert history["success"] is True
    assert hidden["name"] is None and hidden["verification_required"] is True
    assert not withheld.may_see(customer.pk)
