import threading
import time
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection, transaction

from crm.models import Customer, Vehicle
from crm.services import customer_create, customer_opt_in, customer_opt_out, customer_verify, vehicle_add
from dealership.core.errors import ApplicationError, NotFound

CIVIC = {"year": 2019, "make": "Honda", "model": "Civic", "vin": "1G4AH59H45G118341"}


def test_it_creates_a_customer_with_an_e164_phone_and_a_vehicle(db):
    customer, vehicle = customer_create(
        name="  Ana   Lopez ", phone="(312) 555-0188", email="ana@example.com", vehicle=CIVIC
    )
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.email) == ("Ana Lopez", "+13125550188", "ana@example.com")
    assert vehicle is not None
    assert (vehicle.customer, vehicle.year, vehicle.vin, vehicle.vin_flagged) == (
        customer,
        2019,
        "1G4AH59H45G118341",
        False,
    )


def test_it_creates_a_customer_without_a_vehicle(db):
    customer, vehicle = customer_create(name="Ana Lopez", phone="3125550188", vehicle={"vin": "", "make": ""})
    assert vehicle is None
    assert customer.vehicles.count() == 0


def test_it_reads_the_phone_in_the_given_region(db):
    customer, _ = customer_create(name="Ada Price", phone="020 7946 0018", region="GB")
    assert customer.phone == "+442079460018"


def test_it_returns_the_existing_customer_for_the_same_phone_and_name(db):
    first, first_vehicle = customer_create(name="Ana Lopez", phone="(312) 555-0188", vehicle=CIVIC)
    again, again_vehicle = customer_create(name="ANA LOPEZ", phone="312.555.0188", vehicle=dict(CIVIC))

    assert again == first
    assert again_vehicle == first_vehicle
    assert Customer.objects.count() == 1
    assert Vehicle.objects.count() == 1


def test_it_adds_a_new_vehicle_to_the_existing_customer(db):
    first, _ = customer_create(name="Ana Lopez", phone="(312) 555-0188", vehicle=CIVIC)
    truck = {"year": "2015", "make": "Ford", "model": "F-150", "vin": "1M8GDM9AXKP042788"}
    again, vehicle = customer_create(name="ana lopez", phone="+13125550188", vehicle=truck)

    assert again == first
    assert vehicle is not None
    assert vehicle.year == 2015
    assert sorted(first.vehicles.values_list("model", flat=True)) == ["Civic", "F-150"]


def test_it_does_not_duplicate_a_vehicle_described_again_without_a_vin(db):
    customer, first = customer_create(
        name="Ana Lopez", phone="3125550188", vehicle={"year": 2019, "make": "Honda", "model": "Civic"}
    )
    _, second = customer_create(
        name="Ana Lopez", phone="3125550188", vehicle={"year": "2019", "make": "honda", "model": "civic"}
    )
    assert second == first
    assert customer.vehicles.count() == 1


def test_it_creates_a_separate_customer_when_the_name_differs(db):
    first, _ = customer_create(name="Ana Lopez", phone="3125550188")
    second, _ = customer_create(name="Marco Lopez", phone="3125550188")
    assert first != second
    assert Customer.objects.filter(phone="+13125550188").count() == 2


def test_it_stores_a_vin_with_a_failing_check_digit_flagged(db):
    _, vehicle = customer_create(
        name="Ana Lopez",
        phone="3125550188",
        vehicle={"year": 2017, "make": "Tesla", "vin": "5yjsa1e26hf000001"},
    )
    assert vehicle is not None
    assert vehicle.vin_flagged is True
    assert Vehicle.objects.get().vin == "5YJSA1E26HF000001"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "  ", "phone": "3125550188"}, "I need the customer's name"),
        ({"name": "Ana", "phone": "555-0188"}, "isn't a valid phone number"),
        ({"name": "Ana", "phone": ""}, "I need a phone number"),
        ({"name": "Ana", "phone": "3125550188", "email": "ana@"}, "doesn't look like an email address"),
        ({"name": "Ana", "phone": "3125550188", "vehicle": {"year": 1949}}, "between 1950 and"),
        ({"name": "Ana", "phone": "3125550188", "vehicle": {"year": "twenty"}}, "isn't a model year"),
        ({"name": "Ana", "phone": "3125550188", "vehicle": {"vin": "1G4AH59H45G11834"}}, "17 characters"),
        (
            {"name": "Ana", "phone": "3125550188", "vehicle": {"vin": "1G4AH59H45G11834I"}},
            "except I, O and Q",
        ),
        ({"name": "Ana", "phone": "3125550188", "vehicle": {"make": "x" * 51}}, "too long"),
        ({"name": "Ana", "phone": "3125550188", "vehicle": {"mileage": "lots"}}, "isn't a mileage"),
        ({"name": "Ana", "phone": "3125550188", "vehicle": "a blue Civic"}, "year, make, model and VIN"),
    ],
)
def test_it_refuses_bad_input_with_a_readable_sentence_and_saves_nothing(db, kwargs, fragment):
    with pytest.raises(ApplicationError) as exc:
        customer_create(**kwargs)
    assert fragment in exc.value.message
    assert Customer.objects.count() == 0
    assert Vehicle.objects.count() == 0


