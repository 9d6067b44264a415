"""The day agenda: who is coming and how much capacity is used vs left, in shop time."""

from datetime import date, datetime, time

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from dealership.core.errors import SlotTaken
from scheduling.models import Appointment, Closure
from scheduling.services import appointment_book, appointment_cancel
from scheduling.tests.clock import CHICAGO, MONDAY, NOW, at

pytestmark = pytest.mark.usefixtures("frozen")

AGENDA = reverse("admin:scheduling_appointment_agenda")


def usage(response, label: str) -> tuple[int, int | None, int | None]:
    found = [
        u
        for u in response.context["agenda"].day_usage + response.context["agenda"].services
        if u.label == label
    ]
    assert found, label
    return found[0].used, found[0].capacity, found[0].left


def slot(response, hh: int, mm: int = 0):
    return next(s for s in response.context["agenda"].slots if s.start == time(hh, mm))


@pytest.fixture
def busy_monday(book):
    """Two drop-offs fill 9:30, a waiter and a diagnostic at 10:00, one cancelled at 11:00."""
    book(at(9, 30))
    book(at(9, 30))
    book(at(10), code="tire_rotation", waiter=True)
    book(at(10), code="diagnostic")
    appointment_cancel(appointment_id=book(at(11)).pk, channel="staff")


def test_it_shows_each_appointment_and_capacity_used_vs_left(admin_client, busy_monday):
    response = admin_client.get(AGENDA, {"date": "2026-11-23"})
    assert response.status_code == 200
    assert usage(response, "appointments") == (4, 20, 16)
    assert usage(response, "technician minutes") == (30 + 30 + 30 + 90, 960, 960 - 180)
    assert usage(response, "waiters at once (peak)") == (1, 1, 0)
    assert usage(response, "diagnostic") == (1, 2, 1)
    assert usage(response, "oil change") == (2, None, None)
    nine_thirty, ten = slot(response, 9, 30), slot(response, 10)
    assert (nine_thirty.write_ups.used, nine_thirty.write_ups.capacity, nine_thirty.write_ups.left) == (
        2,
        2,
        0,
    )
    assert (ten.write_ups.used, ten.write_ups.left, ten.waiters.used) == (2, 0, 1)
    assert slot(response, 11).write_ups.used == 0  # the cancelled one frees its slot

    page = response.content.decode()
    assert "Open 7:30 AM–6:00 PM" in page
    assert page.count("Dana Whitfield") == 5
    assert "9:30 AM–10:00 AM" in page and "10:00 AM–11:30 AM" in page  # shop time, not UTC
    assert 'Appointments <span class="desk-count">4</span>' in page
    for appointment in Appointment.objects.all():
        assert reverse("admin:scheduling_appointment_change", args=[appointment.pk]) in page


def test_a_slot_it_shows_as_full_really_is_full(admin_client, busy_monday, customer):
    response = admin_client.get(AGENDA, {"date": "2026-11-23"})
    assert slot(response, 9, 30).write_ups.full
    with pytest.raises(SlotTaken):
        appointment_book(customer=customer, service_code="oil_change", start=at(9, 30), channel="ai_phone")


def test_it_defaults_to_today_in_the_shop_time_zone(admin_client, shop):
    # 8 PM Sunday in Chicago is already Monday in UTC.
    with time_machine.travel(datetime(2026, 11, 22, 20, 0, tzinfo=CHICAGO), tick=False):
        response = admin_client.get(AGENDA)
    assert response.status_code == 200
    assert response.context["day"] == date(2026, 11, 22)
    assert "Closed" in response.content.decode()  # no Sunday hours


def test_it_falls_back_to_today_on_a_bad_date(admin_client, shop):
    response = admin_client.get(AGENDA, {"date": "2026-13-45"})
    assert response.status_code == 200
    assert response.context["day"] == NOW.date()
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == ["'2026-13-45' isn't a date like 2026-11-23; showing today instead."]


def test_it_links_the_previous_and_next_days(admin_client, shop):
    response = admin_client.get(AGENDA, {"date": "2026-11-23"})
    assert response.context["previous_url"] == f"{AGENDA}?date=2026-11-22"
    assert response.context["next_url"] == f"{AGENDA}?date=2026-11-24"
    assert f"{AGENDA}?date=2026-11-24" in response.content.decode()


def test_it_shows_closures_and_the_hours_left_open(admin_client, shop):
    Closure.objects.create(date=date(2026, 11, 26), reason="Thanksgiving")
    Closure.objects.create(date=MONDAY, starts=time(12), ends=time(13), reason="staff meeting")
    holiday = admin_client.get(AGENDA, {"date": "2026-11-26"}).content.decode()
    assert "Closed — Thanksgiving." in holiday
    monday = admin_client.get(AGENDA, {"date": "2026-11-23"})
    assert "Open 7:30 AM–12:00 PM, 1:00 PM–6:00 PM" in monday.content.decode()
    assert "(staff meeting)" in monday.content.decode()
    assert time(12) not in [s.start for s in monday.context["agenda"].slots]


def test_it_shows_a_slot_booked_over_capacity_as_over(admin_client, busy_monday, customer):
    boss = User.objects.create_superuser("boss", password="pw-12345678")
    appointment_book(
        customer=customer,
        service_code="oil_change",
        start=at(9, 30),
        channel="staff",
        user=boss,
        override=True,
        override_reason="fleet",
    )
    response = admin_client.get(AGENDA, {"date": "2026-11-23"})
    over = slot(response, 9, 30).write_ups
    assert (over.used, over.capacity, over.left, over.full) == (3, 2, 0, True)
    assert "(over capacity)" in response.content.decode()


def test_it_is_for_staff_only(client, shop):
    response = client.get(AGENDA)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_it_is_linked_from_the_index_and_the_appointment_list(admin_client, shop):
    assert AGENDA in admin_client.get(reverse("admin:index")).content.decode()
    assert AGENDA in admin_client.get(reverse("admin:scheduling_appointment_changelist")).content.decode()


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "2201-01-01"])
def test_it_falls_back_to_today_on_a_date_it_cannot_show(admin_client, shop, raw):
    response = admin_client.get(AGENDA, {"date": raw})

    assert response.status_code == 200
    assert response.context["day"] == NOW.date()
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == [f"'{raw}' is outside the years 1900 to 2200; showing today instead."]


def test_it_shows_where_each_car_is_in_the_shop(admin_client, busy_monday):
    waiting = Appointment.objects.filter(status=Appointment.Status.SCHEDULED).order_by("start").first()
    Appointment.objects.filter(pk=waiting.pk).update(work_status="waiting_parts", promised_at=at(16, 30))

    page = admin_client.get(AGENDA, {"date": "2026-11-23"}).content.decode()

    assert "waiting for parts, promised Mon 4:30 PM" in page
