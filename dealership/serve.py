"""The `web` process: dealership.asgi:application under uvicorn. `python -m dealership.serve`

Why uvicorn (uvloop, httptools, websockets) and not daphne: a live call is 50 WebSocket frames a second
each way, and the server's own per-frame cost decides how many calls a process holds. Measured with
bench/calls.py on the same app: 100 silent calls cost 2.6 ms of CPU per call-second under uvicorn
against 4.3 ms under daphne (twisted + autobahn), and with 50 talking calls turn overhead p99 fell
from 249 to 52 ms and barge-in p95 from 48 to 7 ms.

Environment: PORT (8000), HOST (0.0.0.0), WEB_CONCURRENCY (1: worker processes sharing the port; a
call lives in one process and control messages reach it through the Redis channel layer),
FORWARDED_ALLOW_IPS (127.0.0.1: proxies trusted for X-Forwarded-*), LOG_LEVEL.
"""

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
        "access_log": False,  # Django logs what matters per request; a line per Twilio webhook is noise
    }


def main() -> None:
    uvicorn.run(APP, **server_options())


if __name__ == "__main__":
    main()
