"""A phone call is recorded end to end (both engines): Twilio starts a two-channel recording when the
stream starts, reports it complete with a signed callback, the audio lands in the shop's storage and is
deleted at Twilio, and the call page plays it. A caller who objects is not recorded, and what was kept
is deleted; where the shop must ask first, nothing is recorded before a yes."""

import asyncio
from datetime import datetime

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from scheduling.models import Shop
from tests.calls import FakePhone
from tests.calls import caller_says as cascade_caller_says
from tests.realtime_calls import caller_says as realtime_caller_says
from voice.agent.lines import line
from voice.models import Call, Recording
from voice.recordings.transcript import TRANSCRIPT_KEPT_FOR_SUMMARY, calls_transcript_sweep

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

PUBLIC = "https://shop.example.com"


@pytest.fixture(autouse=True)
def public_url(settings, eager_celery):
    settings.PUBLIC_BASE_URL = PUBLIC


async def caller_says(live, text: str) -> None:
    if live.engine == "cascade":
        await cascade_caller_says(live.fake, text)
    else:
        await realtime_caller_says(live.fake, text)


def deliver(fake_twilio, sid: str, *, signature: str | None = None):
    """Post Twilio's signed recording status callback to our webhook, as Twilio would."""
    url, form, signed = fake_twilio.recording_callback(sid)
    assert url == f"{PUBLIC}/voice/recording/"
    return Client().post(
        "/voice/recording/",
        form,
        headers={"X-Twilio-Signature": signature if signature is not None else signed},
    )


async def declined(call: Call, within: float = 5.0) -> None:
    declined_calls = Call.objects.filter(pk=call.pk, recording_consent=Call.RecordingConsent.DECLINED)
    for _ in range(int(within / 0.05)):
        if await database_sync_to_async(declined_calls.exists)():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the call was not marked declined")


