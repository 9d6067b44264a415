"""The live board (`/voice/live/`): calls in progress pushed to staff, on either engine, with the
transcript growing turn by turn; a call leaves when it ends, and when its process died (heartbeat with
a time limit); only logged-in staff who may view calls, from our own pages, can open it."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import redis.asyncio
from django.conf import settings as django_settings

from tests.calls import FakePhone, eventually
from tests.live_board import Board, staff_cookie
from voice.control import call_control_send
from voice.live import registry

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

LINE = "Let me check that for you."


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.LIVE_CALL_HEARTBEAT_SECONDS = 0.3
    settings.LIVE_CALL_TTL_SECONDS = 1.0  # a call whose process died leaves within ~1 s


def opened(call_id: int):
    return lambda e: e.get("kind") == "open" and e["call"]["call_id"] == call_id


def ended(call_id: int):
    return lambda e: e.get("kind") == "end" and e["call_id"] == call_id


async def test_a_call_appears_grows_and_leaves(live, fake_twilio):
    board, connected = await Board.open(await staff_cookie())
    assert connected
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        header = (await board.wait_for(opened(live.call.pk), what="the call"))["call"]
        assert header["customer"] == "Dana Whitfield"
        assert header["caller"] == "***0147"  # masked: the board is on screens around the shop
        assert header["engine"] == live.engine
        await eventually(lambda: len(board.transcript(live.call.pk)) >= 1, what="greeting")
        greeting = board.transcript(live.call.pk)
        assert greeting[0].startswith("agent: ")

        await asyncio.to_thread(call_control_send, live.call.call_sid, "say", text=LINE)
        await board.wait_for(lambda e: e.get("kind") == "turn" and e.get("text") == LINE, what="the new turn")
        assert board.transcript(live.call.pk) == [*greeting, f"agent: {LINE}"]
    finally:
        await phone.hang_up()

    await board.wait_for(ended(live.call.pk), within=5, what="the call's end")
    await board.close()


async def test_a_board_opened_mid_call_gets_the_transcript_so_far(live, fake_twilio):
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        await asyncio.to_thread(call_control_send, live.call.call_sid, "say", text=LINE)
        await eventually(lambda: LINE in live.lines(), what="the line said")
        await asyncio.sleep(0.3)  # its turn is written once it was said
        board, _ = await Board.open(await staff_cookie())
        await board.wait_for(opened(live.call.pk), what="the call")
        await eventually(lambda: f"agent: {LINE}" in board.transcript(live.call.pk), what="the line")
    finally:
        await phone.hang_up()
    await board.close()


async def test_a_call_whose_process_died_leaves_the_board():
    # Another web process registered a call, then died: nothing refreshes its deadline.
    header = {
        "call_id": 987654,
        "call_sid": "CA" + "9" * 32,
        "caller": "***0147",
        "customer": "",
        "direction": "inbound",
        "engine": "cascade",
        "test": False,
        "started": "2026-12-07T10:00:00+00:00",
        "outcome": "",
    }
    client = redis.asyncio.Redis.from_url(django_settings.REDIS_URL)
    await client.hset(registry._key("headers"), "987654", json.dumps(header))
    await client.zadd(registry._key("deadlines"), {"987654": time.time() + 1.0})
    await client.aclose()
    board, _ = await Board.open(await staff_cookie())

    await board.wait_for(opened(987654), within=3, what="the call another process holds")
    started = time.monotonic()
    await board.wait_for(ended(987654), within=4, what="the dead process's call leaving")
    assert time.monotonic() - started < 2.5
    assert 987654 not in await registry.live_calls()
    await board.close()


@pytest.mark.parametrize(
    "who, origin",
    [
        ("anonymous", "http://testserver"),
        ("not staff", "http://testserver"),
        ("staff without view_call", "http://testserver"),
        ("staff", "https://evil.example"),
        ("staff", ""),
    ],
)
async def test_only_staff_who_may_view_calls_from_our_pages_can_open_it(who, origin):
    if who == "anonymous":
        cookie = "sessionid=nothing"
    elif who == "staff without view_call":
        cookie = await staff_cookie("clerk", perms=())
    else:
        cookie = await staff_cookie()
    if who == "not staff":
        from channels.db import database_sync_to_async
        from django.contrib.auth.models import User

        await database_sync_to_async(User.objects.filter(username="advisor").update)(is_staff=False)

    _, connected = await Board.open(cookie, origin=origin)

    assert not connected
