"""Booking picks the car among the chosen customer's own, filtered on the server: the appointment
form's vehicle search answers only that customer's vehicles, by make, model, year or plate too."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from crm.models import Customer, Vehicle
from tests.browser import log_in

PICKER = "/admin/autocomplete/?app_label=scheduling&model_name=appointment&field_name=vehicle"


@pytest.fixture
def two_households(db, customer):
    other = Customer.objects.create(name="Lee Park", phone="+13125550122")
    Vehicle.objects.create(customer=other, year=2020, make="Toyota", model="Corolla", plate="XYZ-99")
    Vehicle.objects.create(customer=customer, year=2016, make="Toyota", model="Corolla", plate="DANA 1")
    return other


@pytest.fixture
def boss(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-boss-12345"))
    return client


def _picked(client: Client, **params) -> list[str]:
    query = "".join(f"&{key}={value}" for key, value in params.items())
    return [item["text"] for item in client.get(PICKER + query).json()["results"]]


@pytest.mark.django_db
def test_it_lists_only_the_chosen_customers_cars(shop, customer, two_households, boss):
    assert sorted(_picked(boss, customer=customer.pk, term="")) == sorted(
        str(v) for v in customer.vehicles.all()
    )
    assert _picked(boss, customer=two_households.pk, term="") == ["2020 Toyota Corolla"]


@pytest.mark.django_db
def test_it_finds_the_car_by_model_make_year_or_plate(shop, customer, two_households, boss):
    for term in ("Corolla", "toyota", "2016", "dana"):
        assert _picked(boss, customer=customer.pk, term=term) == ["2016 Toyota Corolla"], term


@pytest.mark.django_db
def test_without_a_customer_it_offers_no_one_elses_car(shop, customer, two_households, boss):
    assert _picked(boss, term="Corolla") == []


def test_the_form_asks_for_the_chosen_customers_cars_in_the_browser(
    shop, catalog, customer, two_households, browser_page, browser_superuser, page_problems
):
    from tests.browser import ADMIN_PASSWORD

    log_in(browser_page, browser_superuser.get_username(), ADMIN_PASSWORD)
    browser_page.goto(f"/admin/scheduling/appointment/add/?customer={customer.pk}")
    browser_page.click("#id_vehicle + .select2 .select2-selection")
    browser_page.fill(".select2-search__field", "Corolla")
    # Once the search for "Corolla" has answered: only Dana's, not Lee Park's 2020 Corolla.
    browser_page.wait_for_function(
        """() => [...document.querySelectorAll('.select2-results__option')]
            .map(o => o.textContent.trim()).join('|') === '2016 Toyota Corolla'"""
    )
    page_problems.assert_none()
