import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from crm.models import Customer, ServiceRecord, Vehicle
from scheduling.models import Appointment, Closure
from voice.tools.context import (
    APPOINTMENT_PRIVACY_REFUSAL,
    PRIVACY_REFUSAL,
    ToolContext,
    tool_context_for_call,
)
from voice.tools.registry import (
    GENERIC_FAILURE,
    TOOLS,
    aexecute_tool,
    execute_tool,
    openai_tool_schemas,
    realtime_tool_schemas,
)

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)  # a Sunday; the shop is closed on Sundays
MONDAY_9 = "2026-11-23T09:00:00-06:00"
SLOT_KEYS = {"start", "date", "time", "duration_minutes", "spoken"}


@pytest.fixture(autouse=True)
def sunday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def web() -> ToolContext:
    return ToolContext(channel="web")


@pytest.fixture
def call() -> ToolContext:
    return ToolContext(channel="ai_phone", caller_phone="+13125550999")


def other_customer() -> Customer:
    return Customer.objects.create(name="Sam Ortiz", phone="+13125550188", zip_code="60601")


class TestCatalogAndLookups:
    def test_it_lists_active_services_with_prices_as_strings(self, shop, catalog, web, call):
        catalog["diagnostic"].bookable_by_ai = False
        catalog["diagnostic"].save()
        catalog["state_inspection"].active = False
        catalog["state_inspection"].save()

        result = execute_tool("list_services", {}, context=web)

        assert result["success"] is True
        oil = next(s for s in result["services"] if s["code"] == "oil_change")
        assert oil == {
            "code": "oil_change",
            "name": "oil change",
            "duration_minutes": 30,
            "price": "49.99",
            "price_is_from": False,
        }
        codes = {s["code"] for s in result["services"]}
        assert "state_inspection" not in codes
        assert "diagnostic" in codes
        phone_codes = {s["code"] for s in execute_tool("list_services", None, context=call)["services"]}
        assert phone_codes == codes - {"diagnostic"}

    def test_it_finds_a_customer_by_phone_in_any_format(self, shop, catalog, customer, booked, web):
        result = execute_tool("get_customer_by_phone", {"phone": "(312) 555-0147"}, context=web)

        vehicle = customer.vehicles.get()
        assert result == {
            "success": True,
            "found": True,
            "customer_id": customer.pk,
            "name": "Dana Whitfield",
            "vehicles": [{"vehicle_id": vehicle.pk, "year": 2019, "make": "Honda", "model": "Civic"}],
            "upcoming_appointments": [
                {
                    "appointment_id": booked.pk,
                    "start": MONDAY_9,
                    "service_type": "oil_change",
                    "status": "scheduled",
                }
            ],
        }

    def test_it_answers_found_false_for_an_unknown_number(self, shop, web):
        result = execute_tool("get_customer_by_phone", {"phone": "+13125550111"}, context=web)

        assert result["success"] is True
        assert result["found"] is False
        assert result["vehicles"] == [] and result["upcoming_appointments"] == []

    def test_it_says_when_a_phone_number_is_not_one(self, shop, web):
        result = execute_tool("get_customer_by_phone", {"phone": "call me maybe"}, context=web)

        assert result["success"] is False
        assert "phone number" in result["error"]

    def test_it_creates_a_customer_with_a_vehicle(self, shop, web):
        result = execute_tool(
            "create_customer",
            {"name": "Lee Park", "phone": "312 555 0123", "vehicle": {"year": "2021", "make": "Subaru"}},
            context=web,
        )

        assert set(result) == {"success", "customer_id", "vehicle_id"}
        customer = Customer.objects.get(pk=result["customer_id"])
        assert customer.phone == "+13125550123"
        assert Vehicle.objects.get(pk=result["vehicle_id"]).customer == customer

    def test_it_creates_a_customer_without_a_vehicle(self, shop, web):
        result = execute_tool("create_customer", {"name": "Lee Park", "phone": "+13125550123"}, context=web)

        assert result["success"] is True
        assert result["vehicle_id"] is None

    def test_it_returns_service_history_newest_first(self, shop, catalog, customer, web):
        vehicle = customer.vehicles.get()
        ServiceRecord.objects.create(vehicle=vehicle, date=date(2025, 3, 1), description="wipers")
        ServiceRecord.objects.create(
            vehicle=vehicle,
            date=date(2026, 5, 2),
            service_type=catalog["oil_change"],
            cost=Decimal("49.99"),
            mileage=41200,
            notes="synthetic",
        )

        result = execute_tool("get_service_history", {"customer_id": customer.pk}, context=web)

        assert result["success"] is True
        assert result["history"][0] == {
            "date": "2026-05-02",
            "service_type": "oil change",
            "cost": "49.99",
            "mileage": 41200,
            "notes": "synthetic",
        }
        assert result["history"][1]["date"] == "2025-03-01"


