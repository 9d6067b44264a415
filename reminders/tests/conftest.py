"""Reminder test helpers: the fake Twilio server configured for calls (`eager_celery` and
`make_appointment` are in the root conftest.py)."""

import pytest

from tests.fakes.fixtures import fake_twilio  # noqa: F401

PUBLIC_BASE_URL = "https://shop.example.com"


@pytest.fixture
def telephony(settings, fake_twilio):  # noqa: F811
    """Twilio (the fake) configured, a public URL for callbacks, no allowlist."""
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.OUTBOUND_CALL_ALLOWLIST = []
    settings.VOICE_ENGINE = "cascade"
    return fake_twilio
