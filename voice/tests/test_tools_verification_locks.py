"""Guessing a customer's ZIP code or date of birth over many calls is stopped, and nobody can use that
to lock a real customer out: misses count per calling number and customer, per calling number, and
(much higher) per customer; a caller on the customer's own number is never locked; every hidden
caller ID shares one small bucket; the counters failing stops verification (fail closed)."""

import pytest
from django.core.cache import caches

from crm.models import Customer
from crm.verification_attempts import (
    MAX_FAILED_PER_CALLER,
    MAX_FAILED_PER_CALLER_AND_CUSTOMER,
    MAX_FAILED_PER_CUSTOMER,
    MAX_FAILED_WITHHELD_AND_CUSTOMER,
)
from voice.tools.context import MAX_FAILED_VERIFICATIONS, ToolContext, tool_context_for_call
from voice.tools.registry import execute_tool

ATTACKER = "+13125550999"
FRIENDS_PHONE = "+13125550188"  # the real customer, calling from someone else's phone
WRONG_ZIPS = [f"606{n:02d}" for n in range(1, 99) if f"606{n:02d}" != "60614"]


def call_from(phone: str, *, is_test: bool = False) -> ToolContext:
    return tool_context_for_call(call_id=None, caller_phone=phone, is_test=is_test)


def miss(customer: Customer, *, phone: str, times: int) -> None:
    """`times` wrong ZIP codes for `customer` from `phone`, over as many calls as the per-call limit
    needs (each call stops after MAX_FAILED_VERIFICATIONS misses for one customer)."""
    context = call_from(phone)
    for n in range(times):
        if n and n % MAX_FAILED_VERIFICATIONS == 0:
            context = call_from(phone)
        result = execute_tool(
            "verify_customer", {"customer_id": customer.pk, "zip_code": WRONG_ZIPS[n]}, context=context
        )
        assert result["verified"] is False  # a miss, or refused once a limit is reached


def right_answer(customer: Customer, *, phone: str) -> dict:
    return execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=call_from(phone)
    )


VERIFIED = {"success": True, "verified": True}


def test_a_stranger_failing_many_times_does_not_lock_the_real_customer_out(shop, customer):
    miss(customer, phone=ATTACKER, times=10)

    # The number that guessed is stopped for this customer, even with the right answer...
    blocked = right_answer(customer, phone=ATTACKER)
    assert blocked["success"] is False and blocked["verified"] is False
    assert blocked["locked"] == "caller_and_customer" and blocked["withheld"] is False
    assert "60614" not in str(blocked) and "Dana" not in blocked["error"]
    # ...but the real customer on a friend's phone verifies and may act for themselves,
    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED
    # and on their own number they are recognised and need no verification at all.
    own = call_from(customer.phone)
    looked_up = execute_tool("get_customer_by_phone", {"phone": customer.phone}, context=own)
    assert looked_up["name"] == "Dana Whitfield" and "verification_required" not in looked_up
    assert right_answer(customer, phone=customer.phone) == VERIFIED


def test_the_number_that_guessed_is_stopped_for_that_customer_at_the_limit(shop, customer):
    miss(customer, phone=ATTACKER, times=MAX_FAILED_PER_CALLER_AND_CUSTOMER - 1)
    assert right_answer(customer, phone=ATTACKER) == VERIFIED  # one miss short: still allowed

    miss(customer, phone=ATTACKER, times=1)

    assert right_answer(customer, phone=ATTACKER)["locked"] == "caller_and_customer"


def test_misses_on_the_customers_own_number_lock_nobody(shop, customer):
    for _ in range(MAX_FAILED_PER_CUSTOMER // MAX_FAILED_VERIFICATIONS + 1):
        context = call_from(customer.phone)
        for guess in WRONG_ZIPS[:MAX_FAILED_VERIFICATIONS]:
            execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": guess}, context=context)

    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED
    assert right_answer(customer, phone=customer.phone) == VERIFIED


def test_one_number_working_through_many_customers_runs_out_of_tries(shop, customer):
    others = [
        Customer.objects.create(name=f"Other {n}", phone=f"+1312555020{n}", zip_code="60614")
        for n in range(6)
    ]
    misses = 0
    for other in others:  # a few misses each: never the per-customer limit, always the same number
        times = min(3, MAX_FAILED_PER_CALLER - misses)
        miss(other, phone=ATTACKER, times=times)
        misses += times
    assert misses == MAX_FAILED_PER_CALLER

    # A customer this number never tried is closed to it now, right answer or not...
    blocked = right_answer(customer, phone=ATTACKER)
    assert blocked["success"] is False and blocked["locked"] == "caller"
    # ...and open to everyone else.
    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED


def test_many_numbers_guessing_one_customer_pause_verification_but_not_the_own_number(shop, customer):
    numbers = [f"+1312555030{n}" for n in range(10)]
    misses = 0
    for number in numbers:
        times = min(MAX_FAILED_PER_CALLER_AND_CUSTOMER - 1, MAX_FAILED_PER_CUSTOMER - misses)
        if times <= 0:
            break
        miss(customer, phone=number, times=times)
        misses += times

    paused = right_answer(customer, phone=FRIENDS_PHONE)
    assert paused["success"] is False and paused["locked"] == "customer"
    # The customer's own number needs no verification: it books and looks up as always.
    assert right_answer(customer, phone=customer.phone) == VERIFIED
    own = execute_tool("get_service_history", {"customer_id": customer.pk}, context=call_from(customer.phone))
    assert own["success"] is True


@pytest.mark.parametrize("first, then", [("", "+266696687"), ("anonymous", ""), ("+266696687", "anonymous")])
def test_every_hidden_caller_id_shares_one_small_bucket(shop, customer, first, then):
    miss(customer, phone=first, times=MAX_FAILED_WITHHELD_AND_CUSTOMER)

    blocked = right_answer(customer, phone=then)

    assert blocked["success"] is False
    assert blocked["locked"] == "caller_and_customer" and blocked["withheld"] is True
    # Hidden callers guessing lock out neither a real number nor the customer's own.
    assert right_answer(customer, phone=FRIENDS_PHONE) == VERIFIED
    assert right_answer(customer, phone=customer.phone) == VERIFIED


def test_guesses_on_test_calls_never_lock_a_real_account(shop, customer):
    for _ in range(MAX_FAILED_PER_CUSTOMER):
        context = call_from(ATTACKER, is_test=True)
        execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": "60601"}, context=context)

    assert right_answer(customer, phone=ATTACKER) == VERIFIED


def test_when_the_counters_are_down_verification_fails_closed_except_on_the_own_number(
    shop, customer, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert caches["default"].__class__.__name__ == "RedisCache"

    refused = right_answer(customer, phone=FRIENDS_PHONE)

    assert refused["success"] is False and refused["locked"] == "unavailable"
    assert right_answer(customer, phone=customer.phone) == VERIFIED


def test_the_http_tools_api_is_never_locked(shop, customer):
    miss(customer, phone=ATTACKER, times=MAX_FAILED_PER_CALLER_AND_CUSTOMER)

    result = execute_tool(
        "verify_customer",
        {"customer_id": customer.pk, "zip_code": "60614"},
        context=ToolContext(channel="web"),
    )

    assert result == VERIFIED
