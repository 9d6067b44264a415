from datetime import UTC, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission, User

from crm.models import Customer, Vehicle
from dealership.core.errors import ApplicationError, NotFound, SlotTaken
from scheduling.models import Appointment, AppointmentChange, Closure
from scheduling.services import (
    appointment_cancel,
    appointment_confirmation,
    appointment_details_update,
    appointment_reschedule,
    appointment_status_set,
    status_choices_for,
)
from scheduling.tests.clock import MONDAY, NOW, at

pytestmark = pytest.mark.usefixtures("frozen")

AI = Appointment.Channel.AI_PHONE
STAFF = Appointment.Channel.STAFF


def test_it_books_with_duration_and_price_from_the_catalog(book, customer):
    appointment = book(at(9), code="diagnostic", notes="grinding noise when braking")
    appointment.refresh_from_db()
    assert appointment.customer == customer
    assert appointment.duration_minutes == 90
    assert str(appointment.price_quoted) == "149.00"
    assert appointment.end - appointment.start == timedelta(minutes=90)
    assert appointment.local_date == MONDAY
    assert appointment.vehicle == customer.vehicles.get()  # the only vehicle is assumed
    assert appointment.start == at(9).astimezone(UTC)
    assert appointment.changes.get().kind == AppointmentChange.Kind.BOOKED


def test_it_reads_back_weekday_date_time_and_service(book):
    confirmation = appointment_confirmation(book(at(9, 30)))
    assert confirmation.startswith("Oil change for the 2019 Honda Civic on Monday, November 23 at 9:30 AM")


@pytest.mark.parametrize(
    ("start", "sentence"),
    [
        (at(9, day=NOW.date() - timedelta(days=1)), "has already passed"),
        (NOW + timedelta(minutes=30), "notice"),
        (at(9, day=NOW.date() + timedelta(days=7)), "closed on Sunday, November 29"),
        (at(19), "outside our opening hours"),
        (at(9, 10), "start every 30 minutes"),
    ],
)
def test_it_refuses_times_with_a_readable_sentence(book, start, sentence):
    with pytest.raises(ApplicationError) as error:
        book(start)
    assert sentence in error.value.message
    assert Appointment.objects.count() == 0


def test_it_names_the_holiday_when_refusing_a_closed_day(book):
    Closure.objects.create(date=MONDAY, reason="Thanksgiving")
    with pytest.raises(ApplicationError, match="closed on Monday, November 23 for Thanksgiving") as error:
        book(at(9))
    assert error.value.extra["alternatives"][0]["date"] == "2026-11-24"


def test_it_refuses_an_unknown_service(book):
    with pytest.raises(NotFound, match="don't have a service called 'teleport'"):
        book(at(9), code="teleport")


def test_it_accepts_a_spoken_service_name(book):
    assert book(at(9), code="Tire Rotation").service_type.code == "tire_rotation"


def test_it_refuses_a_vehicle_of_another_customer(book):
    other = Customer.objects.create(name="Other", phone="+13125550999")
    vehicle = Vehicle.objects.create(customer=other, make="Ford")
    with pytest.raises(ApplicationError, match="different customer"):
        book(at(9), vehicle=vehicle)


def test_it_answers_a_full_slot_with_nearby_alternatives(book):
    book(at(9))
    book(at(9))
    with pytest.raises(SlotTaken) as error:
        book(at(9))
    assert "was just taken" in error.value.message
    times = [alt["time"] for alt in error.value.extra["alternatives"]]
    assert times == ["08:00", "08:30", "09:30"]  # the closest to 9:00, ties to the earlier time
    assert Appointment.objects.filter(start=at(9)).count() == 2


def test_it_lets_only_permitted_staff_override_capacity(book, customer):
    book(at(9))
    book(at(9))
    advisor = User.objects.create_user("advisor", password="x", is_staff=True)
    with pytest.raises(ApplicationError, match="permission"):
        book(at(9), channel=STAFF, user=advisor, override=True)
    advisor.user_permissions.add(Permission.objects.get(codename="override_capacity"))
    advisor = User.objects.get(pk=advisor.pk)
    appointment = book(at(9), channel=STAFF, user=advisor, override=True, override_reason="fleet customer")
    assert appointment.capacity_override and appointment.override_by == advisor
    assert appointment.override_reason == "fleet customer"
    assert "capacity override" in appointment.changes.get().detail


def test_it_never_overrides_opening_hours(book):
    admin = User.objects.create_superuser("boss", password="x")
    with pytest.raises(ApplicationError, match="outside our opening hours"):
        book(at(19), channel=STAFF, user=admin, override=True)


def test_it_reschedules_without_counting_the_old_time_as_busy(shop, book):
    shop.technician_minutes_per_day = 60
    shop.save()
    first = book(at(8))
    book(at(9))
    moved = appointment_reschedule(appointment_id=first.pk, start=at(10), channel=AI)
    assert moved.start == at(10)
    change = moved.changes.get(kind=AppointmentChange.Kind.RESCHEDULED)
    assert change.old_start == at(8) and change.new_start == at(10)