class TestAvailability:
    def test_it_offers_the_earliest_openings_first(self, shop, catalog, web):
        result = execute_tool("check_availability", {"service_type": "oil_change"}, context=web)

        assert result["success"] is True and result["available"] is True
        first = result["slots"][0]
        assert set(first) == SLOT_KEYS
        assert first["start"] == "2026-11-23T07:30:00-06:00"
        assert (first["date"], first["time"], first["duration_minutes"]) == ("2026-11-23", "07:30", 30)
        starts = [datetime.fromisoformat(s["start"]) for s in result["slots"]]
        assert starts == sorted(starts) and len(starts) >= 2

    def test_it_keeps_to_the_part_of_day_asked_for(self, shop, catalog, web):
        result = execute_tool(
            "check_availability",
            {"service_type": "tire rotation", "preferred_date": "2026-11-24", "time_of_day": "Afternoon"},
            context=web,
        )

        assert result["available"] is True
        assert all(s["date"] == "2026-11-24" and s["time"] >= "12:00" for s in result["slots"])

    def test_it_ignores_blank_optional_arguments(self, shop, catalog, web):
        result = execute_tool(
            "check_availability",
            {"service_type": " oil_change ", "preferred_date": "", "time_of_day": None, "waiter": "true"},
            context=web,
        )

        assert result["success"] is True
        assert result["slots"][0]["start"] == "2026-11-23T07:30:00-06:00"

    def test_it_refuses_a_closed_day_with_the_nearest_openings(self, shop, catalog, web):
        Closure.objects.create(date=date(2026, 11, 26), reason="Thanksgiving")

        result = execute_tool(
            "check_availability", {"service_type": "oil_change", "preferred_date": "2026-11-26"}, context=web
        )

        assert result["success"] is False
        assert result["error"] == "We're closed on Thursday, November 26 for Thanksgiving."
        assert result["available"] is False
        assert result["slots"] and set(result["slots"][0]) == SLOT_KEYS

    def test_it_refuses_a_past_date(self, shop, catalog, web):
        result = execute_tool(
            "check_availability", {"service_type": "oil_change", "preferred_date": "2026-11-20"}, context=web
        )

        assert result["success"] is False
        assert "already passed" in result["error"]

    def test_it_names_the_services_when_one_is_unknown(self, shop, catalog, web):
        result = execute_tool("check_availability", {"service_type": "teleportation"}, context=web)

        assert result["success"] is False
        assert "teleportation" in result["error"] and "oil_change" in result["error"]

    def test_it_explains_a_bad_time_of_day(self, shop, catalog, web):
        result = execute_tool(
            "check_availability", {"service_type": "oil_change", "time_of_day": "midnight"}, context=web
        )

        assert result == {
            "success": False,
            "error": "'time_of_day' must be one of 'morning', 'afternoon' or 'evening'.",
        }


