"""Advisor-only writes: status steps and detail edits."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm.models import Customer, Vehicle
from dealership.core.errors import ApplicationError
from scheduling.desk import appointment_details_update, appointment_status_set, status_choices_for
from scheduling.models import Appointment, AppointmentChange
from scheduling.services import appointment_book

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=CHICAGO)
MONDAY_930 = datetime.combine(NOW.date() + timedelta(days=1), time(9, 30), tzinfo=CHICAGO)


@pytest.fixture
def appointment(shop, catalog, customer):
    with time_machine.travel(NOW, tick=False):
        return appointment_book(
            customer=customer, service_code="oil_change", start=MONDAY_930, channel="staff"
        )


def test_it_walks_an_appointment_through_its_day(appointment, admin_user):
    with time_machine.travel(MONDAY_930, tick=False):
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
    with time_machine.travel(MONDAY_930 - timedelta(minutes=1), tick=False), pytest.raises(ApplicationError):
        appointment_status_set(appointment_id=appointment.pk, status="no_show", user=None)
    with time_machine.travel(MONDAY_930 + timedelta(minutes=20), tick=False):
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
