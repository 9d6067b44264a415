import pytest

from voice.engines import engine_for_number
from voice.models import Call
from voice.tests.conftest import PUBLIC_BASE_URL, twilio_signature

INBOUND = {"CallSid": "CA" + "c" * 32, "From": "+13125550147", "To": "+13125550100", "CallStatus": "ringing"}


def test_it_picks_the_engine_listed_for_the_number_called(settings):
    settings.VOICE_ENGINE = "cascade"
    settings.VOICE_ENGINE_BY_NUMBER = {" +1 (312) 555-0100": "realtime", "+13125550101": "cascade"}

    assert engine_for_number("+13125550100") == "realtime"
    assert engine_for_number("+13125550101") == "cascade"
    assert engine_for_number("+13125550199") == "cascade"  # not listed: VOICE_ENGINE
    assert engine_for_number("") == "cascade"


def test_an_unparseable_entry_only_matches_itself(settings):
    settings.VOICE_ENGINE = "cascade"
    settings.VOICE_ENGINE_BY_NUMBER = {"sip:front-desk": "realtime", "+13125550100": " "}

    assert engine_for_number("sip:front-desk") == "realtime"
    assert engine_for_number("+13125550100") == "cascade"  # an empty name is no choice


@pytest.mark.django_db
def test_the_inbound_webhook_records_and_streams_the_numbers_engine(client, twilio, engines, settings):
    settings.VOICE_ENGINE_BY_NUMBER = {"+13125550100": "recording"}
    settings.VOICE_ENGINE = "cascade"
    signature = twilio_signature(PUBLIC_BASE_URL + "/voice/inbound/", INBOUND)

    response = client.post("/voice/inbound/", INBOUND, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    assert b'<Parameter name="engine" value="recording"' in response.content
    assert Call.objects.get(call_sid=INBOUND["CallSid"]).engine == "recording"
