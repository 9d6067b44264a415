"""POST /voice/recording/: Twilio's recording status callback is signature-checked, acted on once, and a
completed recording is copied into the shop's storage (deleted at Twilio by the shop's setting)."""

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from scheduling.models import Shop
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.models import Call, Recording, WebhookReceipt
from voice.tests.conftest import PUBLIC_BASE_URL

pytestmark = pytest.mark.django_db

URL = "/voice/recording/"


@pytest.fixture
def recorded(settings, shop, fake_twilio, eager_celery):  # noqa: F811
    """A call Twilio recorded, now complete at Twilio."""
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    call = Call.objects.create(call_sid="CA" + "1" * 32, from_number="+13125550147")
    fake_twilio.call(lambda: _start(fake_twilio, call.call_sid))
    [at_twilio] = fake_twilio.recordings_of(call.call_sid)
    Recording.objects.create(call=call, recording_sid=at_twilio.sid)
    fake_twilio.complete_recording(at_twilio.sid, seconds=2)
    return at_twilio


async def _start(fake, call_sid: str) -> None:
    # What TelephonyClient.start_recording sends, without a live call around it.
    from integrations.telephony import TelephonyClient

    async with TelephonyClient() as phone:
        await phone.start_recording(call_sid, status_callback=PUBLIC_BASE_URL + URL)


@pytest.fixture
def post(fake_twilio, django_capture_on_commit_callbacks):  # noqa: F811  # noqa: F811
    """Deliver Twilio's signed callback for a recording (with `changes` to its form, re-signed, or a
    given `signature`); tasks queued after the webhook's commit run before it returns."""

    def deliver(sid: str, *, signature: str | None = None, **changes: str):
        with django_capture_on_commit_callbacks(execute=True):
            return _post(fake_twilio, sid, signature=signature, **changes)

    return deliver


def _post(fake, sid: str, *, signature: str | None, **changes: str):
    url, form, signed = fake.recording_callback(sid)
    form = {**form, **changes}
    if changes:
        from twilio.request_validator import RequestValidator

        signed = RequestValidator(fake.auth_token).compute_signature(url, form)
    return Client().post(
        URL, form, headers={"X-Twilio-Signature": signed if signature is None else signature}
    )


def test_it_copies_a_completed_recording_and_deletes_it_at_twilio(post, fake_twilio, recorded):  # noqa: F811
    audio = recorded.audio

    response = post(recorded.sid)

    assert response.status_code == 204
    recording = Recording.objects.get(recording_sid=recorded.sid)
    assert recording.status == Recording.Status.STORED
    assert default_storage.open(recording.file.name).read() == audio
    assert recording.size_bytes == default_storage.size(recording.file.name)
    assert recorded.deleted and recording.deleted_at_twilio
    media = fake_twilio.requests_to(f"/Recordings/{recorded.sid}.wav", "GET")
    assert media[0].auth == (fake_twilio.account_sid, fake_twilio.auth_token)


def test_it_keeps_twilios_copy_when_the_shop_says_so(post, fake_twilio, recorded):  # noqa: F811
    Shop.objects.update(recording_delete_at_twilio=False)

    post(recorded.sid)

    assert Recording.objects.get(recording_sid=recorded.sid).status == Recording.Status.STORED
    assert not recorded.deleted
    assert not fake_twilio.requests_to(f"/Recordings/{recorded.sid}.json", "DELETE")


def test_it_refuses_an_unsigned_or_forged_callback(post, fake_twilio, recorded):  # noqa: F811
    assert post(recorded.sid, signature="").status_code == 403
    assert post(recorded.sid, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403

    assert Recording.objects.get(recording_sid=recorded.sid).status == Recording.Status.RECORDING
    assert not fake_twilio.requests_to(f"/Recordings/{recorded.sid}.wav", "GET")


def test_a_replayed_callback_is_acted_on_once(post, fake_twilio, recorded):  # noqa: F811
    post(recorded.sid)
    Recording.objects.filter(recording_sid=recorded.sid).update(status=Recording.Status.PROCESSING)

    assert post(recorded.sid).status_code == 204

    assert len(fake_twilio.requests_to(f"/Recordings/{recorded.sid}.wav", "GET")) == 1
    assert WebhookReceipt.objects.filter(kind="recording", key=f"{recorded.sid}:completed").count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"RecordingSid": "RE../../etc/passwd"}, {"RecordingStatus": "exploded"}, {"CallSid": ""}],
    ids=["bad sid", "bad status", "no call"],
)
def test_odd_values_are_refused_with_a_400(post, fake_twilio, recorded, changes):  # noqa: F811
    assert post(recorded.sid, **changes).status_code == 400


def test_a_recording_of_a_call_we_do_not_know_is_ignored(post, fake_twilio, recorded):  # noqa: F811
    assert post(recorded.sid, CallSid="CA" + "9" * 32).status_code == 204
    assert not fake_twilio.requests_to(f"/Recordings/{recorded.sid}.wav", "GET")


def test_twilio_failing_to_give_the_audio_is_retried_then_given_up(post, fake_twilio, recorded):  # noqa: F811
    for _ in range(10):
        fake_twilio.fail_next(503)

    assert post(recorded.sid).status_code == 204

    recording = Recording.objects.get(recording_sid=recorded.sid)
    assert recording.status == Recording.Status.FAILED and "503" in recording.last_error
    assert not recorded.deleted  # Twilio keeps the only copy
    assert len(fake_twilio.requests_to(f"/Recordings/{recorded.sid}.wav", "GET")) == 7  # 1 + 6 retries
