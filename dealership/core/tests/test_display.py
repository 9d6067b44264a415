"""One way to write times, phone numbers and prices across the back office: "8:00 AM" in the shop's
zone, "(312) 555-0147", "$49.99"."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dealership.core import display
from voice.models import Call, CallbackRequest

CHICAGO = ZoneInfo("America/Chicago")
EIGHT_AM_CHICAGO = datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO)


@pytest.fixture
def boss(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw-boss-12345"))
    return client


def test_it_writes_times_12_hour_without_seconds_in_the_shops_zone(shop):
    assert display.shop_time(EIGHT_AM_CHICAGO.astimezone(ZoneInfo("UTC"))) == "8:00 AM"
    assert display.shop_time(time(14, 30)) == "2:30 PM"
    assert display.money(49.99) == "$49.99"
    assert display.phone("+13125550147") == "(312) 555-0147"


def test_call_and_callback_lists_show_national_phones_and_12_hour_times(shop, customer, boss):
    call = Call.objects.create(
        call_sid="CA" + "1" * 32, from_number="+13125550147", to_number=shop.phone_number, customer=customer
    )
    Call.objects.filter(pk=call.pk).update(created_at=EIGHT_AM_CHICAGO, started_at=EIGHT_AM_CHICAGO)
    request = CallbackRequest.objects.create(phone="+13125550147", reason="Brakes")
    CallbackRequest.objects.filter(pk=request.pk).update(created_at=EIGHT_AM_CHICAGO)

    for path in ("/admin/voice/call/", "/admin/voice/callbackrequest/"):
        page = boss.get(path).content.decode()
        assert "(312) 555-0147" in page, path
        assert "+13125550147" not in page, path
        assert "8:00 AM" in page, path
        assert "a.m." not in page, path


def test_business_hours_read_in_the_same_format(shop, boss):
    page = boss.get("/admin/scheduling/businesshours/").content.decode()
    assert "7:30 AM" in page
    assert "07:30:00" not in page  # inputs read "07:30 AM" (the admin clock picker cannot drop the zero)


def test_appointment_list_shows_the_price_with_its_currency(shop, customer, make_appointment, boss):
    make_appointment(customer, EIGHT_AM_CHICAGO)
    page = boss.get("/admin/scheduling/appointment/").content.decode()
    assert "$" in page and "8:00 AM" in page
