import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from crm.models import Customer
from scheduling.models import Appointment, Closure

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)  # a Sunday
KEY = "tools-test-key-0123456789-abcdefghij"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {KEY}"}


@pytest.fixture(autouse=True)
def sunday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def api_key():
    with override_settings(TOOLS_API_KEY=KEY):
        yield


def post(client, slug: str, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/tools/{slug}/", data=data, content_type="application/json", **{**AUTH, **headers})


def assert_refused(response, status: int = 400) -> str:
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


class TestAuth:
    @override_settings(TOOLS_API_KEY="")
    def test_it_answers_503_when_no_key_is_configured(self, client, db):
        response = post(client, "list-services", {})

        assert response.status_code == 503
        assert response.json() == {"success": False, "error": "The tools API is not configured."}

    def test_it_answers_401_without_a_key(self, client, db):
        response = client.post("/tools/list-services/", data="{}", content_type="application/json")

        assert_refused(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "header", ["Bearer wrong-key", f"Basic {KEY}", "Bearer", f"Bearer {KEY}x", "Bearer é"]
    )
    def test_it_answers_401_for_a_wrong_key(self, client, db, header):
        assert_refused(post(client, "list-services", {}, HTTP_AUTHORIZATION=header), 401)

    def test_it_accepts_the_scheme_in_any_case(self, client, shop, catalog):
        response = post(client, "list-services", {}, HTTP_AUTHORIZATION=f"bearer {KEY}")

        assert response.status_code == 200


class TestBadInput:
    def test_it_answers_404_in_json_for_an_unknown_tool(self, client, db):
        error = assert_refused(post(client, "order-pizza", {}), 404)

        assert "check-availability" in error

    def test_it_does_not_serve_call_only_tools(self, client, db):
        assert_refused(post(client, "end-call", {}), 404)

    def test_it_answers_405_to_a_get(self, client, db):
        response = client.get("/tools/list-services/", **AUTH)

        assert_refused(response, 405)
        assert response["Allow"] == "POST"

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ('{"service_type": "oil_change"', "The tool arguments weren't valid JSON."),
            ('["oil_change"]', "The tool arguments must be a JSON object."),
            ('"oil_change"', "The tool arguments must be a JSON object."),
            (b"\xff\xfe{}", "The tool arguments weren't valid JSON."),
            (
                {"service_type": "oil_change", "preferred_date": "next Tuesday"},
                "'preferred_date' must be a date",
            ),
            ({}, "The argument 'service_type' is required."),
        ],
        ids=["truncated", "list", "string", "not-utf8", "bad-date", "missing"],
    )
    def test_it_answers_400_for_unusable_arguments(self, client, shop, catalog, body, expected):
        error = assert_refused(post(client, "check-availability", body))

        assert error.startswith(expected)

    def test_it_answers_400_for_a_past_date(self, client, shop, catalog):
        body = {"service_type": "oil_change", "preferred_date": "2026-11-01"}

        error = assert_refused(post(client, "check-availability", body))

        assert error == "Sunday, November 1 has already passed."

    def test_it_answers_400_for_a_closed_day_with_the_nearest_openings(self, client, shop, catalog):
        Closure.objects.create(date=date(2026, 11, 26), reason="Thanksgiving")

        response = post(
            client, "check-availability", {"service_type": "oil_change", "preferred_date": "2026-11-26"}
        )

        assert assert_refused(response) == "We're closed on Thursday, November 26 for Thanksgiving."
        assert response.json()["slots"][0]["start"] == "2026-11-27T07:30:00-06:00"  # the next open day

    def test_it_answers_400_for_an_unknown_service(self, client, shop, catalog):
        error = assert_refused(post(client, "check-availability", {"service_type": "teleportation"}))

        assert "teleportation" in error

    def test_it_answers_400_for_an_unknown_customer(self, client, shop, catalog):
        body = {
            "customer_phone": "+13125550111",
            "datetime": "2026-11-23T09:00:00-06:00",
            "service_type": "oil_change",
        }

        assert "create the customer" in assert_refused(post(client, "schedule-appointment", body))
        assert not Appointment.objects.exists()

    def test_it_answers_400_for_a_booking_on_a_closed_day(self, client, shop, catalog, customer):
        body = {
            "customer_id": customer.pk,
            "datetime": "2026-11-29T10:00:00-06:00",
            "service_type": "oil_change",
        }

        response = post(client, "schedule-appointment", body)

        assert assert_refused(response) == "We're closed on Sunday, November 29."
        assert response.json()["alternatives"]

    def test_it_answers_413_for_a_huge_body(self, client, db):
        body = json.dumps({"service_type": "oil_change", "notes": "x" * 100_000})

        assert_refused(post(client, "check-availability", body), 413)


