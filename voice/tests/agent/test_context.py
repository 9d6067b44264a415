from datetime import datetime

import pytest

from scheduling.selectors import availability_find
from scheduling.services import appointment_book
from voice.agent.context import agent_setup_for_call, caller_context_load
from voice.engines.base import CallContext


def call_from(number: str, *, direction: str = "inbound", customer_id=None, **parameters) -> CallContext:
    return CallContext(
        call_sid="CA" + "8" * 32,
        stream_sid="MZ" + "8" * 32,
        call_id=None,  # type: ignore[arg-type]
        direction=direction,
        from_number=number if direction == "inbound" else "+13125550100",
        to_number="+13125550100" if direction == "inbound" else number,
        customer_id=customer_id,
        engine="cascade",
        custom_parameters=parameters,
    )


@pytest.fixture
def booked(shop, catalog, customer):
    start = datetime.fromisoformat(
        availability_find(service_code="oil_change", limit=1).as_dicts()[0]["start"]
    )
    return appointment_book(customer=customer, service_code="oil_change", start=start, channel="staff")


def test_it_knows_a_caller_by_number_with_vehicles_and_upcoming_appointments(customer, booked):
    caller = caller_context_load(phone=customer.phone)

    vehicle = customer.vehicles.get()
    assert (caller.customer_id, caller.name, caller.phone) == (customer.pk, "Dana Whitfield", customer.phone)
    assert caller.vehicles == [f"2019 Honda Civic (vehicle_id {vehicle.pk})"]
    [upcoming] = caller.upcoming
    assert upcoming.startswith(f"appointment_id {booked.pk}: oil change on ")
    assert upcoming.endswith("(scheduled)")


def test_an_unknown_or_withheld_number_is_just_a_number(shop):
    assert caller_context_load(phone="+13125550123").customer_id is None
    assert caller_context_load(phone="+13125550123").phone == "+13125550123"
    assert caller_context_load(phone="anonymous").phone == ""


def test_the_setup_greets_a_known_caller_and_briefs_the_model(settings, customer, booked):
    settings.TRANSFER_PHONE_NUMBER = ""

    setup = agent_setup_for_call(call=call_from(customer.phone))

    assert setup.greeting.startswith("Hi Dana, thanks for calling Lakeside Auto Service.")
    assert "may be recorded" in setup.greeting
    assert f"customer_id {customer.pk}" in setup.instructions
    assert f"appointment_id {booked.pk}" in setup.instructions
    assert f"calling from {customer.phone}" in setup.instructions
    assert "oil_change (oil change)" in setup.instructions
    assert "takes a message" in setup.instructions
    assert not setup.transfer_available
    assert setup.tool_context.caller_customer_id == customer.pk
    assert setup.tool_context.is_call


def test_the_setup_offers_transfers_when_a_number_is_configured(settings, shop, catalog):
    settings.TRANSFER_PHONE_NUMBER = "+13125550199"

    setup = agent_setup_for_call(call=call_from("+13125550123"))

    assert setup.transfer_available and setup.transfer_number == "+13125550199"
    assert setup.greeting.startswith("Thanks for calling Lakeside Auto Service.")
    assert "transfer_to_human connects them to a service advisor" in setup.instructions


def test_an_outbound_call_opens_as_ours_and_passes_its_purpose(customer, shop, catalog):
    call = call_from(customer.phone, direction="outbound", purpose="Remind them of Monday's oil change.")

    setup = agent_setup_for_call(call=call)

    assert setup.greeting.startswith("Hi Dana, this is the automated assistant at Lakeside Auto Service")
    assert "may be recorded" in setup.greeting
    assert "Remind them of Monday's oil change." in setup.instructions
