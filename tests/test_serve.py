"""The `web` process as the Procfile starts it (`python -m dealership.serve`), over real sockets."""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.fakes.server import unused_local_url

ROOT = Path(__file__).resolve().parent.parent
# The server process reads the test database (its health check runs a query).
pytestmark = pytest.mark.django_db


def _test_database_url() -> str:
    db = connection.settings_dict
    name = db["NAME"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    user = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture(scope="module")
def web(django_db_setup) -> Iterator[str]:
    port = unused_local_url().rsplit(":", 1)[1]
    database_url = _test_database_url()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": port,
        "DATABASE_URL": database_url,
        "VOICE_STREAM_START_TIMEOUT": "0.5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dealership.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://{origin}/health/", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web process did not start") from None
                time.sleep(0.2)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)


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
