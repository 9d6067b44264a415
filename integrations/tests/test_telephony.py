from datetime import UTC, datetime, timedelta

import pytest
from twilio.request_validator import RequestValidator

from integrations.errors import ProviderError
from integrations.telephony import (
    CallOutcomeUnknown,
    TelephonyClient,
    create_call,
    find_calls,
    send_sms_sync,
    signature_is_valid,
)
from tests.fakes.fake_twilio import PHONE_NUMBER
from tests.fakes.server import unused_local_url

CALL_SID = "CA" + "1" * 32
CALLER = "+13125550147"
URL = "https://shop.example.com/voice/inbound/"
PARAMS = {"CallSid": CALL_SID, "From": CALLER, "To": PHONE_NUMBER}


class TestSignature:
    def test_it_accepts_a_signature_computed_by_twilios_validator(self, settings):
        settings.TWILIO_AUTH_TOKEN = "secret-token"
        signature = RequestValidator("secret-token").compute_signature(URL, PARAMS)

        assert signature_is_valid(URL, PARAMS, signature)

    def test_it_accepts_the_published_test_vector(self, settings):
        settings.TWILIO_AUTH_TOKEN = "12345"
        params = {
            "CallSid": "CA1234567890ABCDE",
            "Caller": "+12349013030",
            "Digits": "1234",
            "From": "+12349013030",
            "To": "+18005551212",
        }

        assert signature_is_valid(
            "https://mycompany.com/myapp.php?foo=1&bar=2", params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        )

    def test_it_rejects_a_request_whose_params_were_changed(self, settings):
        settings.TWILIO_AUTH_TOKEN = "secret-token"
        signature = RequestValidator("secret-token").compute_signature(URL, PARAMS)

        assert not signature_is_valid(URL, {**PARAMS, "From": "+13125550000"}, signature)

    def test_it_rejects_a_signature_made_with_another_token(self, settings):
        settings.TWILIO_AUTH_TOKEN = "secret-token"
        signature = RequestValidator("other-token").compute_signature(URL, PARAMS)

        assert not signature_is_valid(URL, PARAMS, signature)

    def test_it_rejects_everything_when_no_auth_token_is_configured(self, settings):
        settings.TWILIO_AUTH_TOKEN = ""
        signature = RequestValidator("").compute_signature(URL, PARAMS)

        assert not signature_is_valid(URL, PARAMS, signature)


@pytest.mark.asyncio
class TestLiveCallControl:
    async def test_it_transfers_a_live_call_with_dial_twiml(self, fake_twilio):
        async with TelephonyClient() as phone:
            await phone.transfer(CALL_SID, "+13125550199")

        (request,) = fake_twilio.requests_to(f"/Calls/{CALL_SID}.json")
        assert request.auth == (fake_twilio.account_sid, fake_twilio.auth_token)
        assert f'<Dial callerId="{PHONE_NUMBER}"><Number>+13125550199</Number></Dial>' in request.value(
            "Twiml"
        )

    async def test_it_hangs_up_by_completing_the_call(self, fake_twilio):
        async with TelephonyClient() as phone:
            hung_up = await phone.hang_up(CALL_SID)

        assert hung_up is True
        (request,) = fake_twilio.requests_to(f"/Calls/{CALL_SID}.json")
        assert request.form == {"Status": ["completed"]}

    async def test_it_treats_a_call_that_already_ended_as_hung_up(self, fake_twilio):
        fake_twilio.end_call(CALL_SID)

        async with TelephonyClient() as phone:
            hung_up = await phone.hang_up(CALL_SID)

        assert hung_up is False

    async def test_it_treats_a_call_no_longer_in_progress_as_hung_up(self, fake_twilio):
        fake_twilio.call_not_in_progress(CALL_SID)

        async with TelephonyClient() as phone:
            assert await phone.hang_up(CALL_SID) is False

    async def test_it_reports_a_transfer_of_an_ended_call_as_permanent(self, fake_twilio):
        fake_twilio.end_call(CALL_SID)

        async with TelephonyClient() as phone:
            with pytest.raises(ProviderError) as failure:
                await phone.transfer(CALL_SID, "+13125550199")

        assert failure.value.permanent
        assert failure.value.provider == "twilio"
        assert "20404" in failure.value.message

    async def test_it_reports_a_twilio_outage_as_transient(self, fake_twilio):
        fake_twilio.fail_next(503)

        async with TelephonyClient() as phone:
            with pytest.raises(ProviderError) as failure:
                await phone.hang_up(CALL_SID)

        assert not failure.value.permanent

    async def test_it_reports_rejected_credentials_as_permanent(self, fake_twilio, settings):
        settings.TWILIO_AUTH_TOKEN = "wrong"

        async with TelephonyClient() as phone:
            with pytest.raises(ProviderError) as failure:
                await phone.send_sms(CALLER, "hello")

        assert failure.value.permanent

    async def test_it_reports_an_unreachable_twilio_as_transient(self, settings):
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
        settings.TWILIO_API_BASE_URL = unused_local_url()

        async with TelephonyClient(timeout=2) as phone:
            with pytest.raises(ProviderError) as failure:
                await phone.hang_up(CALL_SID)

        assert not failure.value.permanent

    async def test_it_sends_an_sms_from_our_number(self, fake_twilio):
        async with TelephonyClient() as phone:
            sid = await phone.send_sms(CALLER, "Your oil change is booked for Tuesday at 9 AM.")

        (request,) = fake_twilio.requests_to("/Messages.json")
        assert sid.startswith("SM")
        assert request.form == {
            "To": [CALLER],
            "From": [PHONE_NUMBER],
            "Body": ["Your oil change is booked for Tuesday at 9 AM."],
        }

    async def test_it_refuses_clearly_when_telephony_is_not_configured(self, settings):
        settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""

        async with TelephonyClient() as phone:
            with pytest.raises(ProviderError) as failure:
                await phone.hang_up(CALL_SID)

        assert failure.value.permanent
        assert failure.value.message == "Telephony is not configured"


