"""The `web` process as the Procfile starts it, reaching PostgreSQL and Redis through cuttable proxies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from tests.fakes.server import unused_local_url
from tests.faults.proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "fault-test-token"
BASE = "https://shop.example.com"


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Web:
    origin: str
    database: TcpProxy
    redis: TcpProxy
    spool: Path

    def get(self, path: str) -> Answer:
        return self._request(urllib.request.Request(self.origin + path))

    def twilio(self, path: str, params: dict[str, str]) -> Answer:
        """A POST signed as Twilio signs its webhooks."""
        payload = BASE + path + "".join(f"{name}{params[name]}" for name in sorted(params))
        signature = base64.b64encode(hmac.new(AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest())
        request = urllib.request.Request(
            self.origin + path,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature.decode()},
        )
        return self._request(request)

    def _request(self, request: urllib.request.Request) -> Answer:
        # As the TLS proxy in front of `web` says (PUBLIC_BASE_URL is https, so plain HTTP is redirected).
        request.add_header("X-Forwarded-Proto", "https")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), time.monotonic() - started)

    def until(self, path: str, status: int, *, within: float = 15.0) -> Answer:
        """Poll `path` until it answers `status` (recovery), at most `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            answer = self.get(path)
            if answer.status == status or time.monotonic() > deadline:
                return answer
            time.sleep(0.2)


def _database_url(port: int) -> str:
    db = connection.settings_dict
    user = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{user}@127.0.0.1:{port}/{db['NAME']}"


@contextmanager
def web_through_proxies(tmp_path: Path, **extra_env: str) -> Iterator[Web]:
    """Start the web process with DATABASE_URL and REDIS_URL pointing at proxies the test can cut."""
    db = connection.settings_dict
    assert db["ENGINE"].endswith("postgresql"), "fault tests need PostgreSQL"
    redis_url = urllib.parse.urlsplit(settings.REDIS_URL)
    database = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    redis = TcpProxy(redis_url.hostname or "127.0.0.1", redis_url.port or 6379)
    port = unused_local_url().rsplit(":", 1)[1]
    spool = tmp_path / "spool"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": port,
        "DATABASE_URL": _database_url(database.port),
        "REDIS_URL": f"redis://{redis.address}{redis_url.path or '/0'}",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_PHONE_NUMBER": "+13125550100",
        "PUBLIC_BASE_URL": BASE,
        "OPENAI_API_KEY": "sk-fault-test",
        "DEEPGRAM_API_KEY": "dg-fault-test",
        "OPT_OUT_SPOOL_DIR": str(spool),
        "TRANSFER_PHONE_NUMBER": "",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        **extra_env,
    }
    log = tmp_path / "web.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dealership.serve"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    web = Web(f"http://127.0.0.1:{port}", database, redis, spool)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                web.get("/health/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web process did not start:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield web
    finally:
        process.terminate()
        process.wait(timeout=10)
        database.close()
        redis.close()
