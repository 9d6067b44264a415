from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from crm.models import Customer
from reminders.models import Reminder
from reminders.services import reminder_schedule
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule

CHICAGO = ZoneInfo("America/Chicago")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
MONDAY_NOON = datetime(2026, 3, 9, 12, tzinfo=CHICAGO)


def book(customer, start, capture):
    with capture(execute=True):
        return appointment_book(customer=customer, service_code="oil_change", start=start, channel="ai_phone")


@pytest.mark.django_db
def test_booking_creates_a_reminder_call_the_day_before(
    shop, catalog, customer, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_NOON, tick=False):
        appointment = book(
            customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO), django_capture_on_commit_callbacks
        )

    reminder = Reminder.objects.get(appointment=appointment)
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.channel == Reminder.Channel.CALL
    assert reminder.due_at == datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
    assert (reminder.customer_zone, reminder.zone_source) == ("America/Chicago", "area code")


@pytest.mark.django_db
def test_a_booking_made_on_a_test_call_gets_no_reminder(
    shop, catalog, customer, django_capture_on_commit_callbacks
):
    """The browser test call may be made as a real customer: its booking must never call or text them."""
    with time_machine.travel(MONDAY_NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(
            customer=customer,
            service_code="oil_change",
            start=datetime(2026, 3, 11, 10, tzinfo=CHICAGO),
            channel="ai_phone",
            is_test=True,
        )
        appointment_reschedule(
            appointment_id=appointment.pk, start=datetime(2026, 3, 12, 10, tzinfo=CHICAGO), channel="ai_phone"
        )

    assert not Reminder.objects.filter(appointment=appointment).exists()


@pytest.mark.django_db
def test_a_customer_with_an_address_elsewhere_is_called_in_their_own_morning(
    shop, catalog, customer, django_capture_on_commit_callbacks
):
    Customer.objects.filter(pk=customer.pk).update(state="CA")
    with time_machine.travel(MONDAY_NOON, tick=False):
        appointment = book(
            customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO), django_capture_on_commit_callbacks
        )

    reminder = Reminder.objects.get(appointment=appointment)
    assert reminder.due_at == datetime(2026, 3, 10, 9, tzinfo=LOS_ANGELES)
    assert reminder.zone_source == "address"


@pytest.mark.django_db
def test_rescheduling_re_times_the_reminder_and_cancelling_voids_it(
    shop, catalog, customer, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_NOON, tick=False):
        appointment = book(
            customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO), django_capture_on_commit_callbacks
        )
        with django_capture_on_commit_callbacks(execute=True):
            appointment_reschedule(
                appointment_id=appointment.pk,
                start=datetime(2026, 3, 13, 14, tzinfo=CHICAGO),
                channel="staff",
            )
        reminder = Reminder.objects.get(appointment=appointment)
        assert reminder.due_at == datetime(2026, 3, 12, 9, tzinfo=CHICAGO)
        assert reminder.status == Reminder.Status.PENDING

        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(appointment_id=appointment.pk, channel="staff")

    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.CANCELLED
    assert reminder.due_at is None
    assert Reminder.objects.filter(appointment=appointment).count() == 1


@pytest.mark.django_db
def test_a_customer_who_opted_out_of_calls_gets_a_text_instead(
    shop, catalog, customer, django_capture_on_commit_callbacks
):
    Customer.objects.filter(pk=customer.pk).update(calls_opted_out_at=timezone.now())
    with time_machine.travel(MONDAY_NOON, tick=False):
        appointment = book(
            customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO), django_capture_on_commit_callbacks
        )

    reminder = Reminder.objects.get(appointment=appointment)
    assert reminder.channel == Reminder.Channel.SMS
    assert reminder.due_at == datetime(2026, 3, 10, 8, tzinfo=CHICAGO)
    assert "opted out of calls" in reminder.status_reason


@pytest.mark.django_db
def test_a_late_evening_booking_for_the_next_morning_gets_only_a_text(shop, customer, make_appointment):
    appointment = make_appointment(customer, datetime(2026, 3, 10, 9, 30, tzinfo=CHICAGO))
    now = datetime(2026, 3, 9, 20, 30, tzinfo=CHICAGO)

    reminder = reminder_schedule(appointment_id=appointment.pk, now=now)

    assert reminder.channel == Reminder.Channel.SMS
    assert reminder.due_at == now
    assert "No calling-window time is left" in reminder.status_reason


@pytest.mark.django_db
def test_with_no_time_left_at_all_the_reminder_is_skipped_with_the_reason(shop, customer, make_appointment):
    appointment = make_appointment(customer, datetime(2026, 3, 10, 9, tzinfo=CHICAGO))

    reminder = reminder_schedule(
        appointment_id=appointment.pk, now=datetime(2026, 3, 9, 21, 30, tzinfo=CHICAGO)
    )

    assert reminder.status == Reminder.Status.SKIPPED
    assert reminder.due_at is None
    assert "No calling-window time is left" in reminder.status_reason
    assert "No time is left to text" not in reminder.status_reason


@pytest.mark.django_db
def test_moving_an_appointment_during_its_reminder_call_does_not_call_again(shop, customer, make_appointment):
    now = datetime(2026, 3, 10, 10, tzinfo=CHICAGO)
    appointment = make_appointment(customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO))
    reminder = reminder_schedule(appointment_id=appointment.pk, now=now - timedelta(days=1))
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.CALLING)
    appointment.start = datetime(2026, 3, 11, 15, tzinfo=CHICAGO)
    appointment.save()

    reminder = reminder_schedule(appointment_id=appointment.pk, now=now)

    assert reminder.status == Reminder.Status.CALLING
    assert "no second reminder" in reminder.status_reason
