"""The test-call socket (`/voice/test-call/stream/`): only a permitted staff member's browser, on a page of
this site, with a test call's one-time token, gets a conversation, on either engine; a transfer is
shown to that page and ends the test call, and Twilio never hears of it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission, User
from django.test import Client

from dealership.asgi import application
from scheduling.models import Shop
from tests.calls import STREAM_SID, FakePhone, eventually
from tests.test_call_warm_handoff import says, script_transfer, warm_settings
from voice.agent.control import TRANSFERRING
from voice.agent.lines import line
from voice.browser_calls.services import browser_call_place
from voice.control import call_control_send
from voice.models import Call, Handoff
from voice.streams import stream_parameters

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

HOST = "127.0.0.1:8000"
PAGE = f"http://{HOST}"
ADVISOR = "+13125550199"


def member(username: str, *, staff: bool = True, permitted: bool = True) -> User:
    user = User.objects.create_user(username, password="pw-12345678", is_staff=staff)
    if permitted:
        user.user_permissions.add(Permission.objects.get(codename="place_test_call"))
    return user


def session_cookie(user: User | None) -> str:
    if user is None:
        return ""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def socket(user: User | None, *, origin: str = PAGE, host: str = HOST) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(session_cookie)(user)
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/voice/test-call/stream/", headers=headers)


def start_frame(call: Call) -> dict[str, Any]:
    return {
        "event": "start",
        "start": {
            "streamSid": STREAM_SID,
            "callSid": call.call_sid,
            "tracks": ["inbound"],
            "customParameters": stream_parameters(call),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
        "streamSid": STREAM_SID,
    }


async def page_dials(user: User, call: Call) -> FakePhone:
    """The page's side of a test call: Media Streams over the test-call socket, marks echoed at once."""
    phone = FakePhone(call)
    phone.stream = await socket(user)
    connected, _ = await phone.stream.connect()
    assert connected
    await phone.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    await phone.send(start_frame(call))
    phone.started_at = time.monotonic()
    phone._tasks = [asyncio.create_task(phone._read()), asyncio.create_task(phone._talk())]
    return phone


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({"user": None}, id="signed out"),
        pytest.param({"staff": False}, id="not staff"),
        pytest.param({"permitted": False}, id="staff without the permission"),
        pytest.param({"origin": "http://evil.example"}, id="a page of another site"),
        pytest.param({"origin": ""}, id="no origin"),
        pytest.param(
            {"origin": "http://rebound.example", "host": "rebound.example"}, id="a host we do not serve"
        ),
    ],
)
async def test_only_a_permitted_staff_page_of_this_site_may_open_the_socket(who, shop):
    if "user" in who:
        user = None
    else:
        options = {k: who[k] for k in ("staff", "permitted") if k in who}
        user = await database_sync_to_async(member)("someone", **options)
    stream = await socket(user, origin=who.get("origin", PAGE), host=who.get("host", HOST))

    connected, code = await stream.connect()

    assert not connected
    assert code == 4403


async def test_a_phone_calls_token_is_refused_on_the_test_socket_and_a_test_calls_on_the_phone_socket(
    shop, customer, settings, cascade_live
):
    user = await database_sync_to_async(member)("advisor")
    phone_call = await database_sync_to_async(Call.objects.create)(
        call_sid="CA" + "3" * 32, from_number=customer.phone, engine="cascade"
    )
    test_call = await database_sync_to_async(browser_call_place)(engine="cascade", customer_id=customer.pk)

    page = await socket(user)
    assert (await page.connect())[0]
    await page.send_json_to(start_frame(phone_call))
    assert (await page.receive_output(timeout=5))["type"] == "websocket.close"

    twilio = WebsocketCommunicator(application, "/voice/stream/")
    assert (await twilio.connect())[0]
    await twilio.send_json_to(start_frame(test_call))
    assert (await twilio.receive_output(timeout=5))["type"] == "websocket.close"

    for call in (phone_call, test_call):
        await database_sync_to_async(call.refresh_from_db)()
        assert call.stream_claimed_at is None  # neither token was spent


