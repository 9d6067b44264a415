"""The booking form offers open times to click: the availability engine's next open days for the chosen
service, morning and afternoon, with the service's duration and price; a click fills the date and time."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from scheduling.models import Appointment
from tests.browser import ADMIN_PASSWORD, log_in

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO)
URL = "/admin/scheduling/appointment/open-times/"


@pytest.fixture
def boss(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-boss-12345"))
    return client


@pytest.mark.django_db
def test_it_offers_the_next_open_days_split_into_morning_and_afternoon(shop, catalog, boss):
    with time_machine.travel(MONDAY_8, tick=False):
        answer = boss.get(URL, {"service": catalog["oil_change"].pk}).json()

    oil = catalog["oil_change"]
    price = ("from " if oil.price_is_from else "") + f"${oil.price}"
    assert answer["service"] == {"name": oil.name, "duration_minutes": oil.duration_minutes, "price": price}
    first = answer["days"][0]
    assert first["date"] == "2026-11-23" and first["label"] == "Mon Nov 23"
    # Minimum notice (2 h) first: 10:00 AM is the earliest on Monday at 8:00.
    assert first["morning"][0] == {"date": "2026-11-23", "time": "10:00 AM"}
    assert all(t["time"].endswith("PM") for t in first["afternoon"])
    assert len(answer["days"]) == 5


@pytest.mark.django_db
def test_without_a_service_it_says_what_to_choose(shop, boss):
    assert boss.get(URL).json() == {"days": [], "error": "Choose a service to see open times."}


def test_a_click_fills_the_date_and_time_and_the_booking_goes_through(
    shop, catalog, customer, browser_page, browser_superuser, page_problems
):
    log_in(browser_page, browser_superuser.get_username(), ADMIN_PASSWORD)
    browser_page.goto(f"/admin/scheduling/appointment/add/?customer={customer.pk}")
    browser_page.select_option("#id_service_type", str(catalog["oil_change"].pk))
    slot = browser_page.locator("#open-times .desk-slot").first
    slot.wait_for()
    picked_date, picked_time = slot.get_attribute("data-date"), slot.inner_text()
    assert "min" in browser_page.inner_text("#open-times")  # duration and price shown before saving
    slot.click()
    assert browser_page.input_value("#id_local_day") == picked_date
    assert browser_page.input_value("#id_local_time") == picked_time
    with browser_page.expect_navigation():
        browser_page.click("button[name=_save], input[name=_save]")

    booked = Appointment.objects.get()
    local = booked.start.astimezone(shop.zone)
    assert local.date().isoformat() == picked_date
    assert local.strftime("%-I:%M %p") == picked_time
    page_problems.assert_none()
