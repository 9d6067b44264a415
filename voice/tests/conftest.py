"""Shared pieces for voice tests: Twilio-signed requests, a recording engine, a call we answered."""

import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping

import pytest

from scheduling.models import Appointment
from voice.engines import register_engine, unregister_engine
from voice.models import Call
from voice.tests.engines import RecordingEngine
from voice.tools.context import ToolContext
from voice.tools.registry import execute_tool

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


@pytest.fixture
def booked(shop, catalog, customer) -> Appointment:
    """The customer's oil change on Monday 2026-11-23 at 9:00, booked through the tools API (tests
    using it travel to the Sunday before)."""
    result = execute_tool(
        "schedule_appointment",
        {"customer_id": customer.pk, "datetime": "2026-11-23T09:00:00-06:00", "service_type": "oil_change"},
        context=ToolContext(channel="web"),
    )
    assert result["success"], result
    return Appointment.objects.get(pk=result["appointment_id"])
