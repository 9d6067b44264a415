"""In real Chromium: the call page plays the call's recording, served by our own view, and seeks to the
middle (the browser asks for a byte range and gets a 206); staff who may not listen get a 403."""

import io
import wave

from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.browser import log_in
from tests.fakes.fake_twilio import two_channel_wav
from voice.models import Call, Recording

SECONDS = 240  # long enough that the player fetches it in pieces rather than at once


def long_wav(seconds: int) -> bytes:
    """`seconds` of the fake's two-channel tone (one second repeated: its tones fit a second exactly)."""
    with wave.open(io.BytesIO(two_channel_wav(1))) as one:
        second = one.readframes(one.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(second * seconds)
    return out.getvalue()


def recorded_call() -> Call:
    call = Call.objects.create(call_sid="CA" + "8" * 32, from_number="+13125550147")
    Recording.objects.create(
        call=call,
        recording_sid="RE" + "8" * 32,
        status=Recording.Status.STORED,
        file=default_storage.save("recordings/long.wav", ContentFile(long_wav(SECONDS))),
        content_type="audio/x-wav",
        duration_seconds=SECONDS,
        channels=2,
    )
    return call


def test_the_call_page_plays_the_recording_and_seeks_to_the_middle(shop, admin_page, page_problems):
    call = recorded_call()
    audio_path = f"/admin/voice/call/{call.pk}/recording/"
    ranges: list[tuple[int, str, str]] = []
    admin_page.on(
        "response",
        lambda r: (
            ranges.append((r.status, r.request.headers.get("range", ""), r.headers.get("content-range", "")))
            if r.url.endswith(audio_path)
            else None
        ),
    )

    admin_page.goto(f"/admin/voice/call/{call.pk}/change/")
    player = admin_page.locator("audio.call-recording")
    player.wait_for()
    admin_page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=player.element_handle())
    assert round(player.evaluate("a => a.duration")) == SECONDS

    player.evaluate("a => { a.muted = true; a.currentTime = a.duration / 2; return a.play(); }")
    admin_page.wait_for_function(
        "a => !a.seeking && a.currentTime > a.duration / 2 + 0.2", arg=player.element_handle()
    )

    assert any(status == 206 for status, _, _ in ranges), ranges
    middle = [r for r in ranges if r[0] == 206 and r[2] and int(r[2].split()[1].split("-")[0]) > 0]
    assert middle, f"no range request past the start: {ranges}"
    page_problems.assert_none()


def test_staff_who_may_not_listen_get_403_on_the_audio(shop, browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call = recorded_call()
    user = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_call"))
    log_in(browser_page, "viewer", "pw-12345678")

    browser_page.goto(f"/admin/voice/call/{call.pk}/change/")
    assert browser_page.locator("audio").count() == 0
    response = browser_page.request.get(f"/admin/voice/call/{call.pk}/recording/")

    assert response.status == 403