def listener() -> Client:
    user = User.objects.create_user("owner", password="pw-12345678", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


async def test_a_phone_call_is_recorded_copied_to_our_storage_and_played(live, fake_twilio):
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await live.greeted(phone)
        await fake_twilio.await_for(lambda: fake_twilio.recordings_of(call.call_sid))
        await caller_says(live, "Hi, I need an oil change next week.")
    finally:
        await phone.hang_up()

    [started] = fake_twilio.requests_to(f"/Calls/{call.call_sid}/Recordings.json")
    assert started.value("RecordingChannels") == "dual"
    assert started.value("RecordingStatusCallback") == f"{PUBLIC}/voice/recording/"
    [at_twilio] = fake_twilio.recordings_of(call.call_sid)
    fake_twilio.complete_recording(at_twilio.sid, seconds=3)
    audio = at_twilio.audio

    response = await sync_to_async(deliver)(fake_twilio, at_twilio.sid)

    assert response.status_code == 204
    recording = await database_sync_to_async(Recording.objects.get)(recording_sid=at_twilio.sid)
    assert recording.status == Recording.Status.STORED
    assert (recording.call_id, recording.channels, recording.duration_seconds) == (call.pk, 2, 3)
    with default_storage.open(recording.file.name, "rb") as stored:
        assert stored.read() == audio
    assert at_twilio.deleted and recording.deleted_at_twilio  # the shop holds the only copy
    assert fake_twilio.requests_to(f"/Recordings/{at_twilio.sid}.json", "DELETE")

    page = await sync_to_async(_played)(call.pk, len(audio))
    assert page == audio[len(audio) // 2 :]


def _played(call_id: int, size: int) -> bytes:
    client = listener()
    page = client.get(f"/admin/voice/call/{call_id}/change/")
    assert f'src="/admin/voice/call/{call_id}/recording/"' in page.content.decode()
    middle = client.get(f"/admin/voice/call/{call_id}/recording/", headers={"Range": f"bytes={size // 2}-"})
    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes {size // 2}-{size - 1}/{size}"
    return b"".join(middle.streaming_content)


async def test_a_caller_who_objects_is_not_recorded_and_what_was_kept_is_deleted(live, fake_twilio):
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await live.greeted(phone)
        await fake_twilio.await_for(lambda: fake_twilio.recordings_of(call.call_sid))
        await caller_says(live, "Please don't record this call.")
        [at_twilio] = fake_twilio.recordings_of(call.call_sid)
        await fake_twilio.await_for(lambda: at_twilio.deleted, within=5)
    finally:
        await phone.hang_up()

    assert (
        fake_twilio.requests_to(f"/Calls/{call.call_sid}/Recordings/{at_twilio.sid}.json")[0].value("Status")
        == "stopped"
    )
    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert (
        record.recording_consent == Call.RecordingConsent.DECLINED
    )  # the greeting's "disclosed" did not undo it
    recording = await database_sync_to_async(Recording.objects.get)(recording_sid=at_twilio.sid)
    assert recording.status == Recording.Status.DISCARDED and not recording.file

    # Twilio's late "completed" for the stopped recording copies nothing and deletes again.
    response = await sync_to_async(deliver)(fake_twilio, at_twilio.sid)
    assert response.status_code == 204
    recording = await database_sync_to_async(Recording.objects.get)(pk=recording.pk)
    assert recording.status == Recording.Status.DISCARDED and not recording.file

    # When the call ended, the shop's default policy kept only the summary: the words are gone, the
    # call page says why. The fake Realtime server writes no summaries (it answers no chat completions):
    # there the words wait for one, and the hourly sweep removes them once the call is a day old (here
    # without Twilio's final status: a day past any call's length).
    sweep_at = None
    if live.engine == "realtime":
        sweep_at = timezone.now() + 2 * TRANSCRIPT_KEPT_FOR_SUMMARY
    record = await transcript_removed(call, sweep_at=sweep_at)
    assert "Please don't record this call." not in await database_sync_to_async(_words)(call.pk)
    page = await sync_to_async(_call_page)(call.pk)
    assert "Transcript removed: the caller asked not to be recorded" in page
    assert "don&#x27;t record this call" not in page


async def test_a_shop_that_keeps_the_transcript_keeps_the_objecting_callers_words(live, fake_twilio):
    await database_sync_to_async(Shop.objects.update)(recording_objection_keeps="transcript")
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await live.greeted(phone)
        await caller_says(live, "Please don't record this call.")
        await declined(call)
    finally:
        await phone.hang_up()

    await asyncio.sleep(0.5)  # the call's last write, and its summary, have run
    record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
    assert record.transcript_removed_at is None
    assert "Please don't record this call." in await database_sync_to_async(_words)(call.pk)


async def transcript_removed(call: Call, within: float = 20.0, sweep_at: datetime | None = None) -> Call:
    for _ in range(int(within / 0.05)):
        if sweep_at is not None:
            await database_sync_to_async(calls_transcript_sweep)(now=sweep_at)
        record = await database_sync_to_async(Call.objects.get)(pk=call.pk)
        if record.transcript_removed_at is not None:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError("the transcript was not removed")


def _words(call_id: int) -> str:
    return " ".join(Call.objects.get(pk=call_id).turns.values_list("text", flat=True))


def _call_page(call_id: int) -> str:
    return listener().get(f"/admin/voice/call/{call_id}/change/").content.decode()


async def test_where_the_shop_must_ask_nothing_is_recorded_before_a_yes(live, fake_twilio):
    await database_sync_to_async(Shop.objects.update)(recording_consent_required=True)
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await live.greeted(phone)
        if live.engine == "cascade":
            assert line("recording_question") in live.lines()[0]
        assert not fake_twilio.recordings_of(call.call_sid)
        await caller_says(live, "Yes, that's fine. I need an oil change.")
        await fake_twilio.await_for(lambda: fake_twilio.recordings_of(call.call_sid), within=5)
    finally:
        await phone.hang_up()


async def test_where_the_shop_must_ask_a_no_means_no_recording(live, fake_twilio):
    await database_sync_to_async(Shop.objects.update)(recording_consent_required=True)
    call = live.call
    phone = await FakePhone.dial(call)
    try:
        await live.greeted(phone)
        await caller_says(live, "No, I'd rather not.")
        await declined(call)
    finally:
        await phone.hang_up()

    assert not fake_twilio.recordings_of(call.call_sid)


async def test_a_shop_that_does_not_record_starts_no_recording(live, fake_twilio):
    await database_sync_to_async(Shop.objects.update)(recording_enabled=False)
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await caller_says(live, "Hi, I need an oil change.")
    finally:
        await phone.hang_up()

    assert not fake_twilio.requests_to(f"/Calls/{live.call.call_sid}/Recordings.json")
