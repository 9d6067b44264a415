from datetime import datetime, time, timedelta

import pytest

from dealership.core.errors import ApplicationError, NotFound
from scheduling.models import Closure
from scheduling.selectors import availability_find
from scheduling.services import appointment_book
from scheduling.tests.clock import CHICAGO, MONDAY, NOW

pytestmark = pytest.mark.usefixtures("frozen")


def at(day, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CHICAGO)


def fill_day(day, customer, *, count: int) -> None:
    for index in range(count):
        appointment_book(
            customer=customer, service_code="oil_change", start=at(day, 8 + index), channel="staff"
        )


def test_it_offers_the_earliest_three_from_today(shop, catalog):
    slots = availability_find(service_code="oil_change").as_dicts()
    assert [(s["date"], s["time"]) for s in slots] == [
        ("2026-11-23", "07:30"),
        ("2026-11-23", "08:00"),
        ("2026-11-23", "08:30"),
    ]
    assert slots[0]["start"] == "2026-11-23T07:30:00-06:00"
    assert slots[0]["spoken"] == "Monday, November 23 at 7:30 AM"


def test_it_skips_days_that_are_full_and_searches_past_the_first_batch(shop, catalog, customer):
    shop.daily_capacity = 2
    shop.save()
    # Monday to Friday full: the first three-day batch and part of the next have no room at all.
    for offset in range(5):
        fill_day(MONDAY + timedelta(days=offset), customer, count=2)
    slots = availability_find(service_code="oil_change", limit=2).as_dicts()
    assert [s["date"] for s in slots] == ["2026-11-28", "2026-11-28"]  # Saturday


def test_it_skips_a_day_where_the_service_reached_its_daily_limit(shop, catalog, customer):
    for hour in (8, 10):
        appointment_book(
            customer=customer, service_code="diagnostic", start=at(MONDAY, hour), channel="staff"
        )
    assert availability_find(service_code="diagnostic").slots[0].astimezone(
        CHICAGO
    ).date() == MONDAY + timedelta(1)
    assert availability_find(service_code="oil_change").slots[0].astimezone(CHICAGO).date() == MONDAY


def test_it_starts_from_the_preferred_date_and_time_of_day(shop, catalog):
    slots = availability_find(
        service_code="tire_rotation", preferred_date=MONDAY + timedelta(days=2), time_of_day="afternoon"
    ).as_dicts()
    assert [(s["date"], s["time"]) for s in slots] == [
        ("2026-11-25", "12:00"),
        ("2026-11-25", "12:30"),
        ("2026-11-25", "13:00"),
    ]


def test_it_refuses_a_closed_preferred_date_but_offers_the_next_openings(shop, catalog):
    Closure.objects.create(date=MONDAY + timedelta(days=3), reason="Thanksgiving")
    with pytest.raises(ApplicationError, match="closed on Thursday, November 26 for Thanksgiving") as error:
        availability_find(service_code="oil_change", preferred_date=MONDAY + timedelta(days=3))
    assert error.value.extra["alternatives"][0]["date"] == "2026-11-27"


def test_it_refuses_past_and_too_distant_dates(shop, catalog):
    with pytest.raises(ApplicationError, match="has already passed"):
        availability_find(service_code="oil_change", preferred_date=NOW.date() - timedelta(days=1))
    with pytest.raises(ApplicationError, match="up to 60 days ahead"):
        availability_find(service_code="oil_change", preferred_date=NOW.date() + timedelta(days=90))


def test_it_refuses_an_unknown_service_and_a_bad_time_of_day(shop, catalog):
    with pytest.raises(NotFound, match="Services we book"):
        availability_find(service_code="flux capacitor")
    with pytest.raises(ApplicationError, match="Time of day must be one of"):
        availability_find(service_code="oil_change", time_of_day="midnight")
