import xml.etree.ElementTree as ET

import pytest

from voice.models import Call
from voice.tests.conftest import PUBLIC_BASE_URL, twilio_signature

INBOUND_URL = "/voice/inbound/"
STATUS_URL = "/voice/status/"
CALL_SID = "CA" + "a" * 32
INBOUND = {
    "CallSid": CALL_SID,
    "AccountSid": "AC" + "b" * 32,
    "From": "+13125550147",
    "To": "+13125550100",
    "CallStatus": "ringing",
    "Direction": "inbound",
}


def post_signed(client, path, params, *, url=None):
    signature = twilio_signature(url or PUBLIC_BASE_URL + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def stream_of(response) -> tuple[ET.Element, dict[str, str]]:
    root = ET.fromstring(response.content)
    stream = root.find("./Connect/Stream")
    assert stream is not None, response.content
    return stream, {p.get("name"): p.get("value") for p in stream.findall("Parameter")}


def test_the_signing_helper_matches_twilios_published_vector():
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, token="12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.mark.django_db
def test_it_answers_a_signed_call_with_a_media_stream(client, twilio, engines, customer):
    response = post_signed(client, INBOUND_URL, INBOUND)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    stream, params = stream_of(response)
    assert stream.get("url") == "wss://shop.example.com/voice/stream/"
    call = Call.objects.get(call_sid=CALL_SID)
    assert call.direction == Call.Direction.INBOUND
    assert call.from_number == "+13125550147"
    assert call.customer == customer
    assert params["call_sid"] == CALL_SID
    assert params["call_id"] == str(call.pk)
    assert params["from"] == "+13125550147"
    assert params["engine"] == "recording"
    assert params["token"] == call.stream_token
    # If the stream ever closes with the call still up, the caller hears an apology, not silence.
    assert ET.fromstring(response.content).find("Say") is not None


@pytest.mark.django_db
def test_a_retried_webhook_keeps_one_call_and_its_token(client, twilio, engines):
    _, first = stream_of(post_signed(client, INBOUND_URL, INBOUND))
    _, second = stream_of(post_signed(client, INBOUND_URL, INBOUND))

    assert Call.objects.count() == 1
    assert first["token"] == second["token"]


@pytest.mark.django_db
def test_an_unknown_caller_is_recorded_without_a_customer(client, twilio, engines):
    post_signed(client, INBOUND_URL, {**INBOUND, "From": "anonymous"})

    call = Call.objects.get(call_sid=CALL_SID)
    assert call.customer is None
    assert call.from_number == "anonymous"


@pytest.mark.django_db
def test_it_refuses_a_bad_signature(client, twilio, engines):
    response = client.post(INBOUND_URL, INBOUND, HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl")

    assert response.status_code == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_missing_signature(client, twilio, engines):
    assert client.post(INBOUND_URL, INBOUND).status_code == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_it_refuses_parameters_changed_after_signing(client, twilio, engines):
    signature = twilio_signature(PUBLIC_BASE_URL + INBOUND_URL, INBOUND)
    tampered = {**INBOUND, "From": "+15555550000"}

    assert client.post(INBOUND_URL, tampered, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403


@pytest.mark.django_db
def test_without_public_base_url_it_checks_the_url_the_request_came_to(client, twilio, engines, settings):
    settings.PUBLIC_BASE_URL = ""

    response = post_signed(client, INBOUND_URL, INBOUND, url="http://testserver/voice/inbound/")

    assert response.status_code == 200
    stream, _ = stream_of(response)
    assert stream.get("url") == "wss://testserver/voice/stream/"


@pytest.mark.django_db
def test_it_refuses_every_request_when_no_auth_token_is_configured(client, twilio, engines, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    assert post_signed(client, INBOUND_URL, INBOUND).status_code == 403


@pytest.mark.django_db
def test_disabling_the_check_works_in_debug(client, twilio, engines, settings):
    settings.DEBUG = True
    settings.TWILIO_VALIDATE_SIGNATURES = False

    assert client.post(INBOUND_URL, INBOUND).status_code == 200


@pytest.mark.django_db
def test_disabling_the_check_is_ignored_without_debug(client, twilio, engines, settings):
    settings.TWILIO_VALIDATE_SIGNATURES = False

    assert client.post(INBOUND_URL, INBOUND).status_code == 403


@pytest.mark.django_db
def test_a_missing_call_sid_is_a_readable_400(client, twilio, engines):
    params = {k: v for k, v in INBOUND.items() if k != "CallSid"}

    response = post_signed(client, INBOUND_URL, params)

    assert response.status_code == 400
    assert b"CallSid" in response.content


@pytest.mark.django_db
def test_get_is_not_allowed(client, twilio):
    assert client.get(INBOUND_URL).status_code == 405


@pytest.mark.django_db
def test_an_unavailable_engine_apologises_and_transfers(client, twilio, settings):
    settings.VOICE_ENGINE = "no-such-engine"
    settings.TRANSFER_PHONE_NUMBER = "+13125550199"

    response = post_signed(client, INBOUND_URL, INBOUND)

    root = ET.fromstring(response.content)
    assert response.status_code == 200
    assert root.find("./Connect") is None
    assert root.find("./Say") is not None
    assert root.find("./Dial/Number").text == "+13125550199"
    assert "no-such-engine" in Call.objects.get(call_sid=CALL_SID).last_error


@pytest.mark.django_db
def test_the_status_callback_records_the_end_of_the_call(client, twilio, engines):
    post_signed(client, INBOUND_URL, INBOUND)

    response = post_signed(
        client,
        STATUS_URL,
        {"CallSid": CALL_SID, "CallStatus": "completed", "CallDuration": "42", "AnsweredBy": "human"},
    )

    assert response.status_code == 200
    call = Call.objects.get(call_sid=CALL_SID)
    assert call.status == Call.Status.COMPLETED
    assert call.duration_seconds == 42
    assert call.answered_by == "human"
    assert call.ended_at is not None
    assert call.outcome == Call.Outcome.ABANDONED


@pytest.mark.django_db
def test_the_status_callback_keeps_an_outcome_already_reached(client, twilio, engines):
    post_signed(client, INBOUND_URL, INBOUND)
    Call.objects.filter(call_sid=CALL_SID).update(outcome=Call.Outcome.BOOKED)

    post_signed(client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "completed", "CallDuration": "180"})

    assert Call.objects.get(call_sid=CALL_SID).outcome == Call.Outcome.BOOKED


@pytest.mark.django_db
def test_a_late_status_does_not_reopen_an_ended_call(client, twilio, engines):
    post_signed(client, INBOUND_URL, INBOUND)
    post_signed(client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "completed"})

    post_signed(client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "in-progress"})

    assert Call.objects.get(call_sid=CALL_SID).status == Call.Status.COMPLETED


@pytest.mark.django_db
def test_the_status_callback_accepts_an_unknown_call(client, twilio):
    response = post_signed(client, STATUS_URL, {"CallSid": "CA" + "f" * 32, "CallStatus": "completed"})

    assert response.status_code == 200
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_status_callback_checks_the_signature(client, twilio, engines):
    post_signed(client, INBOUND_URL, INBOUND)

    response = client.post(STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "completed"})

    assert response.status_code == 403
    assert Call.objects.get(call_sid=CALL_SID).status == Call.Status.RINGING


