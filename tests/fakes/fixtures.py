"""Pytest fixtures that run a fake provider and point the settings (and so the real SDKs) at it.

Import the ones you need into a conftest.py: `from tests.fakes.fixtures import fake_twilio  # noqa: F401`.
"""

from collections.abc import Iterator

import pytest

from tests.fakes import fake_deepgram as deepgram
from tests.fakes import fake_openai as openai
from tests.fakes import fake_realtime as realtime
from tests.fakes import fake_twilio as twilio


@pytest.fixture
def fake_twilio(settings) -> Iterator[twilio.FakeTwilio]:
    with twilio.FakeTwilio() as fake:
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_PHONE_NUMBER = twilio.PHONE_NUMBER
        settings.TWILIO_API_BASE_URL = fake.http_url
        yield fake


@pytest.fixture
def fake_deepgram(settings) -> Iterator[deepgram.FakeDeepgram]:
    with deepgram.FakeDeepgram() as fake:
        settings.DEEPGRAM_API_KEY = fake.api_key
        settings.DEEPGRAM_BASE_URL = fake.http_url
        yield fake


@pytest.fixture
def fake_openai(settings) -> Iterator[openai.FakeOpenAI]:
    with openai.FakeOpenAI() as fake:
        settings.OPENAI_API_KEY = fake.api_key
        settings.OPENAI_BASE_URL = fake.base_url
        yield fake


@pytest.fixture
def fake_realtime(settings) -> Iterator[realtime.FakeRealtime]:
    """A fake OpenAI Realtime server; note it takes over OPENAI_BASE_URL/OPENAI_API_KEY (like fake_openai)."""
    with realtime.FakeRealtime() as fake:
        settings.OPENAI_API_KEY = fake.api_key
        settings.OPENAI_BASE_URL = fake.base_url
        yield fake
