from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from crm.models import Customer, ServiceRecord, Vehicle
from crm.selectors import (
    customer_find_by_phone,
    customer_search,
    customer_summary,
    service_history_list,
    vehicle_search,
)
from dealership.core.errors import NotFound
from scheduling.models import Appointment
from scheduling.shop import shop_get

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago (CST, -06:00)


@pytest.mark.parametrize(
    "phone", ["(312) 555-0147", "312.555.0147", "+1 312 555 0147", "13125550147", "+13125550147"]
)
def test_it_finds_the_customer_from_any_phone_format(shop, customer, phone):
    assert customer_find_by_phone(phone=phone) == customer


def test_it_finds_the_customer_by_their_alternate_number(shop, customer):
    customer.alt_phone = "+17735550199"
    customer.save()
    assert customer_find_by_phone(phone="(773) 555-0199") == customer


@pytest.mark.parametrize("phone", ["(312) 555-0148", "anonymous", "", "+266696687", "555-0147"])
def test_it_returns_none_for_unknown_or_unusable_numbers(shop, customer, phone):
    assert customer_find_by_phone(phone=phone) is None


def test_it_picks_the_household_member_with_the_latest_appointment(shop, customer, make_appointment):
    partner = Customer.objects.create(name="Sam Whitfield", phone="+13125550190", alt_phone="+13125550147")
    # Created last, but with no appointment at all it ranks behind both.
    Customer.objects.create(name="Kid Whitfield", phone="+13125550147")
    make_appointment(customer, NOW - timedelta(days=30))
    make_appointment(partner, NOW - timedelta(days=2))

    assert customer_find_by_phone(phone="312-555-0147") == partner


def test_a_test_booking_does_not_change_who_caller_id_picks(shop, customer, make_appointment):
    """A tester booking as the partner on a browser test call must not make the household's phone greet
    the partner from then on."""
    partner = Customer.objects.create(name="Sam Whitfield", phone="+13125550190", alt_phone="+13125550147")
    make_appointment(customer, NOW - timedelta(days=30))
    make_appointment(partner, NOW + timedelta(days=2), is_test=True)

    assert customer_find_by_phone(phone="312-555-0147") == customer


def test_it_picks_the_newest_customer_when_nobody_sharing_the_number_has_appointments(shop, customer):
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC)):
        newer = Customer.objects.create(name="Sam Whitfield", phone="+13125550147")
    assert customer_find_by_phone(phone="3125550147") == newer