class TestHappyPath:
    def test_it_books_moves_and_cancels_an_appointment(self, client, shop, catalog, customer):
        services = post(client, "list-services", b"").json()
        assert {
            "code": "oil_change",
            "name": "oil change",
            "duration_minutes": 30,
            "price": "49.99",
        }.items() <= next(s for s in services["services"] if s["code"] == "oil_change").items()

        availability = post(
            client, "check-availability", {"service_type": "oil_change", "preferred_date": "2026-11-24"}
        )
        assert availability.status_code == 200
        slots = availability.json()["slots"]
        assert availability.json()["available"] is True
        assert slots[0] | {"spoken": None} == {
            "start": "2026-11-24T07:30:00-06:00",
            "date": "2026-11-24",
            "time": "07:30",
            "duration_minutes": 30,
            "spoken": None,
        }

        booked = post(
            client,
            "schedule-appointment",
            {
                "customer_id": customer.pk,
                "datetime": slots[1]["start"],
                "service_type": "oil_change",
                "notes": "noise",
            },
        )
        assert booked.status_code == 200
        appointment_id = booked.json()["appointment_id"]
        assert booked.json()["success"] is True
        assert "Tuesday, November 24 at 8 AM" in booked.json()["confirmation"]
        appointment = Appointment.objects.get(pk=appointment_id)
        assert (appointment.channel, appointment.notes, appointment.customer) == ("web", "noise", customer)

        moved = post(
            client,
            "reschedule-appointment",
            {"appointment_id": appointment_id, "datetime": slots[2]["start"]},
        )
        assert moved.status_code == 200
        assert moved.json()["success"] is True
        assert "at 8:30 AM" in moved.json()["confirmation"]

        cancelled = post(
            client, "cancel-appointment", {"appointment_id": appointment_id, "reason": "moved away"}
        )
        assert cancelled.status_code == 200
        assert cancelled.json()["success"] is True
        assert Appointment.objects.get(pk=appointment_id).status == "cancelled"

        upcoming = post(client, "get-customer", {"phone": customer.phone}).json()["upcoming_appointments"]
        assert upcoming == []

    def test_it_creates_finds_and_verifies_a_customer(self, client, shop, catalog):
        created = post(
            client,
            "create-customer",
            {
                "name": "Lee Park",
                "phone": "(312) 555-0123",
                "vehicle": {"year": 2021, "make": "Subaru", "model": "Outback"},
            },
        )
        assert created.status_code == 200
        customer_id = created.json()["customer_id"]
        Customer.objects.filter(pk=customer_id).update(zip_code="60657")

        found = post(client, "get-customer", {"phone": "+13125550123"}).json()
        assert (found["found"], found["customer_id"], found["name"]) == (True, customer_id, "Lee Park")
        assert found["vehicles"][0]["vehicle_id"] == created.json()["vehicle_id"]

        verified = post(client, "verify-customer", {"customer_id": customer_id, "zip_code": "60657"})
        assert verified.json() == {"success": True, "verified": True}
        history = post(client, "get-history", {"customer_id": customer_id})
        assert history.json() == {"success": True, "history": []}

    def test_it_lists_its_tools(self, client, db):
        response = client.get("/tools/", **AUTH)

        assert response.status_code == 200
        paths = {tool["path"] for tool in response.json()["tools"]}
        assert paths == {
            f"/tools/{slug}/"
            for slug in (
                "get-customer",
                "create-customer",
                "verify-customer",
                "get-history",
                "list-services",
                "check-availability",
                "schedule-appointment",
                "reschedule-appointment",
                "cancel-appointment",
            )
        }