class TestBooking:
    def test_it_books_from_a_json_string_with_a_naive_time_read_as_shop_local(self, shop, catalog, customer):
        context = ToolContext(channel="ai_phone", caller_phone=customer.phone, caller_customer_id=customer.pk)
        arguments = json.dumps(
            {
                "customer_id": customer.pk,
                "datetime": "2026-11-23T09:00",
                "service_type": "oil_change",
                "notes": "squeaks when cold",
                "unexpected": "ignored",
            }
        )

        result = execute_tool("schedule_appointment", arguments, context=context)

        assert set(result) == {"success", "appointment_id", "confirmation", "start"}
        assert result["start"] == MONDAY_9
        assert "Monday, November 23 at 9 AM" in result["confirmation"]
        appointment = Appointment.objects.get(pk=result["appointment_id"])
        assert appointment.start == datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("UTC"))
        assert (appointment.channel, appointment.notes) == ("ai_phone", "squeaks when cold")
        assert appointment.price_quoted == Decimal("49.99")

    def test_it_books_by_customer_phone(self, shop, catalog, customer, web):
        result = execute_tool(
            "schedule_appointment",
            {"customer_phone": "312-555-0147", "datetime": MONDAY_9, "service_type": "oil_change"},
            context=web,
        )

        assert result["success"] is True
        assert Appointment.objects.get(pk=result["appointment_id"]).customer == customer

    @pytest.mark.parametrize(
        "who", [{"customer_id": 987654}, {"customer_phone": "+13125550111"}], ids=["id", "phone"]
    )
    def test_it_refuses_an_unknown_customer(self, shop, catalog, web, who):
        result = execute_tool(
            "schedule_appointment", {**who, "datetime": MONDAY_9, "service_type": "oil_change"}, context=web
        )

        assert result["success"] is False
        assert "create the customer" in result["error"]
        assert not Appointment.objects.exists()

    def test_it_offers_alternatives_when_the_slot_was_taken(self, shop, catalog, customer, web):
        other = other_customer()
        for who in (customer, other):
            Appointment.objects.create(
                customer=who,
                service_type=catalog["oil_change"],
                start=datetime.fromisoformat(MONDAY_9),
                end=datetime.fromisoformat("2026-11-23T09:30:00-06:00"),
                local_date=date(2026, 11, 23),
                duration_minutes=30,
                price_quoted=Decimal("49.99"),
            )

        result = execute_tool(
            "schedule_appointment",
            {"customer_id": customer.pk, "datetime": MONDAY_9, "service_type": "oil_change"},
            context=web,
        )

        assert result["success"] is False
        assert result["error"] == "Sorry, Monday, November 23 at 9 AM was just taken."
        assert result["alternatives"] and MONDAY_9 not in {a["start"] for a in result["alternatives"]}

    def test_it_asks_for_a_time_when_only_a_date_is_given(self, shop, catalog, customer, web):
        result = execute_tool(
            "schedule_appointment",
            {"customer_id": customer.pk, "datetime": "2026-11-23", "service_type": "oil_change"},
            context=web,
        )

        assert result["success"] is False
        assert result["error"].startswith("'datetime' needs a time as well as a date")

    def test_it_names_every_missing_argument(self, shop, web):
        result = execute_tool("schedule_appointment", {"customer_id": "seven"}, context=web)

        assert result["success"] is False
        assert "'customer_id' must be a whole number." in result["error"]
        assert "The argument 'datetime' is required." in result["error"]
        assert "The argument 'service_type' is required." in result["error"]

    def test_it_reschedules_and_cancels(self, shop, catalog, customer, booked, web):
        moved = execute_tool(
            "reschedule_appointment",
            {"appointment_id": booked.pk, "datetime": "2026-11-24T10:30:00-06:00"},
            context=web,
        )

        assert set(moved) == {"success", "appointment_id", "confirmation", "start"}
        assert "Tuesday, November 24 at 10:30 AM" in moved["confirmation"]
        cancelled = execute_tool(
            "cancel_appointment", {"appointment_id": booked.pk, "reason": "sold it"}, context=web
        )
        assert cancelled["success"] is True
        booked.refresh_from_db()
        assert (booked.status, booked.cancel_reason) == ("cancelled", "sold it")
        again = execute_tool("cancel_appointment", {"appointment_id": booked.pk}, context=web)
        assert again == {"success": False, "error": f"Appointment {booked.pk} is already cancelled."}