class TestWorkerCalls:
    def test_it_places_a_reminder_call_with_machine_detection(self, fake_twilio):
        sid = create_call(
            CALLER,
            "https://shop.example.com/voice/outbound/reminder/7/",
            "https://shop.example.com/voice/status/",
            async_amd_status_callback="https://shop.example.com/voice/status/",
        )

        (request,) = fake_twilio.requests_to("/Calls.json")
        assert sid.startswith("CA")
        assert request.value("To") == CALLER
        assert request.value("From") == PHONE_NUMBER
        assert request.value("Url") == "https://shop.example.com/voice/outbound/reminder/7/"
        assert request.value("StatusCallback") == "https://shop.example.com/voice/status/"
        assert request.form["StatusCallbackEvent"] == ["answered", "completed"]
        assert request.value("MachineDetection") == "DetectMessageEnd"
        assert request.value("AsyncAmd") == "true"

    def test_it_sends_an_sms_from_a_worker(self, fake_twilio):
        sid = send_sms_sync(CALLER, "Reminder: brake inspection tomorrow at 8 AM.")

        assert sid.startswith("SM")
        assert (
            fake_twilio.requests_to("/Messages.json")[0].value("Body")
            == "Reminder: brake inspection tomorrow at 8 AM."
        )

    def test_it_refuses_to_dial_without_our_phone_number(self, fake_twilio, settings):
        settings.TWILIO_PHONE_NUMBER = ""

        with pytest.raises(ProviderError, match="Telephony is not configured"):
            create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")

        assert fake_twilio.requests == []


class TestUnconfirmedCalls:
    """A create whose answer is lost may still have placed the call: the caller must be told so."""

    @pytest.mark.parametrize("stall", [2.0, None], ids=["response-times-out", "connection-reset"])
    def test_a_lost_answer_is_reported_as_unknown_and_the_call_can_be_found(
        self, fake_twilio, settings, stall
    ):
        settings.TWILIO_HTTP_TIMEOUT = 0.5
        fake_twilio.lose_next_create_response(stall=stall)
        before = datetime.now(UTC) - timedelta(seconds=1)

        with pytest.raises(CallOutcomeUnknown) as failure:
            create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")

        assert not failure.value.permanent
        [placed] = fake_twilio.calls
        [found] = find_calls(CALLER, created_after=before)
        assert (found.sid, found.status) == (placed.sid, "queued")
        [listing] = fake_twilio.requests_to("/Calls.json", method="GET")
        assert (listing.value("To"), listing.value("From")) == (CALLER, PHONE_NUMBER)

    def test_a_twilio_error_answer_is_unknown_but_a_rejection_is_not(self, fake_twilio):
        fake_twilio.fail_next(500)
        with pytest.raises(CallOutcomeUnknown):
            create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")

        fake_twilio.fail_next(429, 20429, "Too Many Requests")
        with pytest.raises(ProviderError) as limited:
            create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")
        assert not isinstance(limited.value, CallOutcomeUnknown)
        assert not limited.value.permanent

        fake_twilio.fail_next(400, 21211, "The 'To' number is not a valid phone number.")
        with pytest.raises(ProviderError) as rejected:
            create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")
        assert rejected.value.permanent and not isinstance(rejected.value, CallOutcomeUnknown)

    def test_an_unreachable_twilio_placed_nothing(self, settings):
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"
        settings.TWILIO_PHONE_NUMBER = PHONE_NUMBER
        settings.TWILIO_API_BASE_URL = unused_local_url()

        with pytest.raises(ProviderError) as failure:
            create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")

        assert not failure.value.permanent
        assert not isinstance(failure.value, CallOutcomeUnknown)

    def test_it_finds_only_our_calls_to_that_number_since_the_given_time(self, fake_twilio):
        create_call(CALLER, "https://shop.example.com/a/", "https://shop.example.com/b/")
        create_call("+13125550999", "https://shop.example.com/a/", "https://shop.example.com/b/")

        assert [
            c.sid for c in find_calls(CALLER, created_after=datetime.now(UTC) - timedelta(minutes=1))
        ] == [fake_twilio.calls[0].sid]
        assert find_calls(CALLER, created_after=datetime.now(UTC) + timedelta(minutes=1)) == []
