"""Helpers for the CRM tests: appointments made directly as rows (booking rules are not under test)."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from crm.models import Customer
from crm.selectors import shop_phone_region_forget
from scheduling.models import Appointment, ServiceType, Shop

MakeAppointment = Callable[..., Appointment]


@pytest.fixture(autouse=True)
def _fresh_region_cache():
    # A rolled-back test Shop sends no signal; never let its region leak into the next test.
    shop_phone_region_forget()
    yield
    shop_phone_region_forget()


@pytest.fixture
def make_appointment(shop: Shop, catalog: dict[str, ServiceType]) -> MakeAppointment:
    def make(
        customer: Customer,
        start: datetime,
        code: str = "oil_change",
        status: str = Appointment.Status.SCHEDULED,
        **extra,
    ) -> Appointment:
        service = catalog[code]
        return Appointment.objects.create(
            customer=customer,
            service_type=service,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
            local_date=start.astimezone(shop.zone).date(),
            duration_minutes=service.duration_minutes,
            price_quoted=service.price,
            status=status,
            **extra,
        )

    return make