class TestPrivacyOnCalls:
    def test_it_refuses_history_of_an_unverified_customer(self, shop, customer, call):
        result = execute_tool("get_service_history", {"customer_id": customer.pk}, context=call)

        assert result["success"] is False
        assert result["error"] == PRIVACY_REFUSAL

    def test_it_allows_history_after_verification_in_the_same_call(self, shop, customer, call):
        wrong = execute_tool(
            "verify_customer", {"customer_id": customer.pk, "zip_code": "10001"}, context=call
        )
        right = execute_tool(
            "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=call
        )

        assert wrong == {"success": True, "verified": False}
        assert right == {"success": True, "verified": True}
        assert execute_tool("get_service_history", {"customer_id": customer.pk}, context=call)["success"]
        fresh_call = ToolContext(channel="ai_phone", caller_phone="+13125550999")
        assert not execute_tool("get_service_history", {"customer_id": customer.pk}, context=fresh_call)[
            "success"
        ]

    def test_it_trusts_the_customer_matched_by_caller_id(self, shop, catalog, customer, booked):
        context = tool_context_for_call(call_id=None, caller_phone=customer.phone)

        assert context.caller_customer_id == customer.pk
        result = execute_tool("cancel_appointment", {"appointment_id": booked.pk}, context=context)
        assert result["success"] is True

    def test_it_will_not_move_or_cancel_someone_elses_appointment(self, shop, catalog, customer, booked):
        caller = other_customer()
        context = tool_context_for_call(call_id=None, caller_phone=caller.phone)

        moved = execute_tool(
            "reschedule_appointment",
            {"appointment_id": booked.pk, "datetime": "2026-11-24T10:00:00-06:00"},
            context=context,
        )
        cancelled = execute_tool("cancel_appointment", {"appointment_id": booked.pk}, context=context)

        # The refusal asks which phone the booking is under; it never names whose booking it is.
        assert (
            moved["error"] == APPOINTMENT_PRIVACY_REFUSAL
            and cancelled["error"] == APPOINTMENT_PRIVACY_REFUSAL
        )
        assert moved["customer_id"] is None and cancelled["customer_id"] is None
        booked.refresh_from_db()
        assert booked.status == "scheduled" and booked.start == datetime.fromisoformat(MONDAY_9)

    def test_it_trusts_a_lookup_of_the_number_that_is_calling(self, shop, customer):
        context = ToolContext(channel="ai_phone", caller_phone=customer.phone)

        found = execute_tool("get_customer_by_phone", {"phone": "312.555.0147"}, context=context)

        assert found["customer_id"] == customer.pk
        assert execute_tool("get_service_history", {"customer_id": customer.pk}, context=context)["success"]

    def test_it_hides_another_numbers_vehicles_and_appointments_until_verified(
        self, shop, customer, call, booked
    ):
        found = execute_tool("get_customer_by_phone", {"phone": customer.phone}, context=call)

        assert found["found"] is True and found["customer_id"] == customer.pk
        assert found["verification_required"] is True
        assert found["name"] is None and found["vehicles"] == [] and found["upcoming_appointments"] == []

        execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=call)
        again = execute_tool("get_customer_by_phone", {"phone": customer.phone}, context=call)
        assert "verification_required" not in again
        assert again["vehicles"] and again["upcoming_appointments"][0]["appointment_id"] == booked.pk

    def test_it_stops_verification_after_three_wrong_answers(self, shop, customer, call):
        for zip_code in ("10001", "10002", "10003"):
            execute_tool("verify_customer", {"customer_id": customer.pk, "zip_code": zip_code}, context=call)

        result = execute_tool(
            "verify_customer", {"customer_id": customer.pk, "zip_code": "60614"}, context=call
        )

        assert result["success"] is False
        assert customer.pk not in call.verified_customer_ids

    def test_it_needs_a_factor_to_verify(self, shop, customer, call):
        result = execute_tool("verify_customer", {"customer_id": customer.pk}, context=call)

        assert result == {
            "success": False,
            "error": "Give date_of_birth or zip_code (or both) to verify the customer.",
        }

    def test_it_does_not_restrict_the_http_channel(self, shop, customer, web):
        assert execute_tool("get_service_history", {"customer_id": customer.pk}, context=web)["success"]