def test_it_looks_up_an_e164_number_in_one_query(shop, customer, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert customer_find_by_phone(phone="+13125550147") == customer
    with django_assert_num_queries(1):
        assert customer_find_by_phone(phone="(312) 555-0147", region="US") == customer


def test_it_summarises_the_customer_in_the_tool_shape(shop, customer, make_appointment):
    vehicle = customer.vehicles.get()
    soon = make_appointment(customer, NOW + timedelta(days=1), code="tire_rotation", vehicle=vehicle)
    sooner = make_appointment(customer, NOW + timedelta(hours=3), status=Appointment.Status.CONFIRMED)
    make_appointment(customer, NOW - timedelta(days=1))
    make_appointment(customer, NOW + timedelta(days=2), status=Appointment.Status.CANCELLED)
    make_appointment(customer, NOW + timedelta(days=3), status=Appointment.Status.ARRIVED)

    summary = customer_summary(customer=customer, now=NOW)

    assert summary == {
        "found": True,
        "customer_id": customer.pk,
        "name": "Dana Whitfield",
        "vehicles": [{"vehicle_id": vehicle.pk, "year": 2019, "make": "Honda", "model": "Civic"}],
        "upcoming_appointments": [
            {
                "appointment_id": sooner.pk,
                "start": "2026-03-02T12:00:00-06:00",
                "service_type": "oil_change",
                "status": "confirmed",
            },
            {
                "appointment_id": soon.pk,
                "start": "2026-03-03T09:00:00-06:00",
                "service_type": "tire_rotation",
                "status": "scheduled",
            },
        ],
    }


def test_it_gives_times_with_the_summer_offset_after_dst(shop, customer, make_appointment):
    make_appointment(customer, datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    summary = customer_summary(customer=customer, now=NOW)
    assert summary["upcoming_appointments"][0]["start"] == "2026-03-09T09:00:00-05:00"


def test_it_summarises_in_a_handful_of_queries(
    shop, customer, make_appointment, django_assert_max_num_queries
):
    Vehicle.objects.create(customer=customer, year=2012, make="Ford", model="Focus")
    for days in range(1, 6):
        make_appointment(customer, NOW + timedelta(days=days))
    shop_get()  # a running process already keeps the shop's rules (scheduling.rules_cache)
    with django_assert_max_num_queries(3):
        summary = customer_summary(customer=customer, now=NOW)
    assert len(summary["vehicles"]) == 2
    assert [v["year"] for v in summary["vehicles"]] == [2019, 2012]
    assert len(summary["upcoming_appointments"]) == 5


def test_it_summarises_a_customer_with_nothing_on_file(shop):
    bare = Customer.objects.create(name="New Caller", phone="+13125550111")
    summary = customer_summary(customer=bare, now=NOW)
    assert summary["vehicles"] == []
    assert summary["upcoming_appointments"] == []


@pytest.fixture
def history(customer, catalog):
    civic = customer.vehicles.get()
    truck = Vehicle.objects.create(customer=customer, year=2015, make="Ford", model="F-150")
    ServiceRecord.objects.create(
        vehicle=civic,
        date=date(2025, 6, 1),
        service_type=catalog["oil_change"],
        cost=Decimal("49.99"),
        mileage=41000,
        notes="Synthetic 0W-20",
    )
    ServiceRecord.objects.create(
        vehicle=truck, date=date(2025, 9, 15), description="Wiper blades", mileage=88000
    )
    ServiceRecord.objects.create(
        vehicle=civic,
        date=date(2024, 12, 1),
        service_type=catalog["tire_rotation"],
        cost=Decimal("30"),
        mileage=36000,
    )
    return civic, truck


def test_it_lists_service_history_newest_first(customer, history):
    assert service_history_list(customer_id=customer.pk) == [
        {"date": "2025-09-15", "service_type": "Wiper blades", "cost": None, "mileage": 88000, "notes": ""},
        {
            "date": "2025-06-01",
            "service_type": "oil change",
            "cost": "49.99",
            "mileage": 41000,
            "notes": "Synthetic 0W-20",
        },
        {
            "date": "2024-12-01",
            "service_type": "tire rotation",
            "cost": "30.00",
            "mileage": 36000,
            "notes": "",
        },
    ]


def test_it_lists_one_vehicles_history(customer, history):
    civic, _ = history
    dates = [item["date"] for item in service_history_list(customer_id=customer.pk, vehicle_id=civic.pk)]
    assert dates == ["2025-06-01", "2024-12-01"]


def test_it_refuses_history_for_an_unknown_customer(db):
    with pytest.raises(NotFound) as exc:
        service_history_list(customer_id=999_999)
    assert "couldn't find a customer" in exc.value.message


def test_it_refuses_history_for_someone_elses_vehicle(customer, history):
    stranger = Customer.objects.create(name="Lee Park", phone="+13125550122")
    theirs = Vehicle.objects.create(customer=stranger, year=2020, make="Kia", model="Soul")
    with pytest.raises(NotFound) as exc:
        service_history_list(customer_id=customer.pk, vehicle_id=theirs.pk)
    assert "isn't on file for this customer" in exc.value.message


@pytest.fixture
def crowd(shop, customer):
    civic = customer.vehicles.get()
    civic.plate = "ABC 1234"
    civic.save()
    other = Customer.objects.create(name="Lee Park", phone="+13125550122", email="lee@example.com")
    Vehicle.objects.create(
        customer=other, year=2020, make="Kia", model="Soul", vin="1M8GDM9AXKP042788", plate="XYZ-99"
    )
    return other


@pytest.mark.parametrize(
    "query",
    [
        "(312) 555-0147",
        "312.555.0147",
        "+1 312 555 0147",
        "13125550147",
        "0147",
        "dana",
        "WHITFIELD",
        "whitfield dana",
        "dana@example.com",
        "1G4AH59H45G118341",
        "1g4ah59h45g118341",
        "118341",
        "g118341",
        "abc1234",
        "ABC 1234",
        "abc-1234",
    ],
)
def test_it_searches_customers_by_phone_name_vin_or_plate(crowd, customer, query):
    assert list(customer_search(query=query)) == [customer]


def test_it_finds_nobody_for_an_unmatched_query(crowd):
    assert list(customer_search(query="Zebra")) == []
    assert list(customer_search(query="999999")) == []


def test_it_returns_everyone_for_an_empty_query(crowd, customer):
    assert set(customer_search(query="  ")) == {customer, crowd}


def test_it_searches_vehicles_by_vin_plate_or_owner(crowd, customer):
    civic = customer.vehicles.get()
    Vehicle.objects.create(customer=customer, year=2010, make="Ford", model="Ranger")
    assert list(vehicle_search(query="118341")) == [civic]
    assert list(vehicle_search(query="abc1234")) == [civic]
    assert [v.model for v in vehicle_search(query="xyz 99")] == ["Soul"]
    assert {v.model for v in vehicle_search(query="(312) 555-0147")} == {"Civic", "Ranger"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("dana@", ["Dana Whitfield"]),
        ("lee@exam", ["Lee Park"]),
        ("EXAMPLE.COM", ["Dana Whitfield", "Lee Park"]),
        ("@example", ["Dana Whitfield", "Lee Park"]),
    ],
)
def test_it_finds_customers_by_a_fragment_of_their_email(crowd, query, names):
    assert sorted(c.name for c in customer_search(query=query)) == names
