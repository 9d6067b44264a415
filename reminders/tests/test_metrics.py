"""The reminder figures on /metrics (dealership.metrics): due reminders queued by the dispatcher, calls
placed and texts sent by delivery."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from prometheus_client import REGISTRY

from reminders.services import reminder_schedule
from reminders.tasks import reminders_dispatch

CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9 = datetime(2026, 3, 10, 9, tzinfo=CHICAGO)


def figure(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_counts_what_it_queued_and_delivery_what_it_placed(
    shop, customer, make_appointment, telephony, eager_celery
):
    appointment = make_appointment(customer, datetime(2026, 3, 11, 10, tzinfo=CHICAGO))
    reminder_schedule(appointment_id=appointment.pk, now=TUESDAY_9 - timedelta(days=1))
    queued = figure("dealership_reminders_queued_total")
    placed = figure("dealership_reminder_deliveries_total", channel="call", result="placed")

    with time_machine.travel(TUESDAY_9, tick=False):
        assert reminders_dispatch() == 1  # eager Celery delivers it as the queue would, on commit

    assert telephony.requests_to("/Calls.json")
    assert figure("dealership_reminders_queued_total") == queued + 1
    assert figure("dealership_reminder_deliveries_total", channel="call", result="placed") == placed + 1
