"""The call page's recording: served by our server with byte ranges (so the player seeks), only to staff
who may listen; deleted by hand (who and when kept) or after the shop's retention."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from scheduling.models import Shop
from tests.fakes.fake_twilio import FakeRecording
from tests.fakes.fixtures import fake_twilio  # noqa: F401
from voice.models import Call, Recording
from voice.recordings.services import recordings_expire, recordings_sweep

pytestmark = pytest.mark.django_db

AUDIO = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def recording(shop) -> Recording:
    call = Call.objects.create(call_sid="CA" + "2" * 32, from_number="+13125550147")
    name = default_storage.save("recordings/test.wav", ContentFile(AUDIO))
    return Recording.objects.create(
        call=call,
        recording_sid="RE" + "2" * 32,
        status=Recording.Status.STORED,
        file=name,
        content_type="audio/x-wav",
        deleted_at_twilio=True,
        duration_seconds=12,
    )


def staff(*perms: str) -> Client:
    user = User.objects.create_user("advisor", password="pw-12345678", is_staff=True)
    for perm in ("voice.view_call", *perms):
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


def audio_url(recording: Recording) -> str:
    return f"/admin/voice/call/{recording.call_id}/recording/"


def test_the_whole_file_is_served_with_its_length(recording):
    response = staff("voice.listen_recording").get(audio_url(recording))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AUDIO
    assert response["Content-Length"] == str(len(AUDIO))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/x-wav"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=5120-", 5120, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=10000-99999", 10000, 10239),
    ],
)
def test_a_range_is_answered_with_206_and_its_content_range(recording, header, start, end):
    response = staff("voice.listen_recording").get(audio_url(recording), headers={"Range": header})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert b"".join(response.streaming_content) == AUDIO[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=500-100", "bytes=-0", "bytes=abc"])
def test_a_range_outside_the_file_is_answered_with_416(recording, header):
    response = staff("voice.listen_recording").get(audio_url(recording), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(AUDIO)}"


def test_head_gives_the_headers_without_the_audio(recording):
    response = staff("voice.listen_recording").head(audio_url(recording), headers={"Range": "bytes=0-99"})

    assert response.status_code == 206
    assert response["Content-Length"] == "100"
    assert response.content == b""


def test_staff_who_may_not_listen_get_403_and_no_player(recording):
    client = staff()

    assert client.get(audio_url(recording)).status_code == 403
    page = client.get(f"/admin/voice/call/{recording.call_id}/change/").content.decode()
    assert audio_url(recording) not in page


def test_a_call_without_a_stored_recording_answers_404(recording):
    Recording.objects.update(status=Recording.Status.DISCARDED)

    assert staff("voice.listen_recording").get(audio_url(recording)).status_code == 404


@pytest.mark.usefixtures("fake_twilio", "eager_celery")
def test_deleting_by_hand_removes_the_audio_and_keeps_who_and_when(
    recording, django_capture_on_commit_callbacks
):
    client = staff("voice.listen_recording", "voice.delete_recording")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/voice/call/",
            {"action": "delete_recordings", "_selected_action": [recording.call_id]},
            follow=True,
        )

    assert "1 recording(s) deleted." in response.content.decode()
    recording.refresh_from_db()
    assert recording.status == Recording.Status.DELETED
    assert recording.deleted_by.username == "advisor" and recording.deleted_at is not None
    assert not recording.file and not default_storage.exists("recordings/test.wav")
    assert client.get(audio_url(recording)).status_code == 404
    page = client.get(f"/admin/voice/call/{recording.call_id}/change/").content.decode()
    assert "Deleted on" in page and "by advisor" in page


@pytest.mark.usefixtures("fake_twilio", "eager_celery")
def test_recordings_older_than_the_retention_are_deleted(recording, django_capture_on_commit_callbacks):
    Shop.objects.update(recording_retention_days=30)
    young = Recording.objects.create(
        call=recording.call, recording_sid="RE" + "3" * 32, status=Recording.Status.STORED
    )
    Recording.objects.filter(pk=recording.pk).update(created_at=timezone.now() - timedelta(days=31))

    with django_capture_on_commit_callbacks(execute=True):
        assert recordings_expire() == 1

    recording.refresh_from_db()
    assert (recording.status, recording.deleted_reason, recording.deleted_by) == (
        "deleted",
        "retention",
        None,
    )
    assert not default_storage.exists("recordings/test.wav")
    young.refresh_from_db()
    assert young.status == Recording.Status.STORED


@pytest.mark.usefixtures("eager_celery")
def test_audio_a_lost_task_left_behind_is_deleted_by_the_sweep(recording, fake_twilio):  # noqa: F811
    fake_twilio.recordings[recording.recording_sid] = FakeRecording(recording.recording_sid, "CA", "", [], 2)
    Recording.objects.filter(pk=recording.pk).update(
        status=Recording.Status.DELETED,
        deleted_at=timezone.now() - timedelta(hours=1),
        deleted_at_twilio=False,
    )

    assert recordings_sweep() == 1

    recording.refresh_from_db()
    assert not recording.file and recording.deleted_at_twilio
    assert fake_twilio.recordings[recording.recording_sid].deleted
    assert recordings_sweep() == 0
