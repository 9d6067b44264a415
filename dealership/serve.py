"""The `web` process: dealership.asgi:application under uvicorn. `python -m dealership.serve`

Why uvicorn (uvloop, httptools, websockets) and not daphne: a live call is 50 WebSocket frames a second
each way, and the server's own per-frame cost decides how many calls a process holds. Measured with
bench/calls.py on the same app, 100 talking calls: 6.95 ms of CPU per call-second under uvicorn against
9.27 ms under daphne (twisted + autobahn); turn overhead p99 40 against 140 ms, barge-in p95 6.7
against 30 ms.

Environment: PORT (8000), HOST (0.0.0.0), WEB_CONCURRENCY (1: worker processes sharing the port; a
call lives in one process and control messages reach it through the Redis channel layer),
FORWARDED_ALLOW_IPS (127.0.0.1: proxies trusted for X-Forwarded-*), KEEP_ALIVE_TIMEOUT (75 s), LOG_LEVEL.
It turns on pooled PostgreSQL connections (DB_POOL=1, DB_POOL_MAX_SIZE per process, default 10).

Metrics (/metrics, METRICS_TOKEN): the processes share PROMETHEUS_MULTIPROC_DIR, so a scrape answered
by any one of them adds up all of them (dealership.metrics). When it is unset, a fresh private
directory is made for this server's processes and removed when it stops; a directory you set (shared
with the Celery worker on the same host) is yours to empty between deployments.
"""

import atexit
import os
import shutil
import tempfile
from typing import Any

import environ
import uvicorn

APP = "dealership.asgi:application"
# Far above a Twilio frame (~300 bytes; voice.media_streams rejects frames over 64 KiB itself, and
# drops them without ending the call), yet a peer cannot make the server buffer 16 MiB messages.
WS_MAX_BYTES = 256 * 1024


def server_options(env: environ.Env | None = None) -> dict[str, Any]:
    env = env or environ.Env()
    return {
        "host": env.str("HOST", default="0.0.0.0"),
        "port": env.int("PORT", default=8000),
        "workers": env.int("WEB_CONCURRENCY", default=1),
        "loop": "uvloop",
        "http": "httptools",
        "ws": "websockets-sansio",
        # µ-law audio in base64 barely compresses; deflate would spend CPU on every frame.
        "ws_per_message_deflate": False,
        "ws_max_size": WS_MAX_BYTES,
        "lifespan": "off",  # Django's ASGI handler does not speak it
        "proxy_headers": True,
        "forwarded_allow_ips": env.str("FORWARDED_ALLOW_IPS", default="127.0.0.1"),
        "log_level": env.str("LOG_LEVEL", default="info").lower(),
        # Longer than a load balancer's idle timeout (60 s on common ones), so the proxy never reuses a
        # connection uvicorn has just closed (a 502 Twilio would turn into "an application error").
        "timeout_keep_alive": env.int("KEEP_ALIVE_TIMEOUT", default=75),
        "access_log": False,  # Django logs what matters per request; a line per Twilio webhook is noise
    }


def metrics_directory(env: environ.Env) -> str | None:
    """Set PROMETHEUS_MULTIPROC_DIR for this server's processes (before anything imports the
    Prometheus client, which reads it at import). Returns the directory, None with metrics off."""
    if not env.str("METRICS_TOKEN", default=""):
        return None
    directory = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
    if directory:
        os.makedirs(directory, exist_ok=True)
        return directory
    directory = tempfile.mkdtemp(prefix="dealership-metrics-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory


def main() -> None:
    options = server_options()
    env = environ.Env()
    if options["workers"] > 1 and not env.str("REDIS_URL", default=""):
        # Each process would have its own in-memory channel layer and cache: a control message for a
        # call held by another process would be lost without a trace.
        raise SystemExit("WEB_CONCURRENCY > 1 needs REDIS_URL (the channel layer shared by the processes)")
    os.environ.setdefault("DB_POOL", "1")  # see dealership.settings: pooled PostgreSQL connections
    metrics_directory(env)
    uvicorn.run(APP, **options)


if __name__ == "__main__":
    main()