class TestCallOnlyAndFailures:
    def test_it_ends_a_call(self, call):
        assert execute_tool("end_call", "", context=call)["action"] == "end_call"

    @override_settings(TRANSFER_PHONE_NUMBER="+13125550100")
    def test_it_transfers_when_a_number_is_set(self, call, open_around_the_clock):
        result = execute_tool("transfer_to_human", {"reason": "warranty question"}, context=call)

        assert (result["success"], result["action"], result["reason"]) == (
            True,
            "transfer",
            "warranty question",
        )

    @override_settings(TRANSFER_PHONE_NUMBER="")
    def test_it_suggests_a_message_when_nobody_can_take_a_transfer(self, call):
        result = execute_tool("transfer_to_human", {}, context=call)

        assert result["success"] is False and result["action"] == "take_message"

    def test_it_keeps_call_only_tools_off_the_http_channel(self, web):
        result = execute_tool("end_call", {}, context=web)

        assert result == {"success": False, "error": "end_call is only available during a phone call."}

    @pytest.mark.parametrize(
        ("arguments", "error"),
        [
            ('{"service_type": ', "The tool arguments weren't valid JSON."),
            ('["oil_change"]', "The tool arguments must be a JSON object."),
        ],
    )
    def test_it_explains_unusable_arguments(self, shop, web, arguments, error):
        assert execute_tool("check_availability", arguments, context=web) == {
            "success": False,
            "error": error,
        }

    def test_it_answers_an_unknown_tool(self, web):
        assert execute_tool("order_pizza", {}, context=web)["success"] is False

    @pytest.mark.django_db(transaction=True)
    def test_it_turns_a_crash_into_a_polite_failure(self, shop, catalog, customer, caplog):
        # A call id with no voice.Call row breaks the foreign key when the booking commits.
        context = ToolContext(channel="ai_phone", call_id=424242, caller_customer_id=customer.pk)

        result = execute_tool(
            "schedule_appointment",
            {"customer_id": customer.pk, "datetime": MONDAY_9, "service_type": "oil_change"},
            context=context,
        )

        assert result == {"success": False, "error": GENERIC_FAILURE}
        assert "tool schedule_appointment crashed" in caplog.text
        assert not Appointment.objects.exists()

    @pytest.mark.asyncio
    @pytest.mark.django_db(transaction=True)
    async def test_it_runs_from_async_code(self, shop, catalog):
        result = await aexecute_tool(
            "list_services", "{}", context=ToolContext(channel="ai_phone", caller_phone="")
        )

        assert result["success"] is True and len(result["services"]) == 6


class TestSchemaExport:
    def test_it_exports_every_tool_for_chat_completions(self):
        tools = openai_tool_schemas()

        assert [t["function"]["name"] for t in tools] == list(TOOLS)
        assert {t["type"] for t in tools} == {"function"}
        for tool in tools:
            parameters = tool["function"]["parameters"]
            assert tool["function"]["description"]
            assert parameters["type"] == "object"
            assert set(parameters["required"]) <= set(parameters["properties"])
            assert "$ref" not in json.dumps(parameters) and "$defs" not in parameters
            for name, prop in parameters["properties"].items():
                assert prop.get("description"), name
                assert prop.get("type") in {"string", "integer", "boolean", "object"}, name

    def test_it_marks_the_contract_arguments_required(self):
        parameters = {t["function"]["name"]: t["function"]["parameters"] for t in openai_tool_schemas()}

        assert parameters["check_availability"]["required"] == ["service_type"]
        assert parameters["check_availability"]["properties"]["time_of_day"]["enum"] == [
            "morning",
            "afternoon",
            "evening",
        ]
        assert set(parameters["schedule_appointment"]["required"]) == {"datetime", "service_type"}
        assert parameters["reschedule_appointment"]["properties"]["datetime"]["format"] == "date-time"
        assert parameters["create_customer"]["properties"]["vehicle"]["properties"]["vin"]["type"] == "string"
        assert parameters["end_call"] == {"type": "object", "properties": {}, "required": []}

    def test_it_exports_the_flat_realtime_shape_without_call_only_tools_on_request(self):
        tools = realtime_tool_schemas(include_call_only=False)

        names = {t["name"] for t in tools}
        assert names == {name for name, tool in TOOLS.items() if not tool.call_only}
        assert "check_availability" in names
        assert not names & {"transfer_to_human", "end_call", "confirm_appointment", "record_opt_out"}
        assert all(set(t) == {"type", "name", "description", "parameters"} for t in tools)
