"""The appointment admin: advisors book, move, cancel and step appointments through the services."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from crm.models import Customer, Vehicle
from scheduling.models import Appointment, AppointmentChange, BusinessHours, Closure
from scheduling.tests.admin_pages import error_text
from scheduling.tests.clock import MONDAY, at

pytestmark = pytest.mark.usefixtures("frozen")

ADD = reverse("admin:scheduling_appointment_add")
CHANGELIST = reverse("admin:scheduling_appointment_changelist")
STAFF_PERMS = ("add_appointment", "change_appointment", "view_appointment", "view_appointmentchange")


def change_url(appointment: Appointment) -> str:
    return reverse("admin:scheduling_appointment_change", args=[appointment.pk])


def make_staff(client, *, override: bool) -> User:
    user = User.objects.create_user("advisor", password="pw-12345678", is_staff=True)
    codenames = STAFF_PERMS + (("override_capacity",) if override else ())
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def add_data(customer, catalog, code="oil_change", day=MONDAY, when="9:30 AM", **extra) -> dict:
    return {
        "customer": customer.pk,
        "vehicle": customer.vehicles.get().pk,
        "service_type": catalog[code].pk,
        "transport": "drop_off",
        "local_day": day.isoformat(),
        "local_time": when,
        "notes": "customer hears a squeal",
        "_save": "Save",
        **extra,
    }


def test_it_lists_appointments_in_shop_local_time(admin_client, book, customer):
    book(at(9, 30))
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mon, Nov 23, 9:30 AM" in page
    assert "3:30 PM" not in page  # the same instant in UTC
    assert "Dana Whitfield" in page and "oil change" in page
    assert reverse("admin:scheduling_appointment_agenda") in page


@pytest.mark.parametrize(
    "query", ["(312) 555-0147", "312.555.0147", "+1 312 555 0147", "whitfield", "g118341"]
)
def test_it_finds_appointments_by_customer_phone_name_or_vin(admin_client, book, query):
    mine = book(at(9, 30))
    other = Customer.objects.create(name="Lee Park", phone="+17735550122")
    Vehicle.objects.create(customer=other, year=2020, make="Kia", model="Soul", plate="XYZ99")
    book(at(10), who=other)
    response = admin_client.get(CHANGELIST, {"q": query})
    assert [a.pk for a in response.context["cl"].result_list] == [mine.pk]


def test_it_finds_appointments_by_plate_and_number(admin_client, book):
    other = Customer.objects.create(name="Lee Park", phone="+17735550122")
    Vehicle.objects.create(customer=other, year=2020, make="Kia", model="Soul", plate="XYZ-99")
    theirs = book(at(10), who=other)
    mine = book(at(9, 30))
    by_plate = admin_client.get(CHANGELIST, {"q": "xyz 99"}).context["cl"].result_list
    by_number = admin_client.get(CHANGELIST, {"q": f"#{mine.pk}"}).context["cl"].result_list
    assert [a.pk for a in by_plate] == [theirs.pk]
    assert mine.pk in [a.pk for a in by_number] and theirs.pk not in [a.pk for a in by_number]


def test_it_books_from_the_add_form_with_catalog_duration_and_price(admin_client, shop, catalog, customer):
    response = admin_client.get(ADD)
    assert response.status_code == 200
    assert "Override capacity" in response.content.decode()  # a superuser holds the permission

    response = admin_client.post(ADD, add_data(customer, catalog, code="diagnostic"))
    assert response.status_code == 302, error_text(response)
    appointment = Appointment.objects.get()
    assert appointment.start == at(9, 30)
    assert appointment.local_date == MONDAY
    assert (appointment.duration_minutes, appointment.price_quoted) == (90, Decimal("149.00"))
    assert appointment.channel == Appointment.Channel.STAFF
    assert appointment.notes == "customer hears a squeal"
    change = appointment.changes.get()
    assert (change.kind, change.user.username) == (AppointmentChange.Kind.BOOKED, "admin")


def test_it_refuses_a_full_slot_with_the_reason_and_nearby_times(admin_client, book, catalog, customer):
    book(at(9, 30))
    book(at(9, 30))
    response = admin_client.post(ADD, add_data(customer, catalog))
    assert response.status_code == 200
    errors = error_text(response)
    assert "Slot full: write-ups at 9:30 AM, 2 of 2." in errors  # staff wording, not the caller's
    assert "Open nearby: " in errors and "Mon Nov 23, 9:00 AM" in errors
    assert Appointment.objects.count() == 2


def test_it_refuses_a_closed_day_without_saving(admin_client, shop, catalog, customer):
    thanksgiving = MONDAY + timedelta(days=3)
    Closure.objects.create(date=thanksgiving, reason="Thanksgiving")
    response = admin_client.post(ADD, add_data(customer, catalog, day=thanksgiving))
    assert response.status_code == 200
    errors = error_text(response)
    assert "We're closed on Thursday, November 26 for Thanksgiving." in errors
    assert "Open nearby: " in errors
    assert not Appointment.objects.exists()


def test_it_refuses_a_vehicle_of_another_customer(admin_client, shop, catalog, customer):
    other = Customer.objects.create(name="Lee Park", phone="+17735550122")
    kia = Vehicle.objects.create(customer=other, year=2020, make="Kia", model="Soul")
    response = admin_client.post(ADD, add_data(customer, catalog, vehicle=kia.pk))
    assert "That vehicle belongs to a different customer." in error_text(response)
    assert not Appointment.objects.exists()


def test_staff_without_the_permission_neither_see_nor_use_the_override(client, book, catalog, customer):
    make_staff(client, override=False)
    page = client.get(ADD)
    assert page.status_code == 200
    assert "override" not in page.context["adminform"].form.fields
    assert "Override capacity" not in page.content.decode()
    book(at(9, 30))
    book(at(9, 30))
    data = add_data(customer, catalog, override="on", override_note="VIP")
    response = client.post(ADD, data)
    assert "Slot full: write-ups at 9:30 AM, 2 of 2." in error_text(response)
    assert Appointment.objects.count() == 2


def test_a_permitted_advisor_books_over_capacity_and_it_is_recorded(client, book, catalog, customer):
    advisor = make_staff(client, override=True)
    book(at(9, 30))
    book(at(9, 30))
    data = add_data(customer, catalog, override="on", override_note="fleet customer, manager approved")
    response = client.post(ADD, data)
    assert response.status_code == 302, error_text(response)
    overridden = Appointment.objects.get(channel=Appointment.Channel.STAFF)
    assert overridden.capacity_override is True
    assert overridden.override_by == advisor
    assert overridden.override_reason == "fleet customer, manager approved"
    assert "fleet customer" in overridden.changes.get().detail


def test_an_override_needs_a_reason(admin_client, book, catalog, customer):
    response = admin_client.post(ADD, add_data(customer, catalog, override="on"))
    assert "Say why you are booking over capacity." in error_text(response)
    assert not Appointment.objects.exists()


def test_it_refuses_a_wall_time_the_clocks_skip(admin_client, shop, catalog, customer):
    shop.horizon_days = 365
    shop.save()
    BusinessHours.objects.create(weekday=6, opens=time(0), closes=time(12))
    spring_forward = date(2027, 3, 14)  # a Sunday; 2:00-3:00 AM does not exist in Chicago
    response = admin_client.post(ADD, add_data(customer, catalog, day=spring_forward, when="2:30 AM"))
    assert "That time doesn't exist on that day (the clocks skip it)." in error_text(response)
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("query", ["²", "#²", "#٣"])
def test_a_search_with_digits_that_are_not_ascii_is_just_a_search(admin_client, book, query):
    book(at(9, 30))

    response = admin_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("object_id", ["²", "٣"])
def test_an_appointment_page_for_an_id_that_is_not_a_number_is_not_found(admin_client, shop, object_id):
    response = admin_client.get(reverse("admin:scheduling_appointment_change", args=[object_id]), follow=True)

    assert response.status_code == 200
    assert "doesn’t exist" in response.content.decode()


@pytest.mark.parametrize("value", ["²", "\x00", "not-a-number"])
def test_the_add_form_ignores_a_customer_or_vehicle_in_the_url_that_is_not_an_id(
    admin_client, shop, catalog, customer, value
):
    response = admin_client.get(ADD, {"customer": value, "vehicle": value})

    assert response.status_code == 200


def work_cells(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r'<td[^>]*class="[^"]*field-work[^"]*"[^>]*>(.*?)</td>', page, re.S)
    ]


def test_the_list_puts_today_and_upcoming_first(admin_client, customer, make_appointment):
    last_week = make_appointment(customer, at(9, day=MONDAY - timedelta(days=7)))
    yesterday = make_appointment(customer, at(9, day=MONDAY - timedelta(days=2)))
    next_week = make_appointment(customer, at(9, day=MONDAY + timedelta(days=7)))
    tomorrow = make_appointment(customer, at(10))
    today_later = make_appointment(customer, at(15, day=MONDAY - timedelta(days=1)))
    listed = [a.pk for a in admin_client.get(CHANGELIST).context["cl"].result_list]
    assert listed == [today_later.pk, tomorrow.pk, next_week.pk, yesterday.pk, last_week.pk]


def test_the_list_leaves_unset_work_status_and_unused_override_blank(
    admin_client, customer, make_appointment
):
    make_appointment(customer, at(10))
    page = admin_client.get(CHANGELIST).content.decode()
    assert work_cells(page) == [""]
    assert "column-override" not in page  # no empty "override" column

    make_appointment(customer, at(11), capacity_override=True, work_status="in_progress")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "column-override" in page and "over capacity" in page
    assert sorted(work_cells(page)) == ["", "in progress"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(12, day=MONDAY - timedelta(days=1)), MONDAY),  # Sunday, closed all day
        (at(10), MONDAY),  # open now
        (at(6), MONDAY),  # before opening: still today
        (at(19), MONDAY + timedelta(days=1)),  # after closing: tomorrow
    ],
)
def test_booking_defaults_to_the_next_open_day(admin_client, shop, now, expected):
    with time_machine.travel(now, tick=False):
        form = admin_client.get(ADD).context["adminform"].form
    assert form["local_day"].value() in (expected, expected.isoformat())


def test_booking_skips_a_closed_day(admin_client, shop):
    Closure.objects.create(date=MONDAY, reason="Thanksgiving")
    form = admin_client.get(ADD).context["adminform"].form
    assert form["local_day"].value() in (MONDAY + timedelta(days=1), (MONDAY + timedelta(days=1)).isoformat())


def test_the_list_says_its_usual_order_and_sorts_only_columns_that_sort_sensibly(admin_client, book):
    book(at(9, 30))

    page = admin_client.get(CHANGELIST).content.decode()

    # No column claims the usual order with an arrow (it is not one column's); a line says it instead.
    assert "Today and upcoming first, the soonest on top" in page
    headers = page.split("<thead", 1)[1].split("</thead>")[0]
    assert not re.search(r'<th class="[^"]*\bsorted\b', headers)
    # Status, vehicle and transport sorted by internal codes: they are filters, not sortable columns.
    for column in ("status_shown", "vehicle", "transport_shown", "work"):
        assert not re.search(rf'<th class="[^"]*\bsortable column-{column}\b', headers), column
    assert re.search(r'<th class="[^"]*\bsortable column-local_start\b', headers)

    by_time = admin_client.get(CHANGELIST, {"o": "2"}).content.decode()
    assert re.search(r'<th class="[^"]*column-local_start sorted ascending', by_time.split("</thead>")[0])
    assert "Back to the usual order" in by_time
