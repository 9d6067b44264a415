"""Talking to the receptionist from the browser, for real: Debian's Chromium with its fake microphone
(a tone from a WAV file) opens the test-call page of the running ASGI server (`dealership.serve`, a
second process on the test database), presses Call, and books an oil change by voice. Deepgram and
OpenAI are the fake servers: the fake Deepgram hears the page's µ-law and says what the caller said;
the fake model looks for a slot and books it. The transcript grows on the page as the call goes, the
confirmation text is shown instead of sent, and the booking is a test booking."""

from __future__ import annotations

import base64
import json
import math
import os
import struct
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections

from scheduling.models import Appointment
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    VIEWPORT,
    PageProblems,
    log_in,
    staff_groups_restore,
)
from tests.calls import last_message, last_tool_result
from tests.fakes.deepgram_messages import results_message, speech_started_message
from tests.fakes.fake_openai import TextReply, tool_reply
from tests.fakes.fake_realtime import CallFunction, Say
from tests.realtime_calls import Brain
from tests.web_process import web_process
from voice.models import Call

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

PASSWORD = "browser-advisor-password"
WAIT_MS = 20_000  # a turn on the fake providers takes well under a second; the page polls its transcript
TRANSCRIPT = "#test-call-transcript"


def microphone_wav(path: Path) -> Path:
    """Two seconds of a 440 Hz tone with a little noise (Chromium loops it as the microphone)."""
    rate = 16_000
    frames = b"".join(
        struct.pack("<h", int(9000 * math.sin(2 * math.pi * 440 * n / rate) + (n * 7919 % 601) - 300))
        for n in range(rate * 2)
    )
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return path


def cascade_brain(customer, vehicle):
    """The cascade's model: look for a slot, offer it, book it when the caller agrees, read back the
    confirmation."""
    offered: dict = {}

    def reply(request):
        last = last_message(request)
        result = last_tool_result(request)
        if result is None and "oil change" in last["content"]:
            return tool_reply("check_availability", {"service_type": "oil_change"})
        if result and result[0] == "check_availability":
            offered.update(result[1]["slots"][0])
            return TextReply(f"The earliest opening is {offered['spoken']}. Shall I book that?")
        if result is None and "book it" in last["content"]:
            arguments = {
                "customer_id": customer.pk,
                "vehicle_id": vehicle.pk,
                "service_type": "oil_change",
                "datetime": offered["start"],
            }
            return tool_reply("schedule_appointment", arguments)
        if result and result[0] == "schedule_appointment":
            return TextReply(f"You're all set. {result[1]['confirmation']}")
        return TextReply("Sorry, could you say that again?")

    return reply


def realtime_brain(customer, vehicle) -> Brain:
    """The Realtime model: the same conversation (it says "Let me check." while it looks)."""
    offered: dict = {}
    caller_turns: list[dict] = []

    def answer(session, event):
        if event["type"] == "input_audio_buffer.committed":  # the server answers a caller turn
            caller_turns.append(event)
            if len(caller_turns) == 1:
                return [
                    Say("Let me check."),
                    CallFunction("check_availability", {"service_type": "oil_change"}),
                ]
            arguments = {
                "customer_id": customer.pk,
                "vehicle_id": vehicle.pk,
                "service_type": "oil_change",
                "datetime": offered["start"],
            }
            return CallFunction("schedule_appointment", arguments)
        result = json.loads(session.function_outputs[-1]["output"])  # asked to go on after a tool
        if "slots" in result:
            offered.update(result["slots"][0])
            return Say(f"The earliest opening is {offered['spoken']}. Shall I book that?")
        return Say(f"You're all set. {result['confirmation']}")

    return Brain(answer)


@dataclass
class Providers:
    """One engine's fake providers: the web process's settings for them, the caller's words, and how
    much microphone audio they received."""

    engine: str
    env: dict[str, str]
    says: Callable[[str], None]
    audio_bytes: Callable[[], int]


