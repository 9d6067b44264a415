"""Fixtures for cross-app tests: the fake provider servers (see tests/fakes/) and a live call's setup.

A call test module opts into an engine with `pytest.mark.usefixtures("cascade_live")` or
`("realtime_live")`; `call` is then the known customer's inbound call on that engine.
"""

import pytest

from scheduling.selectors import availability_find
from tests.calls import configure, inbound_call
from tests.fakes.fixtures import fake_deepgram, fake_openai, fake_realtime, fake_twilio  # noqa: F401
from tests.live import live  # noqa: F401 - the call on each engine, for tests both engines share
from tests.realtime_calls import configure_realtime, realtime_call


@pytest.fixture
def cascade_live(settings, fake_twilio, fake_deepgram, fake_openai, shop, catalog):  # noqa: F811
    """The demo-like shop with every cascade provider (Twilio, Deepgram, OpenAI) on its fake server."""
    configure(settings)


@pytest.fixture
def realtime_live(settings, fake_twilio, fake_realtime, shop, catalog):  # noqa: F811
    """The demo-like shop with Twilio and OpenAI Realtime on their fake servers."""
    configure_realtime(settings)


@pytest.fixture
def call(settings, customer):
    """The call record the inbound webhook makes for the known customer, on the configured engine."""
    if settings.VOICE_ENGINE == "realtime":
        return realtime_call(from_number=customer.phone)
    return inbound_call(from_number=customer.phone)


@pytest.fixture
def vehicle(customer):
    return customer.vehicles.get()


@pytest.fixture
def slot(shop, catalog):
    """The earliest oil-change slot, as the tools would offer it."""
    return availability_find(service_code="oil_change", limit=1).as_dicts()[0]