def test_it_accepts_next_years_models_but_not_the_year_after(db):
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC)):
        _, vehicle = customer_create(name="Ana", phone="3125550188", vehicle={"year": 2027, "make": "Kia"})
        assert vehicle is not None
        with pytest.raises(ApplicationError):
            customer_create(name="Ana", phone="3125550188", vehicle={"year": 2028, "make": "Kia"})
    assert Vehicle.objects.count() == 1


def test_it_normalises_plates_and_mileage_when_adding_a_vehicle(customer):
    vehicle = vehicle_add(
        customer=customer, year=2020, make="Kia", plate=" abc 123 ", plate_state="il", mileage="42,100"
    )
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.plate_state, vehicle.mileage) == ("ABC 123", "IL", 42100)


@pytest.fixture
def verifiable(customer):
    customer.date_of_birth = date(1985, 4, 12)
    customer.zip_code = "60614-2201"
    customer.save()
    return customer


def test_it_verifies_with_the_date_of_birth(verifiable):
    assert customer_verify(customer_id=verifiable.pk, date_of_birth=date(1985, 4, 12)) is True
    assert customer_verify(customer_id=verifiable.pk, date_of_birth="1985-04-12") is True
    assert customer_verify(customer_id=verifiable.pk, date_of_birth=date(1985, 4, 13)) is False


def test_it_verifies_with_the_first_five_digits_of_the_zip(verifiable):
    assert customer_verify(customer_id=verifiable.pk, zip_code="60614") is True
    assert customer_verify(customer_id=verifiable.pk, zip_code="60614-9999") is True
    assert customer_verify(customer_id=verifiable.pk, zip_code=" 60614 ") is True
    assert customer_verify(customer_id=verifiable.pk, zip_code="60615") is False
    assert customer_verify(customer_id=verifiable.pk, zip_code="606") is False


def test_it_requires_every_given_factor_to_match(verifiable):
    assert (
        customer_verify(customer_id=verifiable.pk, date_of_birth=date(1985, 4, 12), zip_code="60614") is True
    )
    assert (
        customer_verify(customer_id=verifiable.pk, date_of_birth=date(1985, 4, 12), zip_code="10001") is False
    )
    assert (
        customer_verify(customer_id=verifiable.pk, date_of_birth=date(1990, 1, 1), zip_code="60614") is False
    )


def test_it_never_verifies_against_a_factor_we_do_not_have(customer):
    customer.zip_code = ""
    customer.save()
    assert customer_verify(customer_id=customer.pk, date_of_birth=date(1985, 4, 12)) is False
    assert customer_verify(customer_id=customer.pk, zip_code="00000") is False


def test_it_needs_at_least_one_factor(verifiable):
    for kwargs in ({}, {"zip_code": " "}, {"date_of_birth": ""}):
        with pytest.raises(ApplicationError) as exc:
            customer_verify(customer_id=verifiable.pk, **kwargs)
        assert "date of birth or a ZIP code" in exc.value.message


def test_it_refuses_a_date_of_birth_it_cannot_read(verifiable):
    with pytest.raises(ApplicationError) as exc:
        customer_verify(customer_id=verifiable.pk, date_of_birth="April twelfth")
    assert "year, month and day" in exc.value.message


def test_it_reports_an_unknown_customer_when_verifying(db):
    with pytest.raises(NotFound):
        customer_verify(customer_id=999_999, zip_code="60614")


def test_it_records_opt_outs_per_channel_and_keeps_the_first_time(customer):
    first = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    customer_opt_out(customer=customer, channel="sms", at=first)
    customer_opt_out(customer=customer, channel="sms", at=datetime(2026, 3, 5, tzinfo=UTC))

    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.sms_opted_out_at == first
    assert fresh.sms_allowed is False
    assert fresh.calls_allowed is True
    assert customer.sms_opted_out_at == first


def test_it_lets_a_customer_opt_back_in(customer):
    customer_opt_out(customer=customer, channel="calls", at=datetime(2026, 3, 1, tzinfo=UTC))
    customer_opt_in(customer=customer, channel="calls")
    assert Customer.objects.get(pk=customer.pk).calls_allowed is True
    assert customer.calls_allowed is True


def test_it_refuses_an_unknown_channel(customer):
    with pytest.raises(ApplicationError) as exc:
        customer_opt_out(customer=customer, channel="email", at=datetime(2026, 3, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert "Unknown contact channel" in exc.value.message


@pytest.mark.django_db(transaction=True)
def test_it_does_not_duplicate_a_customer_created_twice_at_once():
    assert connection.vendor == "postgresql", "this test proves the advisory lock on PostgreSQL"
    first_inside = threading.Event()
    results: dict[str, Customer] = {}

    def slow_first() -> None:
        with transaction.atomic():
            results["first"], _ = customer_create(name="Ana Lopez", phone="3125550188")
            first_inside.set()
            time.sleep(0.5)  # the second request arrives while this one is uncommitted
        connection.close()

    def second() -> None:
        first_inside.wait(5)
        results["second"], _ = customer_create(name="ana lopez", phone="(312) 555-0188")
        connection.close()

    threads = [threading.Thread(target=slow_first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results["first"] == results["second"]
    assert Customer.objects.count() == 1
