"""The last slot, fought over by many real PostgreSQL connections at the same instant."""

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from dealership.core.errors import SlotTaken
from scheduling.models import Appointment
from scheduling.services import appointment_book

CHICAGO = ZoneInfo("America/Chicago")
CALLERS = 24


@pytest.mark.django_db(transaction=True)
def test_it_never_overbooks_when_many_callers_take_the_last_slot_at_once(shop, catalog, customer):
    assert connection.vendor == "postgresql", "this test proves row locking on PostgreSQL"
    monday = datetime.now(CHICAGO).date() + timedelta(days=7 - datetime.now(CHICAGO).weekday())
    start = datetime.combine(monday, time(10), tzinfo=CHICAGO)
    appointment_book(customer=customer, service_code="oil_change", start=start, channel="staff")
    remaining = shop.per_slot_capacity - 1

    barrier = threading.Barrier(CALLERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def caller() -> None:
        try:
            barrier.wait()
            appointment_book(customer=customer, service_code="oil_change", start=start, channel="ai_phone")
            result = "booked"
        except SlotTaken as taken:
            result = f"taken:{taken.message}:{len(taken.extra['alternatives'])}"
        except Exception as exc:  # anything else is a bug the assertion below will show
            result = f"error:{exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("booked") == remaining
    refusals = [o for o in outcomes if o.startswith("taken:")]
    assert len(refusals) == CALLERS - remaining, outcomes
    assert all("was just taken" in r and not r.endswith(":0") for r in refusals)
    assert Appointment.objects.filter(start=start).count() == shop.per_slot_capacity
