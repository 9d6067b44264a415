"""Fixtures the scheduling tests share: time frozen at clock.NOW, booking through the real service, and
the fake Google Calendar."""

from collections.abc import Callable, Iterator

import pytest
import time_machine

from crm.models import Customer
from scheduling.models import Appointment
from scheduling.services import appointment_book
from scheduling.tests.clock import NOW
from tests.fakes.fake_google import FakeGoogle


@pytest.fixture
def frozen() -> Iterator[None]:
    """Time stands still at NOW; a module opts in with `pytestmark = pytest.mark.usefixtures("frozen")`."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(shop, catalog, customer: Customer) -> Callable[..., Appointment]:
    """Book through the real service, as the AI does unless `channel` says otherwise."""

    def _book(start, code="oil_change", who=customer, **kwargs) -> Appointment:
        kwargs.setdefault("channel", Appointment.Channel.AI_PHONE)
        return appointment_book(customer=who, service_code=code, start=start, **kwargs)

    return _book


@pytest.fixture
def google(settings) -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.configure(settings)
        yield fake
