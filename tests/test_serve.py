"""The `web` process as the Procfile starts it (`python -m dealership.serve`), over real sockets."""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
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
TOOLS_API_KEY = "serve-test-tools-key-0123456789abcdef"
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
        "TOOLS_API_KEY": TOOLS_API_KEY,
        # The test connects from 127.0.0.1, as a TLS proxy in front of the web process would.
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
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


def _list_tools(web: str, *, client: str, key: str) -> int:
    request = urllib.request.Request(
        f"http://{web}/tools/", headers={"Authorization": f"Bearer {key}", "X-Forwarded-For": client}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_failed_keys_count_per_client_behind_the_proxy_and_every_process_sees_the_count(
    web, client, settings
):
    attacker, neighbour = "203.0.113.7", "203.0.113.8"
    assert [_list_tools(web, client=attacker, key="guess") for _ in range(5)] == [401] * 4 + [429]
    assert _list_tools(web, client=attacker, key=TOOLS_API_KEY) == 429
    assert _list_tools(web, client=neighbour, key=TOOLS_API_KEY) == 200  # same proxy, another client
    # The count lives in Redis: this test process, another server in effect, refuses that client too.
    settings.TOOLS_API_KEY = TOOLS_API_KEY
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOOLS_API_KEY}"}
    assert client.get("/tools/", REMOTE_ADDR=attacker, **auth).status_code == 429
    assert client.get("/tools/", REMOTE_ADDR=neighbour, **auth).status_code == 200
