"""A validly signed Twilio webhook is answered even from an address locked out for failed sign-ins."""

import pytest

from voice.tests.conftest import PUBLIC_BASE_URL, twilio_signature

pytestmark = pytest.mark.django_db

INBOUND_URL = "/voice/inbound/"
INBOUND = {"CallSid": "CA" + "7" * 32, "From": "+13125550147", "To": "+13125550100", "CallStatus": "ringing"}
TWILIO_EGRESS = "203.0.113.20"
KEY = "tools-test-key-0123456789-abcdefghij"


def test_a_signed_webhook_from_a_locked_out_address_is_answered(client, twilio, engines, settings):
    settings.TOOLS_API_KEY = KEY
    wrong = {"HTTP_AUTHORIZATION": "Bearer guess", "REMOTE_ADDR": TWILIO_EGRESS}
    for _ in range(5):
        client.get("/tools/", **wrong)
    assert client.get("/tools/", **wrong).status_code == 429  # the address is locked out

    signature = twilio_signature(PUBLIC_BASE_URL + INBOUND_URL, INBOUND)
    response = client.post(INBOUND_URL, INBOUND, HTTP_X_TWILIO_SIGNATURE=signature, REMOTE_ADDR=TWILIO_EGRESS)
    assert response.status_code == 200
    assert "<Stream" in response.content.decode()
