"""The Procfile's `web` command (`python -m dealership.serve`) as a second process for a test, on the
test database (and the test's Redis, so the two processes share one channel layer)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from tests.fakes.server import unused_local_url

ROOT = Path(__file__).resolve().parent.parent


def the_test_database_url() -> str:
    db = connection.settings_dict
    name = db["NAME"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    user = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@contextlib.contextmanager
def web_process(**env: str) -> Iterator[str]:
    """Start the web process with `env` added; yields its `host:port` once /health/ answers."""
    port = unused_local_url().rsplit(":", 1)[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "dealership.serve"],
        cwd=ROOT,
        env={**os.environ, "HOST": "127.0.0.1", "PORT": port, "DATABASE_URL": the_test_database_url(), **env},
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
