"""Shared pieces for voice tests: Twilio-signed requests, a recording engine, a call we answered."""

import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping

import pytest

from voice.engines import register_engine, unregister_engine
from voice.models import Call
from voice.tests.engines import RecordingEngine

AUTH_TOKEN = "test-auth-token"
PUBLIC_BASE_URL = "https://shop.example.com"


def twilio_signature(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it: HMAC-SHA1 over the URL plus sorted name+value pairs."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def twilio(settings) -> None:
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.TWILIO_VALIDATE_SIGNATURES = True
    settings.DEBUG = False
    settings.TRANSFER_PHONE_NUMBER = ""
    settings.VOICE_ENGINE = "recording"


@pytest.fixture
def engines() -> Iterator[list[RecordingEngine]]:
    """Registers the "recording" engine; the list collects every instance the sessions create."""
    created: list[RecordingEngine] = []
    register_engine("recording", lambda: RecordingEngine(created))
    yield created
    unregister_engine("recording")


@pytest.fixture
def answered_call(transactional_db) -> Call:
    return Call.objects.create(
        call_sid="CA" + "1" * 32,
        direction=Call.Direction.INBOUND,
        from_number="+13125550147",
        to_number="+13125550100",
        engine="recording",
    )
