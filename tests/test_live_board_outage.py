"""The live board never costs the call: with Redis gone (the proxy cut, connections hanging), a call on
either engine is greeted, its records are written at once, and it ends without waiting on the board."""

from __future__ import annotations

import asyncio
import time
import urllib.parse

import pytest
from channels.db import database_sync_to_async

from tests.calls import FakePhone
from tests.faults.proxy import TcpProxy
from voice.models import Turn

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_gone(settings):
    """The channel layer and the live-call registry on a Redis that vanished from the network."""
    real = urllib.parse.urlsplit(settings.REDIS_URL)
    proxy = TcpProxy(real.hostname or "127.0.0.1", real.port or 6379)
    url = f"redis://{proxy.address}{real.path or '/0'}"
    settings.REDIS_URL = url
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer["CONFIG"], "hosts": [{"address": url, "socket_connect_timeout": 2}]}
    settings.CHANNEL_LAYERS = {"default": layer}
    proxy.cut("blackhole")
    yield
    proxy.close()


async def test_a_call_goes_on_when_the_board_cannot_be_reached(redis_gone, live, fake_twilio):
    dialled = time.monotonic()
    phone = await FakePhone.dial(live.call)
    try:
        await live.greeted(phone)
        greeted = time.monotonic() - dialled
        written = database_sync_to_async(Turn.objects.filter(call=live.call).exists)
        deadline = time.monotonic() + 2.0
        while not await written():  # the greeting's turn, written without waiting on the board
            assert time.monotonic() < deadline, "the greeting's turn was not written within 2 s"
            await asyncio.sleep(0.05)
    finally:
        hanging_up = time.monotonic()
        await phone.hang_up()
        hung_up = time.monotonic() - hanging_up

    assert greeted < 3.0
    assert hung_up < 2.0  # the call's end does not wait on the board's Redis
    assert await database_sync_to_async(Turn.objects.filter(call=live.call).count)() >= 1