@pytest.fixture(params=["cascade", "realtime"])
def providers(request, settings, customer) -> Providers:
    vehicle = customer.vehicles.get()
    if request.param == "cascade":
        deepgram, openai = request.getfixturevalue("fake_deepgram"), request.getfixturevalue("fake_openai")
        openai.script = cascade_brain(customer, vehicle)

        def deepgram_hears(text: str) -> None:
            deepgram.emit(speech_started_message(0.5), results_message(text, start=0.5, duration=1.0))

        return Providers(
            "cascade",
            {
                "DEEPGRAM_API_KEY": deepgram.api_key,
                "DEEPGRAM_BASE_URL": deepgram.http_url,
                "OPENAI_API_KEY": openai.api_key,
                "OPENAI_BASE_URL": openai.base_url,
            },
            deepgram_hears,
            lambda: sum(session.audio_bytes for session in deepgram.listen_sessions),
        )
    realtime = request.getfixturevalue("fake_realtime")
    realtime.on_response_create = realtime_brain(customer, vehicle)

    def server_hears(text: str) -> None:  # the Realtime server's turn detection and transcription
        end = max(1000, realtime.session.audio_bytes // 8)
        item_id = realtime.speech_started(end - 1000)
        realtime.speech_stopped(end, item_id=item_id)
        realtime.caller_transcript(text, item_id=item_id)

    return Providers(
        "realtime",
        {"DEEPGRAM_API_KEY": "", "OPENAI_API_KEY": realtime.api_key, "OPENAI_BASE_URL": realtime.base_url},
        server_hears,
        lambda: sum(session.audio_bytes for session in realtime.sessions),
    )


def watch_socket(page) -> tuple[list, list]:
    """(monotonic time, frame) of every frame the page sends and receives on its WebSocket."""
    sent: list = []
    received: list = []

    def on_socket(socket) -> None:
        socket.on("framesent", lambda payload: sent.append((time.monotonic(), json.loads(payload))))
        socket.on("framereceived", lambda payload: received.append((time.monotonic(), json.loads(payload))))

    page.on("websocket", on_socket)
    return sent, received


@pytest.fixture
def advisor(settings) -> User:
    """A member of the Service advisor group, as the migrations set it up (test calls included)."""
    staff_groups_restore()
    user = User.objects.create_user("desk", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Service advisor"))
    return user


@pytest.fixture
def web(settings, providers, fake_twilio, shop, catalog) -> Iterator[str]:
    """The ASGI server, its providers on the fake servers (Twilio too: nothing may reach it)."""
    env = {
        **providers.env,
        "VOICE_ENGINE": "cascade",  # the page chooses the engine
        "TRANSFER_PHONE_NUMBER": "",
        "VOICE_IDLE_SECONDS": "60",
        "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": settings.TWILIO_PHONE_NUMBER,
        "TWILIO_API_BASE_URL": settings.TWILIO_API_BASE_URL,
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    with web_process(**env) as origin:
        yield f"http://{origin}"


@pytest.fixture
def microphone_page(web, monkeypatch, tmp_path) -> Iterator[tuple[object, PageProblems]]:
    """Chromium whose microphone is a WAV file (allowed without asking), on the web process."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this sync test
    wav = microphone_wav(tmp_path / "caller.wav")
    media = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    problems = PageProblems(origin=web)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *media], timeout=30_000
        )
        try:
            context = chromium.new_context(viewport=VIEWPORT, base_url=web)
            context.set_default_timeout(TIMEOUT_MS)
            problems.attach(context)
            yield context.new_page(), problems
        finally:
            # The ORM connections this test opened live in Playwright's contextvars context: closed
            # here, inside it, or they would outlive the test database (as in tests/browser.py).
            connections.close_all()
            chromium.close()


def test_a_test_call_in_the_browser_books_an_appointment_and_shows_the_transcript(
    microphone_page, providers, advisor, customer, fake_twilio, tmp_path_factory
):
    page, problems = microphone_page
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("test-call"))
    log_in(page, "desk", PASSWORD)
    sent, received = watch_socket(page)

    page.goto("/admin/voice/call/test-call/")
    page.select_option("#test-call-customer", str(customer.pk))
    page.check(f"input[name=engine][value={providers.engine}]")
    page.click("#test-call-start")

    # The greeting plays in the page, and shows in the transcript once it was heard.
    page.wait_for_selector(f"{TRANSCRIPT} li.agent", timeout=WAIT_MS)
    fake_twilio.wait_for(lambda: providers.audio_bytes() >= 8000, within=10)  # 1 s of the microphone
    providers.says("Hi, I need an oil change for my Civic.")
    page.wait_for_selector(f"{TRANSCRIPT} li.agent:has-text('Shall I book that?')", timeout=WAIT_MS)
    providers.says("Yes, please book it.")
    page.wait_for_selector(f"{TRANSCRIPT} li.agent:has-text('all set')", timeout=WAIT_MS)
    page.wait_for_selector("#test-call-events li:has-text('Would text')", timeout=WAIT_MS)
    page.screenshot(path=shots / f"test_call_{providers.engine}_in_progress.png", full_page=True)

    caller_lines = page.locator(f"{TRANSCRIPT} li.caller").all_inner_texts()
    assert [line.split("\n")[-1] for line in caller_lines] == [
        "Hi, I need an oil change for my Civic.",
        "Yes, please book it.",
    ]
    assert "schedule_appointment" in page.locator(f"{TRANSCRIPT} li.tool").all_inner_texts()[-1]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= VIEWPORT["width"]

    # The page speaks Media Streams: 20 ms of µ-law per media frame (the tone, not silence), and each
    # mark back in order once the audio before it has played (the first 100 ms of the greeting takes
    # 100 ms to play; an echo sent on arrival would come back at once).
    microphone = [base64.b64decode(f["media"]["payload"]) for _, f in sent if f["event"] == "media"]
    assert microphone and {len(chunk) for chunk in microphone} == {160}
    assert len(set(b"".join(microphone))) > 16
    marks_in = [(at, f["mark"]["name"]) for at, f in received if f["event"] == "mark"]
    marks_out = [(at, f["mark"]["name"]) for at, f in sent if f["event"] == "mark"]
    assert len(marks_out) >= 3 and [n for _, n in marks_out] == [n for _, n in marks_in][: len(marks_out)]
    first_audio = next(at for at, f in received if f["event"] == "media")
    assert marks_out[0][0] - first_audio >= 0.08

    page.click("#test-call-hang-up")
    page.wait_for_selector("#test-call-status:has-text('You hung up')")
    page.screenshot(path=shots / f"test_call_{providers.engine}_ended.png", full_page=True)

    call = Call.objects.get()
    booking = Appointment.objects.get(call=call)
    assert call.is_test and call.customer == customer and call.engine == providers.engine
    assert booking.is_test and booking.customer == customer
    assert fake_twilio.requests == []  # no call update, no text: the page got them
    fake_twilio.wait_for(lambda: Call.objects.get().status == Call.Status.COMPLETED, within=10)
    problems.assert_none()


LONG_REPLY = " ".join(
    [
        "We do oil changes every weekday from seven thirty in the morning until six in the evening.",
        "Most of them take about thirty minutes and you are welcome to wait in our lounge with coffee.",
        "We can also pick the car up from your home or office if you would rather not come in yourself.",
    ]
)


@pytest.mark.parametrize("providers", ["cascade"], indirect=True)
def test_interrupting_the_receptionist_flushes_what_the_page_had_queued(
    microphone_page, providers, advisor, customer, fake_deepgram, fake_openai, tmp_path_factory
):
    page, problems = microphone_page
    fake_openai.script = lambda request: TextReply(LONG_REPLY)
    log_in(page, "desk", PASSWORD)
    sent, received = watch_socket(page)
    page.goto("/admin/voice/call/test-call/")
    page.click("#test-call-start")
    page.wait_for_selector(f"{TRANSCRIPT} li.agent", timeout=WAIT_MS)

    providers.says("What are your hours for oil changes?")
    # The whole reply (about 5 s of audio) reaches the page at once and waits in its playback queue.
    fake_deepgram.wait_for(lambda: len(fake_deepgram.speak_sessions[-1].texts) >= 3, within=10)
    page.wait_for_timeout(1500)
    fake_deepgram.emit(
        speech_started_message(), results_message("wait hold on please", is_final=False, speech_final=False)
    )
    page.wait_for_selector(f"{TRANSCRIPT} li.agent .cut", timeout=WAIT_MS)
    page.screenshot(
        path=Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("test-call"))
        / "test_call_barge_in.png",
        full_page=True,
    )

    [cleared_at] = [at for at, f in received if f["event"] == "clear"]
    queued = {f["mark"]["name"] for at, f in received if f["event"] == "mark" and at < cleared_at}
    echoed_before = {f["mark"]["name"] for at, f in sent if f["event"] == "mark" and at <= cleared_at}
    # A mark the audio thread released just before it took the clear can still be on its way out;
    # audio that was flushed would go on "playing" for seconds.
    echoed_later = {f["mark"]["name"] for at, f in sent if f["event"] == "mark" and at > cleared_at + 0.25}
    assert queued - echoed_before, "nothing was left to play when the caller interrupted"
    assert not echoed_later & queued  # flushed audio never reports as played
    cut = page.locator(f"{TRANSCRIPT} li.agent").last
    heard, unheard = cut.inner_text().split("\n")[-1], cut.locator(".cut").inner_text()
    assert heard.startswith("We do oil changes")  # what the caller heard, then the rest struck through
    assert unheard.strip() and not unheard.startswith("We do") and LONG_REPLY.endswith(unheard.strip())
    page.click("#test-call-hang-up")
    problems.assert_none()
