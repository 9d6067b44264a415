"""Reminder test helpers: the fake Twilio server, eager Celery, appointments at chosen times."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from crm.models import Customer
from dealership.celery import app as celery_app
from scheduling.models import Appointment, ServiceType
from tests.fakes.fixtures import fake_twilio  # noqa: F401

PUBLIC_BASE_URL = "https://shop.example.com"


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run inline where they are queued (on commit), as a worker would run them."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def telephony(settings, fake_twilio):  # noqa: F811
    """Twilio (the fake) configured, a public URL for callbacks, no allowlist."""
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.OUTBOUND_CALL_ALLOWLIST = []
    settings.VOICE_ENGINE = "cascade"
    return fake_twilio


@pytest.fixture
def make_appointment(shop, catalog) -> Callable[..., Appointment]:
    """An appointment written directly (no availability rules): tests pick any instant."""

    def make(
        customer: Customer, start: datetime, *, status: str = Appointment.Status.SCHEDULED
    ) -> Appointment:
        service: ServiceType = catalog["oil_change"]
        return Appointment.objects.create(
            customer=customer,
            service_type=service,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            local_date=start.astimezone(shop.zone).date(),
            duration_minutes=service.duration_minutes,
            price_quoted=service.price,
            status=status,
        )

    return make
