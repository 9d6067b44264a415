"""Many dispatchers at the same instant, each on its own PostgreSQL connection: every due reminder is
dialled exactly once (counted by what the fake Twilio received, not by our own records)."""

import threading
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from crm.models import Customer
from reminders.models import Reminder, ReminderAttempt
from reminders.services import reminder_schedule
from reminders.tasks import reminders_dispatch

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_10 = datetime(2026, 3, 10, 10, tzinfo=CHICAGO)
DISPATCHERS = 12
REMINDERS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_dial_each_due_reminder_exactly_once(
    shop, make_appointment, telephony, eager_celery
):
    assert connection.vendor == "postgresql", "this test proves the conditional UPDATE on PostgreSQL"
    numbers = [f"+1312555{2000 + i:04d}" for i in range(REMINDERS)]
    for number in numbers:
        customer = Customer.objects.create(name=f"Customer {number[-4:]}", phone=number)
        appointment = make_appointment(customer, TUESDAY_10 + timedelta(days=1))
        reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_10 - timedelta(days=2))
    assert Reminder.objects.filter(status="pending", due_at__lte=TUESDAY_10).count() == REMINDERS

    barrier = threading.Barrier(DISPATCHERS)
    errors: list[str] = []

    def dispatcher() -> None:
        try:
            connection.ensure_connection()  # connect first, so all dispatchers really start together
            barrier.wait(timeout=30)
            reminders_dispatch()  # queues deliveries; eager Celery runs them here, concurrently
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    with time_machine.travel(TUESDAY_10, tick=True):
        threads = [threading.Thread(target=dispatcher) for _ in range(DISPATCHERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    dialled = Counter(r.value("To") for r in telephony.requests_to("/Calls.json"))
    assert dialled == Counter({number: 1 for number in numbers})
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.CALLING}
    assert ReminderAttempt.objects.count() == REMINDERS