async def test_a_transfer_is_shown_on_the_page_and_ends_the_test_call(live, customer, fake_twilio):
    user = await database_sync_to_async(member)("advisor")
    call = await database_sync_to_async(browser_call_place)(engine=live.engine, customer_id=customer.pk)
    phone = await page_dials(user, call)
    try:
        await live.greeted(phone)
        # The transcript reaches the page as it is recorded: the greeting, once it was heard.
        await eventually(lambda: _shown(phone, "turn"), within=5, what="the greeting in the transcript")
        await asyncio.to_thread(call_control_send, call.call_sid, "transfer", number=ADVISOR)
        await eventually(lambda: phone.closed, within=10, what="the test call ended")
    finally:
        await phone.hang_up()

    [shown] = _shown(phone, "transfer")
    assert shown["text"] == "Would transfer to (312) 555-0199."
    assert fake_twilio.requests == []  # nothing reached Twilio
    # The transcript on the page ends with the receptionist's last line before the transfer.
    turns = _shown(phone, "turn")
    assert turns[0]["role"] == "agent" and turns[-1]["text"] == TRANSFERRING
    for _ in range(50):  # the socket's end is recorded just after it closed
        await database_sync_to_async(call.refresh_from_db)()
        if call.status == Call.Status.COMPLETED:
            break
        await asyncio.sleep(0.1)
    assert call.status == Call.Status.COMPLETED
    assert call.is_test and call.outcome == Call.Outcome.TRANSFERRED
    assert call.from_number == customer.phone and call.customer_id == customer.pk


def _shown(phone: FakePhone, kind: str) -> list[dict[str, Any]]:
    """The test-call frames of `kind` the page received."""
    return [f for f in phone.frames if f["event"] == "testcall" and f["kind"] == kind]


@pytest.mark.usefixtures("open_around_the_clock")
async def test_the_agents_transfer_on_a_test_call_is_no_warm_hand_off(live, customer, settings, fake_twilio):
    """With a public origin a phone call's transfer is a warm hand-off (a Handoff waiting for Twilio's
    dial result); a test call's never reaches Twilio, so it must leave no hand-off ringing forever."""
    warm_settings(settings)
    script_transfer(live)
    user = await database_sync_to_async(member)("advisor")
    call = await database_sync_to_async(browser_call_place)(engine=live.engine, customer_id=customer.pk)
    phone = await page_dials(user, call)
    try:
        await live.greeted(phone)
        await says(live, "Can I talk to a real person please?")
        await eventually(lambda: _shown(phone, "transfer"), within=10, what="the transfer on the page")
    finally:
        await phone.hang_up()

    assert _shown(phone, "transfer")[0]["text"] == "Would transfer to (312) 555-0199."
    assert fake_twilio.requests == []
    assert not await database_sync_to_async(Handoff.objects.filter(call=call).exists)()


@pytest.mark.usefixtures("eager_celery")
async def test_an_objection_on_a_test_call_follows_the_shops_transcript_policy(live, customer, fake_twilio):
    """No recording on a test call (no Twilio), but "don't record me" is noted and, with the shop keeping
    nothing of what was said, the words are gone when the test call ends."""
    from tests.test_call_recording import caller_says, declined, transcript_removed

    await database_sync_to_async(Shop.objects.update)(recording_objection_keeps="nothing")
    user = await database_sync_to_async(member)("advisor")
    call = await database_sync_to_async(browser_call_place)(engine=live.engine, customer_id=customer.pk)
    phone = await page_dials(user, call)
    try:
        await live.greeted(phone)
        await caller_says(live, "Please don't record this call.")
        await declined(call)
    finally:
        await phone.hang_up()

    record = await transcript_removed(call)
    assert record.is_test and record.summary == ""
    texts = await database_sync_to_async(lambda: list(record.turns.values_list("text", flat=True)))()
    assert texts and not any(texts)
    assert fake_twilio.requests == []


async def test_a_test_call_never_asks_to_record_the_call(live, customer, fake_twilio):
    """Where the shop must ask before recording, a phone call's greeting asks "is that OK?"; a test call
    is never recorded, so its greeting does not ask (and gives the ordinary disclosure instead)."""
    await database_sync_to_async(Shop.objects.update)(recording_consent_required=True)
    user = await database_sync_to_async(member)("advisor")
    call = await database_sync_to_async(browser_call_place)(engine=live.engine, customer_id=customer.pk)
    phone = await page_dials(user, call)
    try:
        await live.greeted(phone)
    finally:
        await phone.hang_up()

    greeting = live.lines()[0]
    assert line("recording_question") not in greeting
    assert line("greeting_ask") in greeting
    assert fake_twilio.requests == []