def test_it_moves_an_appointment_to_another_day(book):
    appointment = book(at(9))
    tuesday = MONDAY + timedelta(days=1)
    moved = appointment_reschedule(appointment_id=appointment.pk, start=at(14, day=tuesday), channel=AI)
    assert moved.local_date == tuesday


def test_it_refuses_to_reschedule_into_a_full_slot(book):
    appointment = book(at(8))
    book(at(9))
    book(at(9))
    with pytest.raises(SlotTaken):
        appointment_reschedule(appointment_id=appointment.pk, start=at(9), channel=AI)
    appointment.refresh_from_db()
    assert appointment.start == at(8)


def test_it_frees_capacity_at_once_on_cancel_and_keeps_history(book):
    first = book(at(9))
    book(at(9))
    appointment_cancel(appointment_id=first.pk, channel=AI, reason="car sold")
    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED and first.cancel_reason == "car sold"
    assert book(at(9)).pk
    with pytest.raises(ApplicationError, match="already cancelled"):
        appointment_cancel(appointment_id=first.pk, channel=AI)
    with pytest.raises(ApplicationError, match="already cancelled"):
        appointment_reschedule(appointment_id=first.pk, start=at(10), channel=AI)


def test_it_refuses_an_unknown_appointment(shop):
    with pytest.raises(NotFound, match="can't find appointment number 999"):
        appointment_cancel(appointment_id=999, channel=AI)


def test_it_keeps_the_ai_away_from_services_staff_book_themselves(book, catalog):
    catalog["diagnostic"].bookable_by_ai = False
    catalog["diagnostic"].save()
    with pytest.raises(NotFound):
        book(at(9), code="diagnostic")
    assert book(at(9), code="diagnostic", channel=STAFF).pk


def test_it_refuses_waiting_for_a_job_that_is_not_waiter_eligible(book):
    with pytest.raises(ApplicationError, match="drop-off"):
        book(at(9), code="diagnostic", waiter=True)


# Advisor-only writes: status steps and detail edits.


@pytest.fixture
def appointment(book):
    return book(at(9, 30), channel=STAFF)


def test_it_walks_an_appointment_through_its_day(appointment, admin_user):
    with time_machine.travel(at(9, 30), tick=False):
        for status in ("confirmed", "arrived", "completed"):
            appointment_status_set(appointment_id=appointment.pk, status=status, user=admin_user)
    steps = AppointmentChange.objects.filter(kind=AppointmentChange.Kind.STATUS).values_list(
        "detail", flat=True
    )
    assert list(steps) == ["scheduled → confirmed", "confirmed → arrived", "arrived → completed"]


@pytest.mark.parametrize(
    ("start_status", "wanted", "sentence"),
    [
        ("completed", "arrived", "is completed; it can't be marked arrived."),
        ("cancelled", "confirmed", "is cancelled; it can't be marked confirmed."),
        ("scheduled", "cancelled", "is scheduled; it can't be marked cancelled."),
        ("scheduled", "bogus", "'bogus' isn't an appointment status."),
    ],
)
def test_it_refuses_steps_that_make_no_sense(appointment, start_status, wanted, sentence):
    Appointment.objects.filter(pk=appointment.pk).update(status=start_status)
    with pytest.raises(ApplicationError) as refused:
        appointment_status_set(appointment_id=appointment.pk, status=wanted, user=None)
    assert sentence in refused.value.message
    assert Appointment.objects.get(pk=appointment.pk).status == start_status


def test_it_records_a_no_show_only_once_the_time_has_passed(appointment):
    with time_machine.travel(at(9, 30) - timedelta(minutes=1), tick=False), pytest.raises(ApplicationError):
        appointment_status_set(appointment_id=appointment.pk, status="no_show", user=None)
    with time_machine.travel(at(9, 30) + timedelta(minutes=20), tick=False):
        appointment_status_set(appointment_id=appointment.pk, status="no_show", user=None)
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.NO_SHOW


def test_it_offers_only_the_allowed_statuses():
    assert [v for v, _ in status_choices_for("confirmed")] == ["confirmed", "arrived", "completed", "no_show"]
    assert [v for v, _ in status_choices_for("cancelled")] == ["cancelled"]


def test_it_changes_details_but_not_to_another_customers_vehicle(appointment):
    stranger = Customer.objects.create(name="Lee Park", phone="+17735550122")
    kia = Vehicle.objects.create(customer=stranger, make="Kia")
    with pytest.raises(ApplicationError, match="different customer"):
        appointment_details_update(appointment_id=appointment.pk, vehicle=kia, notes="", user=None)
    appointment_details_update(appointment_id=appointment.pk, vehicle=None, notes="rattle", user=None)
    appointment.refresh_from_db()
    assert (appointment.vehicle, appointment.notes) == (None, "rattle")
