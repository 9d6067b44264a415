"""Callers failing identity checks through the receptionist's verify_customer tool (the handler path a
real call takes), for the tests of the cross-call locks, their alerts and lifting a pause."""

from __future__ import annotations

from crm.models import Customer
from crm.verification_attempts import MAX_FAILED_PER_CALLER_AND_CUSTOMER, MAX_FAILED_PER_CUSTOMER
from voice.tools.context import MAX_FAILED_VERIFICATIONS, ToolContext, tool_context_for_call
from voice.tools.registry import execute_tool

WRONG_ZIPS = [f"606{n:02d}" for n in range(1, 99) if f"606{n:02d}" != "60614"]
# Numbers that each guess one customer a few times, never their own per-number limit.
GUESSING_NUMBERS = [f"+13125550{n:03d}" for n in range(300, 320)]


def call_from(phone: str, *, is_test: bool = False) -> ToolContext:
    return tool_context_for_call(call_id=None, caller_phone=phone, is_test=is_test)


def miss(customer: Customer, *, phone: str, times: int, is_test: bool = False) -> None:
    """`times` wrong ZIP codes for `customer` from `phone`, over as many calls as the per-call limit
    needs (each call stops after MAX_FAILED_VERIFICATIONS misses for one customer)."""
    context = call_from(phone, is_test=is_test)
    for n in range(times):
        if n and n % MAX_FAILED_VERIFICATIONS == 0:
            context = call_from(phone, is_test=is_test)
        result = execute_tool(
            "verify_customer", {"customer_id": customer.pk, "zip_code": WRONG_ZIPS[n]}, context=context
        )
        assert result["verified"] is False  # a miss, or refused once a limit is reached


def pause(customer: Customer, *, is_test: bool = False, numbers: list[str] = GUESSING_NUMBERS) -> list[str]:
    """MAX_FAILED_PER_CUSTOMER misses for `customer`, spread over `numbers` that each stay under their
    own limit: verification of `customer` is paused. Returns the numbers used."""
    per_number = MAX_FAILED_PER_CALLER_AND_CUSTOMER - 1
    used: list[str] = []
    misses = 0
    for number in numbers:
        times = min(per_number, MAX_FAILED_PER_CUSTOMER - misses)
        if times <= 0:
            break
        miss(customer, phone=number, times=times, is_test=is_test)
        misses += times
        used.append(number)
    return used


def right_answer(customer: Customer, *, phone: str) -> dict:
    return execute_tool(
        "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=call_from(phone)
    )
