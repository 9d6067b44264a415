"""The `web` process as the Procfile starts it (`python -m dealership.serve`), over real sockets."""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.web_process import ROOT, web_process

# The server process reads the test database (its health check runs a query).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def web(django_db_setup) -> Iterator[str]:
    with web_process(VOICE_STREAM_START_TIMEOUT="0.5") as origin:
        yield origin


def test_it_serves_the_health_check(web):
    with urllib.request.urlopen(f"http://{web}/health/", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read())["database"] == "ok"


@pytest.mark.asyncio
async def test_it_declines_compression_on_the_media_stream(web):
    # Twilio's audio frames are base64 µ-law: deflating them would only cost CPU on every frame.
    async with connect(f"ws://{web}/voice/stream/", compression="deflate") as stream:
        assert stream.response.headers.get("Sec-WebSocket-Extensions") is None


@pytest.mark.asyncio
async def test_a_stream_that_never_starts_is_closed(web):
    async with connect(f"ws://{web}/voice/stream/") as stream:
        await stream.send("not json")  # dropped, not fatal
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(stream.recv(), 10)
        assert time.monotonic() - started < 5


def test_several_processes_refuse_to_start_without_a_shared_channel_layer():
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": "0", "WEB_CONCURRENCY": "2", "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "dealership.serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