@pytest.mark.django_db
@pytest.mark.parametrize("duration", ["²", "٣", "9" * 5000, "9" * 30, "-5", " 42 "])
def test_a_nonsense_call_duration_is_recorded_as_unknown(client, twilio, engines, duration):
    post_signed(client, INBOUND_URL, INBOUND)

    response = post_signed(
        client, STATUS_URL, {"CallSid": CALL_SID, "CallStatus": "completed", "CallDuration": duration}
    )

    assert response.status_code == 200
    call = Call.objects.get(call_sid=CALL_SID)
    assert call.status == Call.Status.COMPLETED
    assert call.duration_seconds == (42 if duration == " 42 " else None)


@pytest.mark.django_db
def test_nul_characters_in_parameters_are_dropped_not_a_503(client, twilio, engines):
    post_signed(client, INBOUND_URL, {**INBOUND, "CallSid": CALL_SID + "\x00", "From": "+1312555\x000147"})

    response = post_signed(
        client,
        STATUS_URL,
        {"CallSid": "\x00" + CALL_SID, "CallStatus": "comp\x00leted", "AnsweredBy": "\x00"},
    )

    assert response.status_code == 200
    call = Call.objects.get(call_sid=CALL_SID)
    assert call.from_number == "+13125550147"
    assert call.status == Call.Status.COMPLETED


@pytest.mark.django_db
def test_control_characters_in_a_caller_id_still_give_readable_twiml(client, twilio, engines):
    response = post_signed(client, INBOUND_URL, {**INBOUND, "From": "+1312\x01555\x0b0147\x1f"})

    assert response.status_code == 200
    _, params = stream_of(response)  # parses only if the document is well-formed XML
    assert params["from"] == "+13125550147"
