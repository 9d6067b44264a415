"""A holiday added after a reminder was timed: the call moves earlier, never onto the appointment day."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.models import Reminder
from reminders.services import reminder_deliver, reminder_retime_for_closures, reminder_schedule
from reminders.tasks import reminders_dispatch
from scheduling.models import Closure

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_9 = datetime(2026, 3, 9, 9, tzinfo=CHICAGO)
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)
APPOINTMENT = datetime(2026, 3, 11, 10, tzinfo=CHICAGO)  # Wednesday
SATURDAY_NOON = datetime(2026, 3, 7, 12, tzinfo=CHICAGO)


@pytest.fixture
def reminder(shop, customer, make_appointment) -> Reminder:
    appointment = make_appointment(customer, APPOINTMENT)
    reminder = reminder_schedule(appointment_id=appointment.pk, now=SATURDAY_NOON - timedelta(days=1))
    assert reminder.due_at == TUESDAY_9
    return reminder


def close(day: date) -> None:
    Closure.objects.create(date=day, reason="Holiday")


@pytest.mark.django_db
def test_a_holiday_added_later_moves_the_call_to_the_day_before_it(reminder, telephony):
    close(date(2026, 3, 10))

    with time_machine.travel(SATURDAY_NOON, tick=False):
        queued = reminders_dispatch()

    assert queued == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel, reminder.due_at) == ("pending", "call", MONDAY_9)
    assert reminder.status_reason.startswith("A holiday was added on the day it was due.")
    assert telephony.requests == []


@pytest.mark.django_db
def test_reminders_not_due_on_the_holiday_are_left_alone(reminder, customer, make_appointment):
    others = [
        reminder_schedule(appointment_id=make_appointment(customer, start).pk, now=SATURDAY_NOON)
        for start in (APPOINTMENT - timedelta(days=1), APPOINTMENT + timedelta(days=1))
    ]
    assert [o.due_at for o in others] == [MONDAY_9, APPOINTMENT.replace(hour=9)]
    close(date(2026, 3, 10))

    assert reminder_retime_for_closures(now=SATURDAY_NOON) == 1

    for other in others:
        due = other.due_at
        other.refresh_from_db()
        assert other.due_at == due
    reminder.refresh_from_db()
    assert reminder.due_at == MONDAY_9


@pytest.mark.django_db
def test_a_holiday_found_at_send_time_texts_instead_of_calling_on_the_appointment_day(reminder, telephony):
    close(date(2026, 3, 10))  # added too late for the dispatcher to move the call to Monday

    with time_machine.travel(TUESDAY_9, tick=False):
        reminder_deliver(reminder_id=reminder.pk)

    assert telephony.requests_to("/Calls.json") == []
    reminder.refresh_from_db()
    assert (reminder.status, reminder.channel, reminder.due_at) == ("pending", "sms", TUESDAY_9)
    assert "No calling-window time is left on the days before the appointment" in reminder.status_reason

    with time_machine.travel(TUESDAY_9, tick=False):
        reminder_deliver(reminder_id=reminder.pk)

    assert len(telephony.requests_to("/Messages.json")) == 1
    assert telephony.requests_to("/Calls.json") == []
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DELIVERED
